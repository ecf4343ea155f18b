/**
 * The daemon in-process against the simulator with FreeSWITCH's Event Socket delivery rule on (eslPollMs 20,
 * mod_event_socket.c read_packet): events arrive in batches after replies, as from a real switch, and the whole
 * call path still works — offer, bridge, hang-up, call record. The daemon's ESL client writes LF wake-ups while the
 * call is live (the simulator counts them) and the simulator never answers them. No timing is asserted here;
 * bench/event-path.bench.ts measures the latencies.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { startDaemon } from '../../src/daemon/daemon.js'
import { FreeSwitchSimulator } from '../../src/simulator/index.js'
import { until } from '../helpers/agents-fixture.js'
import { seedFirstCall } from '../helpers/first-call-fixture.js'

t.test('a queue call is offered, bridged and recorded with the 20 ms delivery rule on', async (t) => {
  const seeded = await seedFirstCall()
  const sim = new FreeSwitchSimulator({ sipDomain: 'default', eslPollMs: 20 })
  const port = await sim.listen(0, '127.0.0.1')
  sim.endpoint('1001', { registered: true, answerAfterMs: 100 })
  sim.endpoint('1002', { registered: true, answerAfterMs: 100 })
  t.teardown(async () => {
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  const daemon = await startDaemon({
    databasePath: seeded.dbPath,
    freeswitch: { host: '127.0.0.1', port, password: 'ClueCon' },
  })
  t.teardown(() => daemon.stop())
  await daemon.whenRebuilt()

  const call = sim.placeCall({ to: '5000', from: '0701234567' })
  await call.waitForState('bridged', 5000)
  t.match(sim.call(call.bridgedTo!)!.channel.name, /1001/, 'bridged to 1001, idle longest')
  t.ok(
    call.heard().some((h) => /moh/.test(h.file)),
    'the caller heard music on hold',
  )
  t.ok(
    sim.eslStats.clientLfBytes > 0,
    `the daemon woke the listener with ${sim.eslStats.clientLfBytes} LF while the call was live`,
  )
  call.hangup()
  // the record is written after the hang-up event, through the store's write queue: polled (not a simulator event)
  await until(async () => (await daemon.store.calls.find(call.uuid))?.endedAt != null, 3000, 'call record ended')
  const rec = await daemon.store.calls.get(call.uuid)
  t.equal(rec.outcome, 'answered')
  t.equal(rec.agentId, seeded.agent1001)
})
