/**
 * Issue 4 "Proof", open with agents (Q1–Q5): what the caller hears, in order and with timing, from the real daemon
 * wiring against the FreeSWITCH simulator over TCP, and that an announcement never delays the connection.
 * Also the EWT accounting (ewt_log filled in at answer, `store.report.ewtAccuracy()`), and an English queue.
 * The daemon and the simulator run on virtual time (test/helpers/virtual-time.ts): prompts, intervals and wrap-up
 * take no wall-clock time, and every timing below is exact.
 */
import t from 'tap'
import { Store } from '../../src/store/index.js'
import type { SimCall } from '../../src/simulator/simulator.js'
import {
  assertOrder,
  assertRealFiles,
  files,
  heardOf,
  sound,
  startJourney,
  whenHeard,
} from '../helpers/journey-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const sv = (id: string) => sound('sv', id)
const PERIODIC_SEC = 5

t.test('open with agents: welcome → first message → position + wait → music → periodic → connected', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        name: 'Support',
        settings: {
          welcomePrompt: 'welcome',
          firstMessagePrompt: 'queue-first',
          periodicPrompt: 'queue-periodic',
          periodicIntervalSec: PERIODIC_SEC,
          announcePosition: true,
          positionIntervalSec: 0,
          announceWait: true,
          wrapUpSec: 1,
        },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  const { sim } = j
  const store = await Store.open(j.seeded.dbPath)
  t.teardown(() => store.close())

  // ── 1. A free agent: the call is offered as soon as the caller enters the queue, and the first message that is
  //    playing is cut the moment the agent answers.
  const a = sim.placeCall({ to: '5000', from: '0701000001' })
  await time.run(a.waitForState('bridged', 8000), 'a bridged')
  const welcomeA = heardOf(a, sv('welcome'))[0]
  t.ok(welcomeA, 'A heard the welcome')
  t.notOk(welcomeA.interrupted, 'the welcome was not cut')
  const welcomeMs = sim.fileDurationMs(sv('welcome'))!
  t.ok(
    welcomeA.endedAt! - welcomeA.startedAt >= welcomeMs - 30,
    `the welcome played in full (${welcomeA.endedAt! - welcomeA.startedAt} of ${welcomeMs} ms)`,
  )
  const firstA = heardOf(a, sv('queue-first'))[0]
  t.ok(firstA, 'A heard the start of the first message')
  t.ok(firstA.interrupted, 'the first message was cut for the connection')
  const leg = sim.channel(a.bridgedTo!)!
  const bridgeDelay = a.channel.bridgedAt - leg.answeredAt
  const firstMs = sim.fileDurationMs(sv('queue-first'))!
  t.ok(
    bridgeDelay < 150 && bridgeDelay < firstMs / 5,
    `bridged ${bridgeDelay} ms after the agent answered (prompt ${firstMs} ms)`,
  )
  t.ok(firstA.endedAt! <= a.channel.bridgedAt, 'the prompt stopped before the bridge')
  t.equal(files(a).at(-1), `bridge:${leg.uuid}`, 'after the bridge the caller hears only the agent')
  assertRealFiles(t, a, 'sv')
  t.comment(`timing: answer → bridge ${bridgeDelay} ms`)
  // A short conversation, so the queue has a handle time to estimate from.
  await time.advance(400)
  a.hangup()
  await time.until(async () => (await store.calls.find(a.uuid))?.endedAt != null, 'A ended')

  // ── 2. The agent is busy with B; C waits and hears the whole journey.
  await time.until(
    async () => (await store.events.list({ agentId: j.seeded.agents['1001'], event: 'WRAPUPEND' })).length > 0,
    'wrap-up over',
  )
  const b = sim.placeCall({ to: '5000', from: '0701000002' })
  await time.run(b.waitForState('bridged', 8000), 'b bridged')
  const c = sim.placeCall({ to: '5000', from: '0701000003' })
  await time.run(whenHeard(sim, c, sv('queue-periodic'), 12_000), 'whenHeard')
  await time.run(whenHeard(sim, c, sv('moh'), 5000, 2), 'whenHeard moh')
  const joinedAt = Number(c.variable('koplus_joined_at'))
  t.ok(joinedAt > 0, 'join time saved on the channel')
  const stillWaiting = c.state
  b.hangup() // the agent comes free (after 1 s of wrap-up) and takes C
  await time.run(c.waitForState('bridged', 8000), 'c bridged')
  t.equal(stillWaiting, 'answered', 'C waited, answered, until the agent came free')

  const heard = files(c)
  t.comment(
    c
      .heard()
      .map(
        (h) =>
          `${h.file.replace(/.*sounds\//, '')} +${h.startedAt - joinedAt}..${(h.endedAt ?? 0) - joinedAt}${h.interrupted ? ' cut' : ''}`,
      )
      .join(' | '),
  )
  assertOrder(
    t,
    heard,
    [
      sv('welcome'),
      sv('queue-first'),
      sv('position-is'),
      sv('num-1'),
      sv('wait-is'),
      sv('moh'),
      sv('queue-periodic'),
      sv('moh'),
      `bridge:${c.bridgedTo}`,
    ],
    'what C heard, in order',
  )
  const welcome = heardOf(c, sv('welcome'))[0]
  const first = heardOf(c, sv('queue-first'))[0]
  const periodic = heardOf(c, sv('queue-periodic'))[0]
  const moh = heardOf(c, sv('moh'))
  t.notOk(welcome.interrupted, 'C: welcome in full')
  t.ok(first.startedAt >= welcome.endedAt!, 'C: the first message after the welcome')
  t.notOk(first.interrupted, 'C: first message in full')
  t.ok(
    Math.abs(joinedAt - welcome.endedAt!) < 150,
    `C joined the queue when the welcome ended (Δ ${joinedAt - welcome.endedAt!} ms)`,
  )
  const position = heard.indexOf(sv('position-is'))
  t.ok(position === heard.indexOf(sv('queue-first')) + 1, 'C: the position right after the first message')
  const estimate = heard.slice(position).find((f) => /wait-(less-than-a-minute|about|more-than)\.wav$/.test(f))
  t.ok(estimate, `C: an estimated wait was announced (${estimate})`)
  t.ok(moh.length >= 2, 'C: music on hold between messages')
  t.ok(moh[0].interrupted, 'C: the music was stopped for the periodic message')
  const periodicAt = periodic.startedAt - joinedAt
  t.ok(
    Math.abs(periodicAt - PERIODIC_SEC * 1000) < 250,
    `C: the periodic message came at its interval (${periodicAt} ms after joining, interval ${PERIODIC_SEC * 1000})`,
  )
  t.ok(moh.at(-1)!.interrupted && moh.at(-1)!.endedAt! <= c.channel.bridgedAt, 'C: music stopped for the bridge')
  const legC = sim.channel(c.bridgedTo!)!
  t.ok(
    c.channel.bridgedAt - legC.answeredAt < 150,
    `C: bridged ${c.channel.bridgedAt - legC.answeredAt} ms after the agent answered`,
  )
  assertRealFiles(t, c, 'sv')
  t.comment(
    `timing: C joined ${joinedAt - welcome.startedAt} ms after the welcome began; periodic at +${periodicAt} ms`,
  )

  // ── 3. EWT accounting: the estimate announced to C was logged, and its actual wait filled in at the answer.
  c.hangup()
  await time.until(async () => (await store.calls.find(c.uuid))?.endedAt != null, 'C ended')
  const logged = await store.ewt.forCall(c.uuid)
  t.ok(logged.length >= 1, 'the announced estimate was logged (ewt_log)')
  t.ok(
    logged.every((e) => e.announcedSeconds !== null && e.actualWaitMs !== null),
    'the actual wait was filled in at the answer',
  )
  const rec = await store.calls.get(c.uuid)
  t.ok(Math.abs(logged[0].actualWaitMs! - (rec.answeredAt! - logged[0].at)) < 5, 'actual wait = answer − announcement')
  const acc = await store.report.ewtAccuracy({ queueId: j.seeded.queues['5000'] })
  t.ok(acc.n > 0, `ewtAccuracy has n = ${acc.n}`)
  t.type(acc.maeSeconds, 'number')
})

t.test('an English queue is heard in English (sounds/en)', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5001',
        settings: {
          language: 'en',
          welcomePrompt: 'welcome',
          firstMessagePrompt: 'queue-first',
          announcePosition: true,
          announceWait: true,
        },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5001'] }],
  })
  j.sim.endpoint('1001', { registered: true, neverAnswer: true })
  const c: SimCall = j.sim.placeCall({ to: '5001', from: '0701000009' })
  await time.run(whenHeard(j.sim, c, sound('en', 'moh'), 8000), 'whenHeard en')
  assertOrder(
    t,
    files(c),
    [
      sound('en', 'welcome'),
      sound('en', 'queue-first'),
      sound('en', 'position-is'),
      sound('en', 'num-1'),
      sound('en', 'moh'),
    ],
    'English journey',
  )
  assertRealFiles(t, c, 'en')
  t.notOk(
    files(c).some((f) => /\/wait-/.test(f)),
    'no basis for an estimate yet (no handled call): no wait is announced',
  )
  c.hangup()
})

t.test('a periodic message in progress is cut the moment an agent answers', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [{ number: '5000', settings: { periodicPrompt: 'queue-periodic', periodicIntervalSec: 1 } }],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
    answerAfterMs: 100,
  })
  // A long periodic message (3 s), so the answer lands in the middle of it.
  j.sim.fileDurations.set(sv('queue-periodic'), 3000)
  const agentId = j.seeded.agents['1001']
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: true, source: 'api' })
  const call = j.sim.placeCall({ to: '5000', from: '0701000021' })
  const periodic = await time.run(whenHeard(j.sim, call, sv('queue-periodic'), 5000), 'whenHeard')
  // The agent comes free while the message plays; the phone answers 100 ms after it rings.
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: false, source: 'api' })
  await time.run(call.waitForState('bridged', 3000), 'call bridged')
  const leg = j.sim.channel(call.bridgedTo!)!
  const cut = heardOf(call, sv('queue-periodic'))[0]
  t.ok(cut.interrupted, 'the periodic message was cut')
  t.ok(cut.endedAt! - periodic.startedAt < 1000, `after ${cut.endedAt! - periodic.startedAt} ms of 3000`)
  const delay = call.channel.bridgedAt - leg.answeredAt
  t.ok(delay < 150, `bridged ${delay} ms after the agent answered`)
  t.equal(files(call).at(-1), `bridge:${leg.uuid}`, 'nothing plays over the bridge')
  t.comment(`timing: periodic cut → bridge ${delay} ms after the answer`)
  call.hangup()
})

t.test('the position is announced on entry and again at its interval, as it changes', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [{ number: '5000', settings: { announcePosition: true, positionIntervalSec: 2 } }],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
    answerAfterMs: 100,
  })
  const agentId = j.seeded.agents['1001']
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: true, source: 'api' })
  const first = j.sim.placeCall({ to: '5000', from: '0701000031' })
  await time.run(whenHeard(j.sim, first, sv('moh'), 5000), 'whenHeard moh')
  const second = j.sim.placeCall({ to: '5000', from: '0701000032' })
  await time.run(
    j.sim.waitFor(
      () =>
        second
          .heard()
          .some(
            (h) => h.file === sv('moh') && h.startedAt > (heardOf(second, sv('position-is'))[0]?.startedAt ?? Infinity),
          ),
      5000,
      'music after the position',
    ),
  )
  assertOrder(
    t,
    files(second),
    [sv('position-is'), sv('num-2'), sv('moh')],
    'the second caller hears "number two" on entry',
  )
  t.equal(
    files(second)[0],
    sv('position-is'),
    'with no first message the position comes first (no music started only to be cut)',
  )
  const joined = Number(second.variable('koplus_joined_at'))
  j.daemon.dispatch({ type: 'agent-pause', agentId, paused: false, source: 'api' })
  await time.run(first.waitForState('bridged', 3000), 'first bridged') // the agent stays on this call
  const again = await time.run(whenHeard(j.sim, second, sv('position-is'), 4000, 2), 'whenHeard')
  const at = again.startedAt - joined
  t.ok(Math.abs(at - 2000) < 250, `the position again at its interval (${at} ms after joining)`)
  await time.run(
    j.sim.waitFor(
      () => second.heard().some((h) => h.file === sv('moh') && h.startedAt > again.startedAt),
      3000,
      'music after the second position',
    ),
  )
  const heard = files(second)
  t.comment(
    second
      .heard()
      .map((h) => `${h.file.replace(/.*sounds\//, '')} +${h.startedAt - joined}${h.interrupted ? ' cut' : ''}`)
      .join(' | '),
  )
  const i = heard.lastIndexOf(sv('position-is'))
  t.equal(heard[i + 1], sv('num-1'), 'now "number one"')
  first.hangup()
  second.hangup()
})
