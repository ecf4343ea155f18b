/**
 * Issue 13 item 4 (recovery), correctness at size: the real daemon process with 300 live calls — one talking, one
 * ringing an agent who does not answer, 298 waiting — killed with SIGKILL and started again on the same database
 * against the same FreeSWITCH simulator. The rebuild (pipelined uuid_dumps) puts every caller back in place: the
 * same order, nobody hung up, the conversation still bridged, the lost offer made again. Timing is the bench's job
 * (bench/recovery.bench.ts), not this test's.
 */
// The daemon under test must be this tree's source (not a stale dist/ build).
process.env.KOPLUS_IT_RUNNER = 'ts'

import t from 'tap'
import { rmSync } from 'node:fs'
import { Store } from '../../src/store/index.js'
import { FreeSwitchSimulator, type SimCall } from '../../src/simulator/simulator.js'
import { DaemonProcess, writeConfig } from '../helpers/daemon-process.js'
import { seed, until } from '../helpers/journey-fixture.js'

const CALLERS = 300
const seeded = await seed(
  [{ number: '5000', settings: { ringTimeSec: 120 } }],
  [
    { extension: '1001', loggedIn: ['5000'] },
    { extension: '1002', loggedIn: ['5000'] },
  ],
)
const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
const port = await sim.listen(0, '127.0.0.1')
// 1001 answers and talks on; 1002 rings and never answers (within the 120 s ring time).
sim.endpoint('1001', { registered: true, answerAfterMs: 50 })
sim.endpoint('1002', { registered: true, neverAnswer: true })
const configPath = writeConfig(seeded.dir, { dbPath: seeded.dbPath, fsPort: port })
const db = await Store.open(seeded.dbPath)
let daemon = new DaemonProcess(configPath)
t.teardown(async () => {
  await daemon.stop()
  await db.close()
  await sim.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})

const rebuilt = (d: DaemonProcess) => d.waitForLog((l) => /^rebuilt the view/.test(l.msg), 90_000, 'rebuild')
const agentLegs = () => sim.channels().filter((ch) => ch.variables.get('koplus_role') === 'agent' && !ch.hungUp)

await rebuilt(daemon)

t.test(`${CALLERS} live calls survive a SIGKILL restart, every caller in place`, async (t) => {
  const calls: SimCall[] = []
  for (let i = 0; i < CALLERS; i++) {
    calls.push(sim.placeCall({ to: '5000', from: `0703${String(i).padStart(6, '0')}` }))
    if (i % 50 === 49)
      await sim.waitFor(() => calls.every((c) => !!c.variable('koplus_seq')), 20_000, 'callers in the queue')
  }
  await sim.waitFor(() => calls.every((c) => !!c.variable('koplus_seq')), 20_000, 'every caller in the queue')
  await sim.waitFor(
    () => calls.some((c) => c.state === 'bridged') && agentLegs().length === 2,
    10_000,
    'one talking, one ringing',
  )
  const talking = calls.find((c) => c.state === 'bridged')!
  const bySeq = [...calls].sort((a, b) => Number(a.variable('koplus_seq')) - Number(b.variable('koplus_seq')))
  const waitingOrder = bySeq.filter((c) => c !== talking).map((c) => c.uuid)
  const ringingLeg = agentLegs().find((ch) => !ch.answered)!
  const ringingCaller = ringingLeg.variables.get('koplus_call')

  daemon.child.kill('SIGKILL')
  await daemon.exited
  await sim.waitFor(() => sim.connectionCount === 0, 5000, 'ESL connection closed')
  const since = Date.now()
  daemon = new DaemonProcess(configPath)
  const done = await rebuilt(daemon)
  t.equal(done.calls, CALLERS, `the rebuild found all ${CALLERS} calls`)

  const restored = await until(
    async () => {
      const ev = await db.events.list({ event: 'RESTORED', since })
      return ev.length >= CALLERS ? ev : undefined
    },
    20_000,
    'every caller restored',
  )
  t.equal(restored.length, CALLERS, 'each caller restored once')
  const positionOf = new Map(restored.map((e) => [e.callId, (e.data as { position?: number }).position]))
  t.same(
    waitingOrder.map((id) => positionOf.get(id)),
    waitingOrder.map((_, i) => i + 1),
    'the waiting callers in their order, positions 1…299',
  )
  t.match(
    restored.find((e) => e.callId === talking.uuid)?.data,
    { bridged: true },
    'the conversation taken back as bridged',
  )
  t.equal(talking.state, 'bridged', 'still talking')
  t.same(
    calls.filter((c) => c.state === 'hungup').map((c) => c.uuid),
    [],
    'no caller hung up',
  )
  // The offer lost with the old daemon: its leg is ended and the caller (still first in line) is offered again.
  await sim.waitFor(
    () =>
      ringingLeg.hungUp && agentLegs().some((ch) => !ch.answered && ch.variables.get('koplus_call') === ringingCaller),
    10_000,
    'the lost offer made again',
  )
  t.ok(ringingLeg.hungUp, 'the lost leg was ended')
  t.ok(
    agentLegs().some((ch) => ch.variables.get('koplus_call') === ringingCaller),
    'and its caller is ringing an agent again',
  )
  t.same(
    daemon.lines.filter((l) => l.level >= 50).map((l) => l.msg),
    [],
    'no error logged',
  )
})
