/** `koplus doctor` per FreeSWITCH node (issue 12 part 3): two simulated nodes, one with a wrong password. */
import t from 'tap'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { formatDoctor } from '../../src/doctor/index.js'
import { runDoctorNodes } from '../../src/doctor/nodes.js'

t.test(
  'every node is checked and named; a node that fails fails the doctor, the host checks appear once',
  async (t) => {
    const a = new FreeSwitchSimulator()
    const b = new FreeSwitchSimulator({ password: 'other' })
    const portA = await a.listen(0, '127.0.0.1')
    const portB = await b.listen(0, '127.0.0.1')
    t.teardown(async () => {
      await a.close()
      await b.close()
    })
    const report = await runDoctorNodes(
      [
        { id: 'a', host: '127.0.0.1', port: portA, password: 'ClueCon' },
        { id: 'b', host: '127.0.0.1', port: portB, password: 'ClueCon' },
      ],
      { timeoutMs: 3000, settleMs: 200 },
    )
    const byName = new Map(report.checks.map((c) => [c.name, c]))
    t.equal(byName.get('a: connection')?.ok, true, 'node a reached and authenticated')
    t.equal(byName.get('a: events')?.ok, true)
    t.equal(byName.get('b: connection')?.ok, false, 'node b refuses the password')
    t.match(byName.get('b: connection')?.detail ?? '', /authentication failed at 127\.0\.0\.1:\d+/)
    t.equal(report.ok, false)
    t.equal(report.checks.filter((c) => c.name === 'sounds').length, 1, 'sounds checked once, for this host')
    t.equal(report.checks.at(-1)?.name, 'sounds', 'host checks after the node checks')
    t.match(formatDoctor(report), /^FAIL\s+b: connection/m)
    t.notMatch(JSON.stringify(report), /ClueCon/, 'no password in the report')
  },
)
