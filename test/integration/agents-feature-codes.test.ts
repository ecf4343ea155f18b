/**
 * Issue 5 "Proof", feature codes (SPEC A1, D3, D6, D7, T4): the daemon against the FreeSWITCH simulator over TCP.
 * Every code is dialled from an authenticated SIP user (variable_sip_auth_username), and every action is checked
 * three ways: the spoken confirmation the agent heard, the daemon's live status, and SQLite.
 *
 * Queues 5000 (plays its "welcome" prompt, so a prompt recorded by phone is heard by the next caller) and 5001
 * (wrap-up 60 s). Agent 1001 (Pro) is a member of both, with a softphone 1001, a desk phone 1101 and a mobile;
 * agent 1002 is on the Basic plan.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { basename } from 'node:path'
import { sayLoggedIn } from '../../src/core/speech/index.js'
import type { SimCall } from '../../src/simulator/simulator.js'
import { startAgentsRig, type Rig } from '../helpers/agents-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const time = new VirtualTime()
const rig: Rig = await startAgentsRig({
  time,
  queues: [
    { number: '5000', name: 'Support', settings: { welcomePrompt: 'welcome' } },
    { number: '5001', name: 'Sales', settings: { wrapUpSec: 60 } },
  ],
  agents: [
    {
      extension: '1001',
      plan: 'pro',
      devices: [
        { type: 'softphone', target: '1001' },
        { type: 'deskphone', target: '1101' },
        { type: 'mobile', target: '0701000001' },
      ],
      memberOf: ['5000', '5001'],
    },
    { extension: '1002', plan: 'basic', memberOf: ['5000'] },
    { extension: '1003', plan: 'enterprise', memberOf: ['5000'] },
  ],
  phones: { '1001': {}, '1101': {}, '1002': {}, '1003': {} },
})
t.teardown(() => rig.stop())

const a1001 = rig.agentId('1001')
const a1002 = rig.agentId('1002')
const q5000 = rig.queueId('5000')
const q5001 = rig.queueId('5001')
const status = (agentId: string) => rig.daemon.status().agents.find((a) => a.agentId === agentId)!
const sessions = async (agentId: string) => (await rig.store.sessions.list({ agentId })).map((s) => s.queueId).sort()

/** Dials a feature code as SIP user `sipUser` and waits until the daemon has answered, replied and hung up. */
async function dial(code: string, sipUser: string | undefined, from = sipUser ?? '1001'): Promise<SimCall> {
  const call = rig.sim.placeCall({ to: code, from, ...(sipUser ? { sipUser } : {}) })
  await time.run(call.waitForState('hungup', 5000), 'call hungup')
  return call
}

await t.test('a spoofed caller id without sip_auth_username logs nobody in', async (t) => {
  const call = await dial('*71', undefined, '1001')
  t.equal(call.variable('sip_auth_username'), undefined, 'the INVITE was not authenticated')
  t.same(rig.heardNames(call), ['error'], 'the caller hears the error prompt')
  t.equal(status(a1001).state, 'logged-out')
  t.same(await sessions(a1001), [])
  t.ok(
    (await rig.store.events.list({ callId: call.uuid, event: 'FEATUREREFUSED' })).length === 1,
    'FEATUREREFUSED logged',
  )
})

await t.test('*71 logs in to all my queues: "Du är nu inloggad i 2 köer"', async (t) => {
  const since = time.now()
  const call = await dial('*71', '1001')
  t.same(rig.heardNames(call), sayLoggedIn(2, 'sv'), 'heard agent-logged-in-to, two, queues')
  t.same(rig.heardNames(call), ['agent-logged-in-to', 'num-2', 'queues'])
  t.equal(call.hangupCause, 'NORMAL_CLEARING', 'the daemon hangs up after the confirmation')
  t.same(status(a1001).queues, [q5000, q5001].sort())
  t.equal(status(a1001).state, 'free')
  t.same(await sessions(a1001), [q5000, q5001].sort(), 'both sessions in SQLite')
  const logins = await rig.store.events.list({ agentId: a1001, event: 'AGENTLOGIN', since })
  t.equal(logins.length, 2)
  t.ok(
    logins.every((e) => (e.data as { source?: string } | null)?.source === 'phone'),
    'source phone',
  )
})

await t.test('*72<queue> logs out of one queue, *72 of all', async (t) => {
  let call = await dial('*725000', '1001')
  t.same(rig.heardNames(call), sayLoggedIn(1, 'sv'), 'still logged in to one queue')
  t.same(await sessions(a1001), [q5001])
  t.same(status(a1001).queues, [q5001])
  call = await dial('*72', '1001')
  t.same(rig.heardNames(call), ['agent-logged-out'])
  t.same(await sessions(a1001), [])
  t.equal(status(a1001).state, 'logged-out')
})

await t.test('*71<queue> logs in to one queue; an unknown queue number is refused', async (t) => {
  let call = await dial('*719999', '1001')
  t.same(rig.heardNames(call), ['agent-unknown-queue'])
  t.same(await sessions(a1001), [])
  call = await dial('*715001', '1001')
  t.same(rig.heardNames(call), ['agent-logged-in-to', 'num-1-common', 'queue'], '"inloggad i en kö"')
  t.same(await sessions(a1001), [q5001])
  t.same(status(a1001).queues, [q5001])
})

await t.test('*73<n> chooses the device calls are delivered to; *75 ends wrap-up', async (t) => {
  let call = await dial('*732', '1001')
  t.same(rig.heardNames(call), ['agent-device-deskphone'])
  t.equal((await rig.store.agents.get(a1001)).activeDevice, 1, 'active device saved in SQLite')
  t.equal(status(a1001).activeDevice?.target, '1101')

  const caller = rig.sim.placeCall({ to: '5001', from: '0701111111' })
  await time.run(caller.waitForState('bridged', 5000), 'caller bridged')
  t.same(rig.dialled(caller.uuid), [['1101']], 'the desk phone rang, not the softphone')
  t.equal(rig.bridgedAgent(caller), a1001)
  caller.hangup()
  await time.until(() => status(a1001).state === 'wrap-up', 'wrap-up')
  t.ok(status(a1001).wrapUpEndsAt! - time.now() > 50_000, 'queue 5001 wraps up for 60 s')

  const since = time.now()
  call = await dial('*75', '1001')
  t.same(rig.heardNames(call), ['agent-wrapup-ended'])
  t.equal(status(a1001).state, 'free', 'free at once')
  const end = await rig.store.events.list({ agentId: a1001, event: 'WRAPUPEND', since })
  t.equal(end.length, 1)
  t.equal((end[0].data as { source?: string }).source, 'phone')

  call = await dial('*739', '1001')
  t.same(rig.heardNames(call), ['invalid-entry'], 'a device the agent does not have')
  t.equal((await rig.store.agents.get(a1001)).activeDevice, 1, 'unchanged')
  call = await dial('*731', '1001')
  t.same(rig.heardNames(call), ['agent-device-softphone'])
  t.equal((await rig.store.agents.get(a1001)).activeDevice, 0)
})

await t.test('*74 pauses (with a reason code) and unpauses; a paused agent is not offered calls', async (t) => {
  let call = await dial('*7412', '1001')
  t.same(rig.heardNames(call), ['agent-paused'])
  t.equal(status(a1001).state, 'paused')
  t.equal(status(a1001).pauseReason, '12')
  const s = await rig.store.sessions.list({ agentId: a1001 })
  t.ok(s.length === 1 && s[0].paused && s[0].pauseReason === '12', 'pause and reason in SQLite')

  const caller = rig.sim.placeCall({ to: '5001', from: '0702222222' })
  await time.until(() => caller.variable('koplus_seq'), 'caller queued')
  t.same(rig.dialled(caller.uuid), [], 'nobody rings while the only agent is paused')
  const q = rig.daemon.status().queues.find((x) => x.queueId === q5001)!
  t.match(
    q,
    { waiting: 1, agents: { loggedIn: 1, free: 0, paused: 1 } },
    'the queue status shows the waiting caller and the paused agent (A2)',
  )

  call = await dial('*74', '1001')
  t.same(rig.heardNames(call), ['agent-unpaused'])
  await time.run(caller.waitForState('bridged', 5000), 'caller bridged')
  t.same(rig.dialled(caller.uuid), [['1001']], 'offered as soon as the pause ended')
  t.notOk((await rig.store.sessions.list({ agentId: a1001 }))[0].paused)
  caller.hangup()
  await time.until(() => status(a1001).state === 'wrap-up', 'wrap-up')
  await dial('*75', '1001')
  t.equal(status(a1001).state, 'free')
})

await t.test('plan gate: a Basic-plan agent dialling *71 hears the refusal and is not logged in', async (t) => {
  const since = time.now()
  const call = await dial('*71', '1002')
  t.same(rig.heardNames(call), ['agent-plan-not-allowed'])
  t.equal(status(a1002).state, 'logged-out')
  t.same(await sessions(a1002), [])
  const rejected = await rig.store.events.list({ agentId: a1002, event: 'REJECTED', since })
  t.equal(rejected.length, 1)
  t.equal((rejected[0].data as { reason?: string }).reason, 'plan')
  const recording = await dial('*7915000', '1002')
  t.same(rig.heardNames(recording), ['agent-plan-not-allowed'], 'nor may a Basic agent record prompts')
})

await t.test('membership gate: *71<queue> of a queue the agent is not a member of is refused', async (t) => {
  const a1003 = rig.agentId('1003')
  const call = await dial('*715001', '1003')
  t.same(rig.heardNames(call), ['agent-not-member'])
  t.same(await sessions(a1003), [])
  const ok = await dial('*71', '1003')
  t.same(rig.heardNames(ok), sayLoggedIn(1, 'sv'), '*71 logs in to the queues the agent is a member of')
  t.same(await sessions(a1003), [q5000])
  await dial('*72', '1003')
})

await t.test('*79<n><queue>: beep, record until # (or silence), playback, 2 records again, 1 keeps', async (t) => {
  const call = rig.sim.placeCall({ to: '*7915000', from: '1001', sipUser: '1001' })
  await time.run(rig.sim.waitFor(() => call.channel.running?.call.app === 'record', 5000, 'first recording started'))
  t.same(rig.heardNames(call), ['record-after-beep', 'beep'], 'instruction, then the beep')
  const first = call.channel.running!.call.arg.split(' ')[0]
  call.talk(true)
  call.pressKeys('#')
  await time.run(
    rig.sim.waitFor(() => rig.heardNames(call).includes('record-confirm'), 5000, 'review of the first take'),
  )
  const names = rig.heardNames(call)
  t.equal(names.at(-2), basename(first).replace(/\.wav$/, ''), 'the take is played back')
  t.equal(names.at(-1), 'record-confirm', '"press 1 to keep, 2 to record again"')

  // The caller will stay silent this time: the take ends on silence (record's silence hits), not on a key.
  call.talk(false)
  call.pressKeys('2')
  await time.run(
    rig.sim.waitFor(
      () =>
        call.channel.running?.call.app === 'record' && rig.heardNames(call).filter((n) => n === 'beep').length === 2,
      5000,
      'second recording',
    ),
  )
  t.same(rig.heardNames(call).slice(-2), ['record-after-beep', 'beep'], 'the instruction and the beep again')
  const second = call.channel.running!.call.arg.split(' ')[0]
  await time.run(
    rig.sim.waitFor(
      () => rig.heardNames(call).filter((n) => n === 'record-confirm').length === 2,
      10_000,
      'review of the second take',
    ),
  )
  call.pressKeys('1')
  await time.run(call.waitForState('hungup', 5000), 'call hungup')
  t.equal(rig.heardNames(call).at(-1), 'prompt-saved', '"your message has been saved"')

  const row = await rig.store.prompts.lookup('default', q5000, 'sv', 'welcome')
  t.ok(row, 'a prompt row in SQLite')
  t.equal(row?.path, second, 'the kept take')
  t.ok(existsSync(second), 'the recording exists (its directory was created for FreeSWITCH)')
  t.equal((await rig.store.events.list({ callId: call.uuid, event: 'PROMPTRECORDED' })).length, 1)

  // The queue now plays it to callers.
  const caller = rig.sim.placeCall({ to: '5000', from: '0703333333' })
  await time.run(rig.sim.waitFor(() => caller.heard().length > 0, 5000, 'the caller hears something'))
  t.equal(caller.heard()[0].file, second, 'the next caller to 5000 hears the recorded welcome')
  caller.hangup()
})

await t.test('*79: hanging up while recording keeps nothing, and the daemon carries on', async (t) => {
  const before = (await rig.store.prompts.list()).length
  const call = rig.sim.placeCall({ to: '*7925000', from: '1001', sipUser: '1001' })
  await time.run(rig.sim.waitFor(() => call.channel.running?.call.app === 'record', 5000, 'recording'))
  call.talk(true)
  call.hangup()
  const next = await dial('*75', '1001')
  t.same(rig.heardNames(next), ['agent-wrapup-ended'], 'the next feature call is served')
  t.equal((await rig.store.prompts.list()).length, before, 'no prompt row for the abandoned recording')
  t.equal(await rig.store.prompts.lookup('default', q5000, 'sv', 'queue-first'), undefined)
})

await t.test('what agents set by phone survives a daemon restart: queues, pause and reason, device', async (t) => {
  await dial('*71', '1001')
  await dial('*732', '1001')
  await dial('*747', '1001')
  const before = status(a1001)
  t.same(before.queues, [q5000, q5001].sort())
  t.equal(before.state, 'paused')
  await rig.restartDaemon()
  const after = status(a1001)
  t.same(after.queues, [q5000, q5001].sort(), 'still logged in to both queues')
  t.equal(after.state, 'paused', 'still paused')
  t.equal(after.pauseReason, '7', 'with the reason code')
  t.equal(after.activeDevice?.target, '1101', 'on the desk phone')
  t.equal(after.registered, true, "the desk phone's registration read again at start-up")
  const call = await dial('*74', '1001')
  t.same(rig.heardNames(call), ['agent-unpaused'], 'the restarted daemon answers feature codes')
  t.equal(status(a1001).state, 'free')
})
