/**
 * Issue 5 "Proof", reality checks on agents (SPEC D6, D8, T1–T3): auto-logout after unanswered offers, devices
 * that are not registered, mobile answer confirmation (a voicemail never presses 1), the whisper, and the licence
 * report — the daemon against the FreeSWITCH simulator over TCP.
 */
import { FAILED_DEVICE_PAUSE_MS } from '../../src/core/engine/engine-state.js'
import t from 'tap'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DEFAULT_SOUNDS_DIR } from '../../src/config/paths.js'
import { makeWav } from '../../src/simulator/wav.js'
import { registerHeaders } from '../../src/simulator/registrations.js'
import { startAgentsRig, until, type Rig } from '../helpers/agents-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const MOBILE_VM = '0701700001'
const MOBILE_OK = '0701700002'
const MOBILE_VM2 = '0701710001'
const time = new VirtualTime()
const rig: Rig = await startAgentsRig({
  time,
  queues: [
    { number: '5400', name: 'Auto', settings: { ringTimeSec: 1, autoLogoutAfter: 2, wrapUpSec: 0 } },
    { number: '5401', name: 'Auto B', settings: { wrapUpSec: 0 } },
    { number: '5500', name: 'Reg', settings: { wrapUpSec: 0 } },
    { number: '5600', name: 'Mobile', settings: { ringTimeSec: 5, wrapUpSec: 0, confirmOn: ['mobile'] } },
    { number: '5700', name: 'Whisper', settings: { whisper: true, wrapUpSec: 0 } },
    { number: '5800', name: 'Busy', settings: { wrapUpSec: 0 } },
    {
      number: '5610',
      name: 'Mobile parallel',
      settings: { strategy: 'ring-parallel', parallelCount: 2, ringTimeSec: 5, wrapUpSec: 0 },
    },
  ],
  agents: [
    // Auto-logout: 5001 idle longest, phone busy; 5002 answers.
    { extension: '5001', memberOf: ['5400', '5401'], loggedIn: ['5400', '5401'], loggedInAgoMs: 400_000 },
    { extension: '5002', memberOf: ['5400'], loggedIn: ['5400'], loggedInAgoMs: 100_000 },
    // Registration: 6001 idle longest.
    { extension: '6001', memberOf: ['5500'], loggedIn: ['5500'], loggedInAgoMs: 400_000 },
    { extension: '6002', memberOf: ['5500'], loggedIn: ['5500'], loggedInAgoMs: 100_000 },
    // Mobiles: 7001 (idle longest) reaches a voicemail, 7002 presses 1.
    {
      extension: '7001',
      devices: [{ type: 'mobile', target: MOBILE_VM }],
      memberOf: ['5600'],
      loggedIn: ['5600'],
      loggedInAgoMs: 400_000,
    },
    {
      extension: '7002',
      devices: [{ type: 'mobile', target: MOBILE_OK }],
      memberOf: ['5600'],
      loggedIn: ['5600'],
      loggedInAgoMs: 100_000,
    },
    { extension: '8001', memberOf: ['5700'], loggedIn: ['5700'] },
    // Device in use: 8101 idle longest, but on a private call.
    { extension: '8101', memberOf: ['5800'], loggedIn: ['5800'], loggedInAgoMs: 400_000 },
    { extension: '8102', memberOf: ['5800'], loggedIn: ['5800'], loggedInAgoMs: 100_000 },
    // Parallel ringing with a mobile that reaches a voicemail (7101, idle longest) and a softphone (7102).
    {
      extension: '7101',
      devices: [{ type: 'mobile', target: MOBILE_VM2 }],
      memberOf: ['5610'],
      loggedIn: ['5610'],
      loggedInAgoMs: 400_000,
    },
    { extension: '7102', memberOf: ['5610'], loggedIn: ['5610'], loggedInAgoMs: 100_000 },
    // Licences: 9001 is in no queue.
    { extension: '9001', memberOf: [] },
  ],
  phones: {
    '5001': { reject: 'USER_BUSY' },
    '5002': {},
    '6001': {},
    '6002': {},
    '8001': {},
    '8101': {},
    '8102': {},
    '7102': { answerAfterMs: 800 },
  },
  patterns: [
    // A voicemail: answers after a short ring and plays its greeting; never presses a key.
    { pattern: `sofia/gateway/default/${MOBILE_VM}`, behaviour: { answerAfterMs: 200 } },
    { pattern: `sofia/gateway/default/${MOBILE_VM2}`, behaviour: { answerAfterMs: 200 } },
    {
      pattern: `sofia/gateway/default/${MOBILE_OK}`,
      behaviour: { answerAfterMs: 200, pressKeys: { keys: '1', afterMs: 150 } },
    },
  ],
})
t.teardown(() => rig.stop())

const status = (agentId: string) => rig.daemon.status().agents.find((a) => a.agentId === agentId)!

await t.test(
  'auto-logout after 2 consecutive unanswered offers (busy, then no answer): out of every queue',
  async (t) => {
    const a5001 = rig.agentId('5001')
    const since = time.now()
    const first = rig.sim.placeCall({ to: '5400', from: '0701000400' })
    await time.run(first.waitForState('bridged', 5000), 'first bridged')
    t.same(rig.dialled(first.uuid), [['5001'], ['5002']], '5001 (busy) first, then 5002')
    t.equal(status(a5001).unanswered, 1, 'busy counts as unanswered')
    t.same(status(a5001).queues.length, 2, 'still logged in after one')
    first.hangup()
    await time.until(() => status(rig.agentId('5002')).state === 'free', '5002 free')

    rig.sim.endpoint('5001', { registered: true, neverAnswer: true })
    // a phone that answered busy is not rung again for FAILED_DEVICE_PAUSE_MS (no originate storm)
    await time.advance(FAILED_DEVICE_PAUSE_MS)
    const second = rig.sim.placeCall({ to: '5400', from: '0701000401' })
    await time.run(second.waitForState('bridged', 6000), 'second bridged')
    t.same(rig.dialled(second.uuid), [['5001'], ['5002']], '5001 rang out (no answer), then 5002')
    const s = status(a5001)
    t.equal(s.state, 'logged-out', 'logged out')
    t.same(s.queues, [], 'of every queue, 5401 too')
    t.match(s.autoLogoutReason ?? '', /2 unanswered/, 'the reason shows in the status')
    t.same(await rig.store.sessions.list({ agentId: a5001 }), [], 'sessions gone from SQLite')
    const auto = await rig.store.events.list({ agentId: a5001, event: 'AUTOLOGOUT', since })
    t.equal(auto.length, 1, 'AUTOLOGOUT in the event log')
    t.match((auto[0].data as { reason?: string }).reason ?? '', /unanswered/)
    t.equal(
      (await rig.store.events.list({ agentId: a5001, event: 'AGENTLOGOFF', since })).length,
      2,
      'AGENTLOGOFF for both queues',
    )
    const causes = (await rig.store.events.list({ agentId: a5001, event: 'RINGNOANSWER', since })).map(
      (e) => (e.data as { cause?: string }).cause,
    )
    t.same(causes, ['USER_BUSY', 'NO_ANSWER'])
    second.hangup()
  },
)

await t.test('an unregistered device is not offered calls, and is again after it registers', async (t) => {
  const a6001 = rig.agentId('6001')
  t.equal(status(a6001).registered, true, 'registered at start-up (read with show registrations)')
  rig.sim.unregister('6001')
  await time.until(() => status(a6001).registered === false, 'sofia::unregister seen')
  let call = rig.sim.placeCall({ to: '5500', from: '0701000500' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['6002']], '6001 (idle longest but unregistered) was skipped')
  call.hangup()
  await time.until(() => status(rig.agentId('6002')).state === 'free', '6002 free')

  rig.sim.register('6001')
  await time.until(() => status(a6001).registered === true, 'sofia::register seen')
  call = rig.sim.placeCall({ to: '5500', from: '0701000501' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['6001']], 'offered again once registered')
  call.hangup()
  await time.until(() => status(a6001).state === 'free', '6001 free')

  rig.sim.expire('6001')
  await time.until(() => status(a6001).registered === false, 'sofia::expire seen')
  call = rig.sim.placeCall({ to: '5500', from: '0701000502' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['6002']], 'an expired registration is skipped too')
  call.hangup()
  await time.until(() => status(rig.agentId('6002')).state === 'free', '6002 free')

  // The phone reboots: it registers again with a new Call-ID without unregistering the old one, and the old
  // registration expires ~90 s later (inbound-registration). The phone is registered all along.
  rig.sim.register('6001')
  const oldCallId = rig.sim.registrations().find((u) => u.user === '6001')!.callId
  rig.sim.register('6001')
  await time.until(() => status(a6001).registered === true, 'registered')
  const current = rig.sim.registrations().find((u) => u.user === '6001')!
  t.not(current.callId, oldCallId, 'a new Call-ID')
  const stale = { ...current, callId: oldCallId }
  const h = rig.sim.baseHeaders('CUSTOM', 'sofia::expire')
  rig.sim.emit({
    name: 'CUSTOM',
    subclass: 'sofia::expire',
    headers: [
      ['Event-Subclass', 'sofia::expire'],
      ...h,
      ...registerHeaders(stale, 'expire', Math.floor(time.now() / 1000)),
    ],
  })
  const probe = rig.sim.placeCall({ to: '5500', from: '0701000503' })
  await time.run(probe.waitForState('bridged', 5000), 'probe bridged')
  t.equal(status(a6001).registered, true, 'the old contact expiring does not unregister the phone')
  t.same(rig.dialled(probe.uuid), [['6001']], 'and it is still offered calls')
  probe.hangup()
})

/** The confirmation prompt ("Samtal från kön. Tryck 1 för att ta samtalet") lasts about as long as the real one. */
const CONFIRM_PROMPT_MS = 2500

await t.test(
  'mobile confirmation: a voicemail that never presses 1 does not take the caller; an agent who presses 1 does',
  async (t) => {
    rig.sim.fileDurations.set(join(DEFAULT_SOUNDS_DIR, 'sv', 'agent-offer-mobile.wav'), CONFIRM_PROMPT_MS)
    const a7001 = rig.agentId('7001')
    const since = time.now()
    const call = rig.sim.placeCall({ to: '5600', from: '0701000600' })
    await time.run(call.waitForState('bridged', 20_000), 'call bridged')
    const took = time.now() - since
    t.same(rig.dialled(call.uuid), [[MOBILE_VM], [MOBILE_OK]], 'the voicemail mobile first, then the next agent')
    t.equal(rig.bridgedAgent(call), rig.agentId('7002'), 'the agent who pressed 1 (during the prompt) has the caller')
    const missed = await rig.store.events.list({ callId: call.uuid, event: 'RINGNOANSWER', since })
    t.equal(missed.length, 1)
    t.equal(missed[0].agentId, a7001)
    t.match(missed[0].data, { reason: 'not confirmed', answered: true }, 'answered but not confirmed')
    t.equal(status(a7001).unanswered, 1, 'counts as unanswered')
    const legs = rig.sim.originates.filter((o) => o.arg.includes(`koplus_call=${call.uuid}`))
    const vmLeg = /origination_uuid=([^,\]]+)/.exec(legs[0].arg)![1]
    const okLeg = /origination_uuid=([^,\]]+)/.exec(legs[1].arg)![1]
    t.equal(call.bridgedTo, okLeg)
    const heardByOk = rig.sim.channel(okLeg)!.heard
    const offer = heardByOk.find((h) => /agent-offer-mobile/.test(h.file))
    t.ok(offer, 'the confirming agent heard "press 1 to take the call"')
    t.ok(offer?.interrupted, 'pressing 1 cut the prompt short')
    t.equal(rig.sim.channel(vmLeg), undefined, 'the voicemail leg was hung up')
    t.ok(took < 15_000, `the offer moved on when the voicemail did not confirm, not after a long timeout (${took} ms)`)
    t.comment(`voicemail → next agent bridged in ${took} ms`)
    call.hangup()
    await time.until(async () => (await rig.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
  },
)

await t.test(
  'mobile confirmation: an agent who presses 1 a moment after the prompt ended still gets the caller',
  async (t) => {
    // Only 7002 is tried first now (7001 was tried and missed; both are free, 7002 idle shorter): make 7001 a
    // person too, pressing 1 one second after the prompt ended.
    rig.sim.endpoint(`sofia/gateway/default/${MOBILE_VM}`, {
      answerAfterMs: 200,
      pressKeys: { keys: '1', afterMs: CONFIRM_PROMPT_MS + 1000 },
    })
    rig.sim.endpoint(`sofia/gateway/default/${MOBILE_OK}`, {
      answerAfterMs: 200,
      pressKeys: { keys: '1', afterMs: CONFIRM_PROMPT_MS + 1000 },
    })
    const call = rig.sim.placeCall({ to: '5600', from: '0701000601' })
    await time.run(call.waitForState('bridged', 10_000), 'call bridged')
    t.equal(rig.dialled(call.uuid).length, 1, 'the first agent offered took the call')
    call.hangup()
  },
)

await t.test(
  'parallel ringing with a mobile: a voicemail answering first does not stop the other phone ringing',
  async (t) => {
    rig.sim.fileDurations.set(join(DEFAULT_SOUNDS_DIR, 'sv', 'agent-offer-mobile.wav'), CONFIRM_PROMPT_MS)
    const a7102 = rig.agentId('7102')
    const hangups = new Map<string, string>()
    const off = rig.sim.onEvent((ev) => {
      if (ev.name === 'CHANNEL_HANGUP' && ev.uuid)
        hangups.set(ev.uuid, ev.headers.find(([k]) => k === 'Hangup-Cause')?.[1] ?? '')
    })
    t.teardown(off)
    const call = rig.sim.placeCall({ to: '5610', from: '0701000610' })
    await time.run(call.waitForState('bridged', 10_000), 'call bridged')
    t.equal(rig.bridgedAgent(call), a7102, 'the softphone agent, who really answered, has the caller')
    const rang7102 = rig.dialled(call.uuid).filter((targets) => targets.includes('7102')).length
    t.equal(rang7102, 1, '7102 rang once: its ringing was not cut by the voicemail answering')
    const legs = rig.sim.originates
      .filter((o) => o.arg.includes(`koplus_call=${call.uuid}`))
      .flatMap((o) => [...o.arg.matchAll(/origination_uuid=([^,\]]+)/g)].map((m) => m[1]))
    t.notOk(
      legs.some((l) => hangups.get(l) === 'LOSE_RACE' && l === call.bridgedTo),
      'the winner never lost a race',
    )
    t.equal(status(rig.agentId('7101')).unanswered, 0, 'the voicemail leg lost to a real answer: not counted')
    call.hangup()
  },
)

await t.test('whisper: the agent hears the queue name, then is bridged', async (t) => {
  // The queue's name as an imported prompt (D3), as an operator would upload it.
  const file = join(rig.dir, 'queue-name-5700.wav')
  writeFileSync(file, makeWav(300))
  await rig.store.prompts.put({
    tenantId: 'default',
    queueId: rig.queueId('5700'),
    language: 'sv',
    name: 'queue-name',
    path: file,
  })
  await rig.daemon.reloadConfig()
  const call = rig.sim.placeCall({ to: '5700', from: '0701000700' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.equal(rig.bridgedAgent(call), rig.agentId('8001'))
  const leg = rig.sim.channel(call.bridgedTo!)!
  const whisper = leg.heard.find((h) => h.file === file)
  t.ok(whisper, 'the agent heard the queue name')
  t.ok(
    whisper && whisper.endedAt !== undefined && leg.bridgedAt !== undefined && whisper.endedAt <= leg.bridgedAt,
    'before the bridge',
  )
  call.hangup()
})

await t.test('an agent whose phone is on a private call is skipped until it hangs up', async (t) => {
  const a8101 = rig.agentId('8101')
  // An outside number that answers (the agent calls a customer directly, not through a queue).
  rig.sim.dialplan.addRoute('0709000000', () => [
    { app: 'answer', arg: '', loops: 1 },
    { app: 'park', arg: '', loops: 1 },
  ])
  const privateCall = rig.sim.placeCall({ to: '0709000000', from: '8101', sipUser: '8101' })
  await time.run(privateCall.waitForState('answered', 3000), 'privateCall answered')
  await until(() => status(a8101).deviceBusy, 3000, "8101's phone seen busy")
  let call = rig.sim.placeCall({ to: '5800', from: '0701000800' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['8102']], '8101 (idle longest, phone in use) was skipped')
  call.hangup()
  await time.until(() => status(rig.agentId('8102')).state === 'free', '8102 free')

  privateCall.hangup()
  await until(() => !status(a8101).deviceBusy, 3000, "8101's phone free again")
  call = rig.sim.placeCall({ to: '5800', from: '0701000801' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['8101']], 'offered again once the private call ended')
  call.hangup()
  await time.until(() => status(a8101).state === 'free', '8101 free')

  // A private call already up when the daemon starts is found in FreeSWITCH (show channels + uuid_dump).
  const again = rig.sim.placeCall({ to: '0709000000', from: '8101', sipUser: '8101' })
  await time.run(again.waitForState('answered', 3000), 'again answered')
  await until(() => status(a8101).deviceBusy, 3000, "8101's phone seen busy")
  await rig.restartDaemon()
  t.equal(status(a8101).deviceBusy, true, 'still known to be in use after a restart')
  again.hangup()
  await until(() => !status(a8101).deviceBusy, 3000, "8101's phone free again after the restart")
  t.equal(status(a8101).deviceBusy, false, 'and free again when that call ends')
})

await t.test("the licence report lists this month's members, one row per user", async (t) => {
  // 6002 was also a member of queue 5400 for a while last month only: no extra row, no extra licence.
  // Months are those of the report's zone (Europe/Stockholm) around the moment the rig seeded its members, so the
  // test holds in any month, on any host time zone.
  const thisMonth = monthIn(time.now(), 'Europe/Stockholm')
  const lastMonth = previousMonth(thisMonth)
  const lastFrom = Date.parse(`${lastMonth}-05T10:00:00Z`)
  const lastTo = Date.parse(`${lastMonth}-06T10:00:00Z`)
  await rig.store.memberships.add(rig.agentId('6002'), rig.queueId('5400'), lastFrom)
  await rig.store.memberships.remove(rig.agentId('6002'), rig.queueId('5400'), lastTo)
  const rows = await rig.store.report.licences(thisMonth)
  const exts = rows.map((r) => r.extension).sort()
  t.same(
    exts,
    ['5001', '5002', '6001', '6002', '7001', '7002', '7101', '7102', '8001', '8101', '8102'],
    'every member this month, 9001 (no queue) not',
  )
  t.equal(new Set(rows.map((r) => r.agentId)).size, rows.length, 'one row per user')
  t.equal(rows.find((r) => r.extension === '5001')?.queues, 2, '5001: two queues, one licence')
  t.equal(
    rows.find((r) => r.extension === '6002')?.queues,
    1,
    "6002's membership of last month does not count this month",
  )
  const previous = await rig.store.report.licences(lastMonth)
  t.same(
    previous.map((r) => r.extension),
    ['6002'],
    'last month: only 6002',
  )
})

/** 'YYYY-MM' of an instant in a time zone. */
function monthIn(at: number, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit' }).formatToParts(at)
  return `${parts.find((p) => p.type === 'year')!.value}-${parts.find((p) => p.type === 'month')!.value}`
}

/** The month before 'YYYY-MM'. */
function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number]
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`
}
