/**
 * The daemon wiring in-process (startDaemon) against the simulator over TCP: the quick companion of
 * first-call.test.ts, which runs the real daemon process. Daemon and simulator share virtual time
 * (test/helpers/virtual-time.ts); the ESL client's reconnect back-off stays on real time.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { startDaemon } from '../../src/daemon/daemon.js'
import { Store } from '../../src/store/index.js'
import { seedFirstCall, startSimulator, RING_SEC } from '../helpers/first-call-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

t.test('a queue call reaches the longest-idle agent; restart mid-wait keeps the caller', async (t) => {
  const time = new VirtualTime()
  const seeded = await seedFirstCall(time.now())
  const { sim, port } = await startSimulator(time.clock)
  t.teardown(async () => {
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  const settings = { databasePath: seeded.dbPath, freeswitch: { host: '127.0.0.1', port, password: 'ClueCon' } }
  let daemon = await startDaemon(settings, { clock: time.clock })
  await daemon.whenRebuilt()

  const call = sim.placeCall({ to: '5000', from: '0701234567' })
  await time.run(call.waitForState('bridged', 5000))
  const leg = sim.call(call.bridgedTo!)!
  t.match(leg.channel.name, /1001/, 'bridged to 1001, idle longest')
  t.ok(
    call.heard().some((h) => /moh/.test(h.file)),
    'the caller heard music on hold',
  )
  call.hangup()
  await time.until(async () => (await daemon.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
  const rec = await daemon.store.calls.get(call.uuid)
  t.equal(rec.outcome, 'answered')
  t.equal(rec.agentId, seeded.agent1001)

  // Restart mid-wait: 1002 will not answer at first; the caller waits while the daemon restarts.
  sim.endpoint('1001', { registered: true, neverAnswer: true })
  sim.endpoint('1002', { registered: true, neverAnswer: true })
  const second = sim.placeCall({ to: '5000', from: '0709999999' })
  await time.run(second.waitForState('answered', 3000))
  await daemon.stop()
  t.equal(second.state === 'hungup', false, 'the caller is untouched by the stop')
  sim.endpoint('1001', { registered: true, answerAfterMs: 200 })
  sim.endpoint('1002', { registered: true, answerAfterMs: 200 })
  daemon = await startDaemon(settings, { clock: time.clock })
  t.teardown(() => daemon.stop())
  await daemon.whenRebuilt() // (on real time: virtual time stands still while the new daemon connects)
  await time.run(second.waitForState('bridged', (RING_SEC + 4) * 1000))
  t.pass('restored caller connected after the restart')
  second.hangup()
  await time.until(async () => (await daemon.store.calls.find(second.uuid))?.endedAt != null, 'second record ended')
  const store = await Store.open(seeded.dbPath)
  t.teardown(() => store.close())
  t.ok((await store.events.list({ callId: call.uuid })).length > 0, 'event log rows')
})

t.test(
  'the ESL connection is lost and comes back: waiting callers carry on, a caller who left meanwhile is closed',
  async (t) => {
    const { TcpProxy } = await import('../helpers/tcp-proxy.js')
    const time = new VirtualTime()
    const seeded = await seedFirstCall(time.now())
    const { sim, port } = await startSimulator(time.clock)
    const proxy = new TcpProxy(port)
    const proxyPort = await proxy.listen()
    t.teardown(async () => {
      await proxy.close()
      await sim.close()
      rmSync(seeded.dir, { recursive: true, force: true })
    })
    sim.endpoint('1001', { registered: true, neverAnswer: true })
    sim.endpoint('1002', { registered: true, neverAnswer: true })
    const daemon = await startDaemon(
      {
        databasePath: seeded.dbPath,
        freeswitch: {
          host: '127.0.0.1',
          port: proxyPort,
          password: 'ClueCon',
          reconnect: { initialMs: 50, maxMs: 200 },
        },
      },
      { clock: time.clock },
    )
    t.teardown(() => daemon.stop())
    await daemon.whenRebuilt()
    const stays = sim.placeCall({ to: '5000', from: '0701111111' })
    const leaves = sim.placeCall({ to: '5000', from: '0702222222' })
    await time.until(() => !!stays.variable('koplus_seq') && !!leaves.variable('koplus_seq'), 'both queued')

    proxy.down()
    await time.realUntil(() => sim.connectionCount === 0, 'link cut')
    t.equal(daemon.freeswitch.connected, false, 'the daemon knows it is disconnected')
    leaves.hangup() // while koplus cannot see it
    sim.endpoint('1001', { registered: true, answerAfterMs: 100 })
    proxy.up()
    await time.realUntil(() => sim.connectionCount === 1, 'reconnected')
    await daemon.whenRebuilt()
    t.equal(daemon.freeswitch.connected, true)
    await time.run(stays.waitForState('bridged', (RING_SEC * 2 + 4) * 1000))
    t.pass('the waiting caller was connected after the reconnect')
    const gone = await daemon.store.calls.find(leaves.uuid)
    t.ok(gone?.endedAt != null, 'the caller who hung up during the outage has an ended record')
    t.not(gone?.outcome, 'answered')
    stays.hangup()
  },
)
