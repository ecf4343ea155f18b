/**
 * Issue 5 "Proof", distribution (SPEC A3, D7): parallel ringing, skills and wrap-up across two queues, with the
 * daemon against the FreeSWITCH simulator over TCP. Each scenario has its own queues and agents in one rig.
 */
import t from 'tap'
import type { SimEvent } from '../../src/simulator/serialize.js'
import { EarlyTimersClock, startAgentsRig, type Rig } from '../helpers/agents-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const time = new VirtualTime()
const rig: Rig = await startAgentsRig({
  time,
  // Every daemon timer calls back early (on the virtual clock), as Node's do now and then: decisions must not depend on luck.
  clock: new EarlyTimersClock(time.clock),
  queues: [
    {
      number: '5100',
      name: 'Parallel',
      settings: { strategy: 'ring-parallel', parallelCount: 3, ringTimeSec: 3, autoLogoutAfter: 3 },
    },
    { number: '5200', name: 'Norwegian', settings: { strategy: 'skills', requiredSkills: { norsk: 3 } } },
    { number: '5300', name: 'A', settings: { wrapUpSec: 2 } },
    { number: '5301', name: 'B', settings: { wrapUpSec: 0 } },
    { number: '5302', name: 'Long wrap-up', settings: { wrapUpSec: 60 } },
    {
      number: '5210',
      name: 'Rare skill',
      settings: { strategy: 'skills', requiredSkills: { finska: 5 }, widenSkillsAfterSec: 1 },
    },
    { number: '5310', name: 'P', settings: { priority: 5 } },
    { number: '5311', name: 'Q', settings: { priority: 0 } },
  ],
  agents: [
    // Parallel: 2001 idle longest, 2004 idle shortest (not among the 3 who ring).
    { extension: '2001', memberOf: ['5100'], loggedIn: ['5100'], loggedInAgoMs: 400_000 },
    { extension: '2002', memberOf: ['5100'], loggedIn: ['5100'], loggedInAgoMs: 300_000 },
    { extension: '2003', memberOf: ['5100'], loggedIn: ['5100'], loggedInAgoMs: 200_000 },
    { extension: '2004', memberOf: ['5100'], loggedIn: ['5100'], loggedInAgoMs: 100_000 },
    // Skills: 3001 idle longest but only level 1; 3002 has level 5.
    { extension: '3001', memberOf: ['5200'], loggedIn: ['5200'], loggedInAgoMs: 400_000, skills: { norsk: 1 } },
    {
      extension: '3002',
      memberOf: ['5200'],
      loggedIn: ['5200'],
      loggedInAgoMs: 100_000,
      skills: { norsk: 5, svenska: 2 },
    },
    // Wrap-up: 4001 alone in A and B.
    { extension: '4001', memberOf: ['5300', '5301'], loggedIn: ['5300', '5301'] },
    // Per-agent wrap-up override: none, in a queue with 60 s.
    { extension: '4002', memberOf: ['5302'], loggedIn: ['5302'], wrapUpSec: 0 },
    // Skills widening: nobody has finska 5; 3101 has finska 1.
    { extension: '3101', memberOf: ['5210'], loggedIn: ['5210'], skills: { finska: 1 } },
    // Longest-waiting caller across an agent's queues.
    { extension: '4101', memberOf: ['5310', '5311'], loggedIn: ['5310', '5311'] },
  ],
  phones: {
    '2001': { neverAnswer: true },
    '2002': { answerAfterMs: 300 },
    '2003': { neverAnswer: true },
    '2004': { answerAfterMs: 0 },
    '3001': {},
    '3002': {},
    '4001': {},
    '4002': {},
    '3101': {},
    '4101': {},
  },
})
t.teardown(() => rig.stop())

const status = (agentId: string) => rig.daemon.status().agents.find((a) => a.agentId === agentId)!
const header = (ev: SimEvent, name: string) => ev.headers.find(([k]) => k === name)?.[1]

await t.test(
  'ring-parallel 3: one originate with three legs; the first to answer wins, the others stop at once',
  async (t) => {
    const hangups = new Map<string, { cause: string; at: number }>()
    const answers = new Map<string, number>()
    const off = rig.sim.onEvent((ev) => {
      if (!ev.uuid) return
      if (ev.name === 'CHANNEL_HANGUP')
        hangups.set(ev.uuid, { cause: header(ev, 'Hangup-Cause') ?? '', at: time.now() })
      if (ev.name === 'CHANNEL_ANSWER') answers.set(ev.uuid, time.now())
    })
    t.teardown(off)
    const since = time.now()
    const call = rig.sim.placeCall({ to: '5100', from: '0701000100' })
    await time.run(call.waitForState('bridged', 5000), 'call bridged')

    const originates = rig.sim.originates.filter((o) => o.arg.includes(`koplus_call=${call.uuid}`))
    t.equal(originates.length, 1, 'one originate')
    t.same(
      rig.dialled(call.uuid),
      [['2001', '2002', '2003']],
      'the three longest-idle agents ring in parallel, 2004 does not',
    )
    const legIds = [...originates[0].arg.matchAll(/origination_uuid=([^,\]]+)/g)].map((m) => m[1])
    t.equal(legIds.length, 3)
    t.equal(rig.bridgedAgent(call), rig.agentId('2002'), '2002 answered first and has the caller')
    const winner = call.bridgedTo!
    t.equal(winner, legIds[1])

    await time.until(() => legIds.filter((l) => l !== winner).every((l) => hangups.has(l)), 'the losers hung up')
    const answeredAt = answers.get(winner)!
    for (const l of legIds.filter((l) => l !== winner)) {
      const h = hangups.get(l)!
      t.ok(['LOSE_RACE', 'ORIGINATOR_CANCEL'].includes(h.cause), `loser leg ended with ${h.cause}`)
      t.ok(h.at - answeredAt < 500, `the loser stopped ringing at once (${h.at - answeredAt} ms after the answer)`)
    }
    t.notOk(hangups.has(winner), 'the winner is still up')
    for (const ext of ['2001', '2003']) {
      t.equal(status(rig.agentId(ext)).unanswered, 0, `${ext}: losing the race is not an unanswered offer`)
      t.equal(status(rig.agentId(ext)).state, 'free', `${ext} is free again`)
    }
    t.equal(
      (await rig.store.events.list({ callId: call.uuid, event: 'RINGNOANSWER', since })).length,
      0,
      'no RINGNOANSWER logged',
    )
    t.equal(
      (await rig.store.events.list({ callId: call.uuid, event: 'RINGING', since })).length,
      3,
      'RINGING logged per leg',
    )
    call.hangup()
    await time.until(async () => (await rig.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
    t.equal((await rig.store.calls.get(call.uuid)).agentId, rig.agentId('2002'))
  },
)

await t.test('ring-parallel: a busy leg counts as unanswered, a leg that lost the race does not', async (t) => {
  await time.until(() => status(rig.agentId('2002')).state === 'free', '2002 out of wrap-up')
  rig.sim.endpoint('2003', { registered: true, reject: 'USER_BUSY' })
  rig.sim.endpoint('2004', { registered: true, answerAfterMs: 300 })
  const since = time.now()
  const call = rig.sim.placeCall({ to: '5100', from: '0701000101' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  t.same(rig.dialled(call.uuid), [['2001', '2003', '2004']], 'the three longest idle: 2002 just had a call')
  t.equal(rig.bridgedAgent(call), rig.agentId('2004'))
  const noAnswer = await rig.store.events.list({ callId: call.uuid, event: 'RINGNOANSWER', since })
  t.same(
    noAnswer.map((e) => [e.agentId, (e.data as { cause?: string }).cause]),
    [[rig.agentId('2003'), 'USER_BUSY']],
    'only the busy leg is an unanswered offer',
  )
  t.equal(status(rig.agentId('2003')).unanswered, 1, '2003 (busy) counted')
  t.equal(status(rig.agentId('2001')).unanswered, 0, '2001 (lost the race) not counted')
  call.hangup()
  await time.until(async () => (await rig.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
})

await t.test(
  'skills: the agent with the required level gets the call although another has been idle longer',
  async (t) => {
    const call = rig.sim.placeCall({ to: '5200', from: '0701000200' })
    await time.run(call.waitForState('bridged', 5000), 'call bridged')
    t.same(rig.dialled(call.uuid), [['3002']], 'only 3002 (norsk 5 ≥ 3) rang; 3001 (norsk 1) idle longer did not')
    t.equal(rig.bridgedAgent(call), rig.agentId('3002'))
    call.hangup()
    await time.until(async () => (await rig.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
  },
)

await t.test(
  'wrap-up across two queues: after a call from A the agent gets no call from B until wrap-up ends',
  async (t) => {
    const a4001 = rig.agentId('4001')
    const first = rig.sim.placeCall({ to: '5300', from: '0701000300' })
    await time.run(first.waitForState('bridged', 5000), 'first bridged')
    first.hangup()
    await time.until(() => status(a4001).state === 'wrap-up', 'wrap-up after the call from A')
    const wrapStart = time.now()
    const wrapEndsAt = status(a4001).wrapUpEndsAt!

    const second = rig.sim.placeCall({ to: '5301', from: '0701000301' })
    await time.until(() => second.variable('koplus_seq'), 'B caller queued')
    t.same(rig.dialled(second.uuid), [], 'no offer from B during wrap-up')
    t.equal(status(a4001).state, 'wrap-up')
    await time.run(second.waitForState('bridged', 5000), 'second bridged')
    t.ok(
      time.now() >= wrapEndsAt - 60,
      `offered only when wrap-up ended (${time.now() - wrapStart} ms into a 2 s wrap-up)`,
    )
    t.same(rig.dialled(second.uuid), [['4001']])
    const log = await rig.store.events.list({ agentId: a4001, since: wrapStart })
    const wrapUpEnd = log.findIndex((e) => e.event === 'WRAPUPEND')
    t.ok(
      wrapUpEnd >= 0 && wrapUpEnd < log.findIndex((e) => e.event === 'RINGING' && e.callId === second.uuid),
      'WRAPUPEND before the RINGING for B',
    )
    second.hangup()
    await time.until(() => status(a4001).state === 'free', 'B has no wrap-up: free again')
  },
)

await t.test("an agent's own wrap-up time overrides the queue's", async (t) => {
  const a4002 = rig.agentId('4002')
  const since = time.now()
  const call = rig.sim.placeCall({ to: '5302', from: '0701000302' })
  await time.run(call.waitForState('bridged', 5000), 'call bridged')
  call.hangup()
  await time.until(async () => (await rig.store.calls.find(call.uuid))?.endedAt != null, 'call record ended')
  t.equal(status(a4002).state, 'free', 'free at once (agent 0 s, queue 60 s)')
  t.notOk((await rig.agentEvents(a4002, since)).includes('WRAPUPSTART'), 'no wrap-up')
})

await t.test(
  'skills widened after the wait: with nobody at the required level, an agent below it is offered after 1 s',
  async (t) => {
    const since = time.now()
    const call = rig.sim.placeCall({ to: '5210', from: '0701000210' })
    await time.until(() => call.variable('koplus_seq'), 'caller queued')
    t.same(rig.dialled(call.uuid), [], 'nobody meets finska 5: not offered at once')
    await time.run(call.waitForState('bridged', 5000), 'call bridged')
    const waited = time.now() - Number(call.variable('koplus_joined_at'))
    t.ok(waited >= 950, `offered after the widening time (${waited} ms)`)
    t.same(rig.dialled(call.uuid), [['3101']])
    t.comment(`widened after ${time.now() - since} ms`)
    call.hangup()
  },
)

await t.test(
  'an agent in two queues gets the caller who has waited longest of both, whatever the queue priority',
  async (t) => {
    const a4101 = rig.agentId('4101')
    rig.daemon.dispatch({ type: 'agent-pause', agentId: a4101, paused: true, source: 'api' })
    const q = rig.sim.placeCall({ to: '5311', from: '0701000311' })
    await time.until(() => q.variable('koplus_seq'), 'Q caller queued')
    await time.advance(1000) // Q has waited a second longer (on virtual time both would otherwise join at one instant)
    const p = rig.sim.placeCall({ to: '5310', from: '0701000310' })
    await time.until(() => p.variable('koplus_seq'), 'P caller queued')
    rig.daemon.dispatch({ type: 'agent-pause', agentId: a4101, paused: false, source: 'api' })
    await time.run(q.waitForState('bridged', 5000), 'q bridged')
    t.same(rig.dialled(q.uuid), [['4101']], 'the Q caller (waited longer) first, though P has the higher priority')
    t.same(rig.dialled(p.uuid), [], 'the P caller waits')
    q.hangup()
    await time.run(p.waitForState('bridged', 5000), 'p bridged')
    t.same(rig.dialled(p.uuid), [['4101']], 'then the P caller, after wrap-up')
    p.hangup()
  },
)

await t.test('ring time is per queue', async (t) => {
  const byQueue = (n: string) =>
    rig.sim.originates.find((o) => o.arg.includes(`koplus_queue_id=${rig.queueId(n)}`))?.arg ?? ''
  t.match(byQueue('5100'), /originate_timeout=3[,}]/, '5100 rings 3 s')
  t.match(byQueue('5200'), /originate_timeout=2[,}]/, '5200 rings 2 s')
})
