/**
 * Issue 3 "Proof": the real daemon process against the FreeSWITCH simulator over TCP, with a temp SQLite file.
 * Queue 5000, agents 1001 and 1002 logged in (1001 idle longest), ring time 2 s, wrap-up 1 s.
 */
import t from 'tap'
import { rmSync } from 'node:fs'
import { Store } from '../../src/store/index.js'
import type { SimCall } from '../../src/simulator/simulator.js'
import { DaemonProcess, until, writeConfig } from '../helpers/daemon-process.js'
import { RING_SEC, seedFirstCall, startSimulator } from '../helpers/first-call-fixture.js'

const seeded = await seedFirstCall()
const { sim, port } = await startSimulator()
const configPath = writeConfig(seeded.dir, { dbPath: seeded.dbPath, fsPort: port })
// A reader of the daemon's database (WAL: reads while the daemon writes).
const db = await Store.open(seeded.dbPath)
let daemon = new DaemonProcess(configPath)

t.teardown(async () => {
  await daemon.stop()
  await db.close()
  await sim.close()
  rmSync(seeded.dir, { recursive: true, force: true })
})

const agentOf = (call: SimCall): string =>
  sim.channel(call.bridgedTo ?? '')?.variables.get('koplus_agent') ?? sim.channel(call.bridgedTo ?? '')?.name ?? ''
const dialled = (callId: string): string[] =>
  sim.originates
    .filter((o) => o.arg.includes(`koplus_call=${callId}`))
    .map((o) => /\]user\/(\d+)/.exec(o.arg)?.[1] ?? '?')
const wrapUpEnded = (agentId: string, after: number) => async () =>
  (await db.events.list({ agentId, event: 'WRAPUPEND', since: after })).length > 0

await t.test('the daemon connects and rebuilds its view', async (t) => {
  await daemon.waitForLog((l) => l.msg === 'connected to FreeSWITCH', 15_000, 'connection')
  await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 5000, 'rebuild')
  t.equal(sim.connectionCount, 1)
  t.notOk(
    daemon.lines.some((l) => JSON.stringify(l).includes('ClueCon')),
    'the ESL password is never logged',
  )
})

let t0 = 0
await t.test(
  'first call: answered, music on hold, 1001 (idle longest) rings, answers, bridged; records in SQLite',
  async (t) => {
    t0 = Date.now()
    const call = sim.placeCall({ to: '5000', from: '0701234567', callerName: 'First Caller' })
    await call.waitForState('answered', 5000)
    await sim.waitFor(() => call.heard().some((h) => /moh/.test(h.file)), 5000, 'music on hold')
    await call.waitForState('bridged', 5000)
    t.same(dialled(call.uuid), ['1001'], 'only 1001 was rung')
    t.equal(agentOf(call), seeded.agent1001, 'bridged to 1001')
    const moh = call.heard().find((h) => /moh/.test(h.file))!
    t.ok(moh.endedAt !== undefined, 'the music stopped for the bridge')
    t.equal(call.variable('park_after_bridge'), 'true', 'park_after_bridge set before the bridge')
    t.match(call.variable('koplus_joined_at') ?? '', /^\d+$/, 'join time saved on the channel')
    const originate = sim.originates.find((o) => o.arg.includes(`koplus_call=${call.uuid}`))!
    t.match(originate.arg, /ignore_early_media=true/)
    t.match(originate.arg, new RegExp(`originate_timeout=${RING_SEC}`))
    t.match(originate.arg, /origination_caller_id_name='Support 0701234567'|origination_caller_id_name=.*0701234567/)

    call.hangup()
    const rec = await until(
      async () => {
        const r = await db.calls.find(call.uuid)
        return r?.endedAt != null ? r : undefined
      },
      5000,
      'call record ended',
    )
    t.equal(rec.queueId, seeded.queueId)
    t.equal(rec.agentId, seeded.agent1001)
    t.equal(rec.outcome, 'answered')
    t.equal(rec.callerNumber, '0701234567')
    t.ok(rec.answeredAt! >= rec.arrivedAt && rec.endedAt! >= rec.answeredAt!, 'arrival ≤ answer ≤ end')
    const events = (await db.events.list({ callId: call.uuid })).map((e) => e.event)
    for (const e of ['ENTERQUEUE', 'RINGING', 'CONNECT']) t.ok(events.includes(e), `event log has ${e}`)
    t.ok(
      events.some((e) => e.startsWith('COMPLETE')),
      'event log has the completion',
    )
  },
)

await t.test('second call goes to 1002', async (t) => {
  const call = sim.placeCall({ to: '5000', from: '0702222222' })
  await call.waitForState('bridged', 5000)
  t.same(dialled(call.uuid), ['1002'])
  t.equal(agentOf(call), seeded.agent1002)
  call.hangup()
  await until(async () => (await db.calls.find(call.uuid))?.endedAt != null, 5000, 'second record ended')
})

await t.test('1001 does not answer within the ring time: the offer moves to 1002', async (t) => {
  await until(wrapUpEnded(seeded.agent1001, t0), 5000, '1001 out of wrap-up')
  await until(wrapUpEnded(seeded.agent1002, t0), 5000, '1002 out of wrap-up')
  sim.endpoint('1001', { registered: true, neverAnswer: true })
  const call = sim.placeCall({ to: '5000', from: '0703333333' })
  const started = Date.now()
  await call.waitForState('bridged', (RING_SEC + 5) * 1000)
  t.same(dialled(call.uuid), ['1001', '1002'], '1001 first, then 1002')
  t.equal(agentOf(call), seeded.agent1002)
  t.ok(Date.now() - started >= RING_SEC * 1000 - 100, 'moved on only after the ring time')
  const noAnswer = await db.events.list({ callId: call.uuid, event: 'RINGNOANSWER' })
  t.equal(noAnswer.length, 1)
  t.equal(noAnswer[0].agentId, seeded.agent1001)
  call.hangup()
  await until(async () => (await db.calls.find(call.uuid))?.endedAt != null, 5000, 'third record ended')
  sim.endpoint('1001', { registered: true, answerAfterMs: 300 })
})

await t.test('daemon restarted while callers wait: they keep their places and are connected', async (t) => {
  const since = Date.now()
  await until(wrapUpEnded(seeded.agent1002, since - 5000), 5000, '1002 out of wrap-up')
  sim.endpoint('1001', { registered: true, neverAnswer: true })
  sim.endpoint('1002', { registered: true, neverAnswer: true })
  const first = sim.placeCall({ to: '5000', from: '0704444444' })
  await until(() => first.variable('koplus_seq'), 5000, 'first caller queued')
  const second = sim.placeCall({ to: '5000', from: '0705555555' })
  await until(() => second.variable('koplus_seq'), 5000, 'second caller queued')
  const joined = [first.variable('koplus_joined_at'), second.variable('koplus_joined_at')]

  const exit = await daemon.stop()
  t.equal(exit.code, 0, 'clean exit on SIGTERM')
  t.equal(first.state, 'answered', 'first caller still waiting in FreeSWITCH')
  t.equal(second.state, 'answered', 'second caller still waiting in FreeSWITCH')
  await sim.waitFor(() => sim.connectionCount === 0, 3000, 'ESL connection closed')

  // Only 1001 will answer now: whoever it gets first is the one who waited longest.
  sim.endpoint('1001', { registered: true, answerAfterMs: 200 })
  daemon = new DaemonProcess(configPath)
  await daemon.waitForLog((l) => /^rebuilt the view/.test(l.msg), 15_000, 'rebuild after restart')
  await first.waitForState('bridged', (RING_SEC * 2 + 5) * 1000)
  t.equal(agentOf(first), seeded.agent1001, 'the first caller is connected first')
  t.equal(second.state, 'answered', 'the second caller still waits')
  t.same([first.variable('koplus_joined_at'), second.variable('koplus_joined_at')], joined, 'join times kept')
  t.equal(
    (await db.calls.list({ since })).filter((r) => r.callId === first.uuid).length,
    1,
    'one call record, not a new call',
  )
  t.ok((await db.events.list({ callId: first.uuid, event: 'RESTORED' })).length === 1, 'RESTORED logged')

  first.hangup()
  sim.endpoint('1002', { registered: true, answerAfterMs: 200 })
  await second.waitForState('bridged', (RING_SEC * 2 + 5) * 1000)
  second.hangup()
  const rec = await until(
    async () => {
      const r = await db.calls.find(second.uuid)
      return r?.endedAt != null ? r : undefined
    },
    5000,
    'restored record ended',
  )
  t.equal(rec.outcome, 'answered')
})
