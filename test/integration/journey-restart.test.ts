/**
 * Issue 4 "Proof", daemon restarted mid-wait: the real daemon process (SIGTERM, then started again) against the
 * simulator over TCP. The waiting caller keeps their place and the time waited, the announcements carry on where
 * they were (no second welcome or first message; the periodic message keeps its rhythm), then they are connected.
 * A caller already forwarded out of the queue before the restart is left alone by the new daemon.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { Store } from '../../src/store/index.js'
import { FreeSwitchSimulator } from '../../src/simulator/simulator.js'
import { DaemonProcess, writeConfig } from '../helpers/daemon-process.js'
import { VirtualTime } from '../helpers/virtual-time.js'
import { SHORT_PROMPTS_MS, files, heardOf, seed, sound, until, whenHeard } from '../helpers/journey-fixture.js'

const sv = (id: string) => sound('sv', id)
const PERIODIC_SEC = 6
const FORWARD_TO = '0709990000'

t.test('restart mid-wait: place, time waited and announcements carry on; then connected', async (t) => {
  const seeded = await seed(
    [
      {
        number: '5000',
        settings: {
          welcomePrompt: 'welcome',
          firstMessagePrompt: 'queue-first',
          periodicPrompt: 'queue-periodic',
          periodicIntervalSec: PERIODIC_SEC,
          announcePosition: true,
          positionIntervalSec: 0,
          exitKey: '0',
          exitAction: { type: 'forward', destination: FORWARD_TO },
        },
      },
    ],
    [{ extension: '1001', loggedIn: ['5000'] }],
  )
  const sim = new FreeSwitchSimulator({ sipDomain: 'default' })
  for (const [id, ms] of Object.entries(SHORT_PROMPTS_MS)) sim.fileDurations.set(sv(id), ms)
  sim.dialplan.addRoute(FORWARD_TO, () => [
    { app: 'answer', arg: '', loops: 1 },
    { app: 'park', arg: '', loops: 1 },
  ])
  const port = await sim.listen(0, '127.0.0.1')
  // The agent's phone is not registered: callers wait until it registers.
  sim.endpoint('1001', { registered: false, answerAfterMs: 200 })
  const configPath = writeConfig(seeded.dir, { dbPath: seeded.dbPath, fsPort: port })
  const db = await Store.open(seeded.dbPath)
  let daemon = new DaemonProcess(configPath)
  t.teardown(async () => {
    await daemon.stop()
    await db.close()
    await sim.close()
    rmSync(seeded.dir, { recursive: true, force: true })
  })
  await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 20_000, 'first rebuild')

  // A caller who leaves for the forward number before the restart (exit key), and the one who waits.
  const gone = sim.placeCall({ to: '5000', from: '0706000001' })
  const call = sim.placeCall({ to: '5000', from: '0706000002' })
  await whenHeard(sim, gone, sv('moh'), 8000)
  gone.pressKeys('0')
  await sim.waitFor(() => gone.channel.profile.destination === FORWARD_TO, 3000, 'forwarded')
  const goneHeard = gone.heard().length

  const periodic1 = await whenHeard(sim, call, sv('queue-periodic'), 15_000)
  await whenHeard(sim, call, sv('moh'), 3000, 2)
  const joinedAt = Number(call.variable('koplus_joined_at'))
  const seq = call.variable('koplus_seq')
  t.match(call.variable('koplus_announce') ?? '', /^v1:wf:\d+:/, 'announcements played are saved on the channel')

  const firstDaemon = daemon
  const exit = await daemon.stop()
  t.equal(exit.code, 0, 'clean exit on SIGTERM')
  await sim.waitFor(() => sim.connectionCount === 0, 3000, 'ESL connection closed')
  t.equal(call.state, 'answered', 'the caller still waits in FreeSWITCH')
  t.equal(call.channel.running?.call.app, 'playback', 'hearing music meanwhile')
  const heardBefore = call.heard().length

  daemon = new DaemonProcess(configPath)
  await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 20_000, 'rebuild after restart')
  const restoredAt = Date.now()
  const periodic2 = await whenHeard(sim, call, sv('queue-periodic'), (PERIODIC_SEC + 3) * 1000, 2)
  const after = files(call).slice(heardBefore)
  t.notOk(after.includes(sv('welcome')), 'no second welcome')
  t.notOk(after.includes(sv('queue-first')), 'no second first message')
  t.notOk(after.includes(sv('position-is')), 'the entry position announcement is not repeated')
  const due = Math.max(periodic1.startedAt + PERIODIC_SEC * 1000, restoredAt)
  t.ok(
    Math.abs(periodic2.startedAt - due) < 400,
    `the periodic message kept its rhythm: ${periodic2.startedAt - periodic1.startedAt} ms after the previous one (interval ${PERIODIC_SEC * 1000}; restored ${restoredAt - periodic1.startedAt} ms after it)`,
  )
  t.equal(call.variable('koplus_joined_at'), String(joinedAt), 'join time kept')
  t.equal(call.variable('koplus_seq'), seq, 'place kept')

  sim.register('1001')
  await call.waitForState('bridged', 8000)
  const rec = await until(
    async () => {
      const r = await db.calls.find(call.uuid)
      return r?.answeredAt != null ? r : undefined
    },
    3000,
    'answered record',
  )
  t.equal(rec.enteredQueueAt, joinedAt, 'the call record keeps the original entry time')
  const connect = (await db.events.list({ callId: call.uuid, event: 'CONNECT' }))[0]
  const waited = Math.round((call.channel.bridgedAt - joinedAt) / 1000)
  t.ok(
    Math.abs(((connect?.data as { holdSec?: number } | null)?.holdSec ?? -99) - waited) <= 1,
    `time waited came back: holdSec ${(connect?.data as { holdSec?: number } | null)?.holdSec} ≈ ${waited}`,
  )
  t.equal((await db.events.list({ callId: call.uuid, event: 'RESTORED' })).length, 1, 'RESTORED logged')
  t.equal((await db.events.list({ callId: call.uuid, event: 'ENTERQUEUE' })).length, 1, 'entered the queue once')

  // The forwarded caller was not taken back into the queue by the new daemon.
  t.equal(gone.channel.profile.destination, FORWARD_TO, 'the forwarded caller stays with the forward target')
  t.equal(gone.heard().length, goneHeard, 'and hears nothing from koplus after the restart')
  t.equal((await db.events.list({ callId: gone.uuid, event: 'RESTORED' })).length, 0, 'not restored')
  for (const [name, d] of [
    ['first', firstDaemon],
    ['second', daemon],
  ] as const) {
    const bad = d.lines.filter((l) => l.level >= 40).map((l) => `${l.msg} ${JSON.stringify(l)}`)
    t.same(bad, [], `the ${name} daemon logged no warning or error`)
  }
  t.comment(
    `timing: restart (SIGTERM → rebuilt) took ${restoredAt - (periodic1.endedAt ?? periodic1.startedAt)} ms after the periodic message`,
  )
  call.hangup()
  gone.hangup()
})

t.test('restart in-process: the periodic message keeps its interval across the restart', async (t) => {
  const { startJourney } = await import('../helpers/journey-fixture.js')
  const INTERVAL = 3
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        settings: { welcomePrompt: 'welcome', periodicPrompt: 'queue-periodic', periodicIntervalSec: INTERVAL },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  j.sim.endpoint('1001', { registered: false })
  j.daemon.dispatch({ type: 'registration', sipUser: '1001', domain: 'default', registered: false })
  const call = j.sim.placeCall({ to: '5000', from: '0706000011' })
  const p1 = await time.run(whenHeard(j.sim, call, sv('queue-periodic'), 8000))
  await time.run(whenHeard(j.sim, call, sv('moh'), 3000, 2))
  const before = call.heard().length
  await j.restart() // (on real time: virtual time stands still until the new daemon has rebuilt)
  const restoredAt = time.now()
  t.ok(
    restoredAt - p1.startedAt < INTERVAL * 1000 - 500,
    `restored ${restoredAt - p1.startedAt} ms after the periodic message, well inside its interval`,
  )
  const p2 = await time.run(whenHeard(j.sim, call, sv('queue-periodic'), (INTERVAL + 2) * 1000, 2))
  const gap = p2.startedAt - p1.startedAt
  t.ok(
    Math.abs(gap - INTERVAL * 1000) < 300,
    `the next periodic message ${gap} ms after the previous one (interval ${INTERVAL * 1000}), not at once`,
  )
  const after = files(call).slice(before)
  t.equal(after[0], sv('moh'), 'music on hold right after the restore')
  t.notOk(after.includes(sv('welcome')), 'no second welcome')
  j.sim.endpoint('1001', { registered: true, answerAfterMs: 100 })
  await time.run(call.waitForState('bridged', 5000))
  t.pass('connected after the agent registers')
  call.hangup()
})

t.test(
  'the ESL link drops while a prompt plays: after the reconnect the caller hears music again, no silence',
  async (t) => {
    const { TcpProxy } = await import('../helpers/tcp-proxy.js')
    const { startDaemon } = await import('../../src/daemon/daemon.js')
    const time = new VirtualTime()
    const seeded = await seed(
      [
        {
          number: '5000',
          settings: { firstMessagePrompt: 'queue-first', periodicPrompt: 'queue-periodic', periodicIntervalSec: 6 },
        },
      ],
      [{ extension: '1001', loggedIn: ['5000'] }],
      time.now(),
    )
    const sim = new FreeSwitchSimulator({ sipDomain: 'default', clock: time.clock })
    sim.fileDurations.set(sv('queue-first'), 1500)
    const port = await sim.listen(0, '127.0.0.1')
    sim.endpoint('1001', { registered: false })
    const proxy = new TcpProxy(port)
    const proxyPort = await proxy.listen()
    const daemon = await startDaemon(
      {
        databasePath: seeded.dbPath,
        freeswitch: {
          host: '127.0.0.1',
          port: proxyPort,
          password: 'ClueCon',
          reconnect: { initialMs: 50, maxMs: 100 },
        },
      },
      { clock: time.clock },
    )
    t.teardown(async () => {
      await daemon.stop()
      await proxy.close()
      await sim.close()
      rmSync(seeded.dir, { recursive: true, force: true })
    })
    await daemon.whenRebuilt()
    const call = sim.placeCall({ to: '5000', from: '0706000021' })
    const first = await time.run(whenHeard(sim, call, sv('queue-first'), 5000))
    proxy.down()
    await time.realUntil(() => sim.connectionCount === 0, 'link cut')
    // The first message ends while the link is down.
    await time.advance(1600)
    t.ok(heardOf(call, sv('queue-first'))[0].endedAt !== undefined, 'the first message ended during the outage')
    proxy.up()
    await time.realUntil(() => sim.connectionCount === 1, 'reconnected')
    await daemon.whenRebuilt()
    // The first message ends while (or after) the link was down; the music must follow it, not a silence until
    // the periodic message 6 s later.
    await time
      .until(
        () => call.heard().some((h) => h.file === sv('moh') && h.startedAt >= first.startedAt),
        'music after the first message',
        { maxMs: 3000 },
      )
      .catch(() => undefined)
    const moh = call.heard().find((h) => h.file === sv('moh') && h.startedAt >= first.startedAt)
    const firstEnd = heardOf(call, sv('queue-first'))[0].endedAt
    t.ok(moh, 'the caller hears music on hold after the first message')
    if (moh && firstEnd)
      t.ok(moh.startedAt - firstEnd < 500, `music ${moh.startedAt - firstEnd} ms after the first message ended`)
    t.notOk(heardOf(call, sv('queue-first'))[0].interrupted, 'the first message was not cut by the outage')
    call.hangup()
  },
)
