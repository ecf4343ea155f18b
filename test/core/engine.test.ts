import t from 'tap'
import { FAILED_DEVICE_PAUSE_MS } from '../../src/core/engine/engine-state.js'
import { agent, config, DOMAIN, Harness, lastOriginate, logs, ofType, queue, T0 } from './harness.js'
import { CONFIRM_READ_TIMEOUT_SEC } from '../../src/core/engine/call-center.js'

t.test(
  'one call end to end: arrive, welcome, queue, offer to the longest idle, bridge, hang up, wrap-up, free',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config(
        [queue('q1', '5000', { welcomePrompt: 'welcome', firstMessagePrompt: 'queue-first', wrapUpSec: 30 })],
        [agent('a1'), agent('a2')],
      ),
    })
    h.startAgents(['a1'])
    h.now += 5000
    h.startAgents(['a2'])

    let out = h.arrive('c1', '5000')
    t.same(
      out.map((c) => c.type).filter((x) => x !== 'log' && x !== 'call-record'),
      ['answer', 'play'],
      'answered, then the welcome',
    )
    const welcome = ofType(out, 'play')[0]
    t.same(welcome.files, ['sv/welcome.wav'])
    t.equal(ofType(out, 'originate').length, 0, 'nobody rings during the welcome')

    h.now += 3000
    out = h.send({ type: 'prompt-finished', callId: 'c1', token: welcome.token, interrupted: false })
    t.equal(logs(out, 'ENTERQUEUE').length, 1)
    t.same(ofType(out, 'call-record')[0].record, { callId: 'c1', enteredQueueAt: h.now })
    t.same(ofType(out, 'play')[0].files, ['sv/queue-first.wav'], 'first message on entry')
    const vars = ofType(out, 'set-vars')[0].vars
    t.equal(vars.koplus_joined_at, String(h.now))
    t.equal(vars.koplus_seq, '1')
    t.match(vars.koplus_announce, /^v1:wf:/)
    const o = lastOriginate(out)!
    t.ok(o, 'an agent rings at once')
    t.equal(o.legs.length, 1)
    t.equal(o.legs[0].agentId, 'a1', 'a1 has been idle longest')
    t.equal(o.legs[0].dialString, `user/a1@${DOMAIN}`)
    t.equal(o.timeoutSec, 20)
    t.equal(h.agentState('a1'), 'ringing')

    h.now += 4000
    out = h.send({ type: 'leg-answered', legId: o.legs[0].legId })
    const types = out.map((c) => c.type)
    t.ok(
      types.indexOf('stop-audio') >= 0 && types.indexOf('stop-audio') < types.indexOf('bridge'),
      'audio stopped before the bridge',
    )
    t.same(ofType(out, 'bridge')[0], { type: 'bridge', callId: 'c1', legId: o.legs[0].legId })
    out = h.send({ type: 'bridged', callId: 'c1', legId: o.legs[0].legId })
    t.equal(logs(out, 'CONNECT').length, 1)
    t.equal(h.agentState('a1'), 'on-call')
    t.equal(h.status().queues[0].waiting, 0)

    h.now += 60_000
    out = h.send({ type: 'leg-hungup', legId: o.legs[0].legId, cause: 'NORMAL_CLEARING' })
    t.equal(logs(out, 'COMPLETEAGENT').length, 1)
    t.equal(logs(out, 'WRAPUPSTART').length, 1)
    t.equal(h.agentState('a1'), 'wrap-up')
    out = h.send({ type: 'call-parked-after-bridge', callId: 'c1' })
    t.same(ofType(out, 'hangup'), [{ type: 'hangup', callId: 'c1', cause: 'NORMAL_CLEARING' }])
    h.send({ type: 'call-hungup', callId: 'c1', cause: 'NORMAL_CLEARING' })

    h.advance(29_000)
    t.equal(h.agentState('a1'), 'wrap-up')
    out = h.advance(1000)
    t.equal(logs(out, 'WRAPUPEND').length, 1)
    t.equal(h.agentState('a1'), 'free')
    t.equal(h.status().agents.find((a) => a.agentId === 'a1')!.idleSince, h.now, 'idle from the end of wrap-up')

    // The next caller goes to a2, idle longer now.
    out = h.arrive('c2', '5000')
    const w2 = ofType(out, 'play')[0]
    out = h.send({ type: 'prompt-finished', callId: 'c2', token: w2.token, interrupted: false })
    t.equal(lastOriginate(out)!.legs[0].agentId, 'a2')
  },
)

t.test('ring timeout moves the offer to the next agent and counts the no-answer', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000', { ringTimeSec: 15 })], [agent('a1'), agent('a2')]) })
  h.startAgents(['a1'])
  h.now += 1000
  h.startAgents(['a2'])
  const o1 = lastOriginate(h.arrive('c1', '5000'))!
  t.equal(o1.legs[0].agentId, 'a1')
  let out = h.advance(14_999)
  t.equal(ofType(out, 'originate').length, 0, 'still ringing before the ring time')
  out = h.advance(1)
  t.same(ofType(out, 'hangup-leg'), [{ type: 'hangup-leg', legId: o1.legs[0].legId, cause: 'NO_ANSWER' }])
  t.equal(logs(out, 'RINGNOANSWER').length, 1)
  const o2 = lastOriginate(out)!
  t.equal(o2.legs[0].agentId, 'a2', 'moved on to a2')
  const a1 = h.status().agents.find((a) => a.agentId === 'a1')!
  t.equal(a1.unanswered, 1)
  t.equal(a1.state, 'free', 'a1 is free again (for other callers)')
  t.equal(a1.idleSince, T0, 'a1 keeps its idle position')
  // A late leg-failed for the cancelled leg changes nothing.
  out = h.send({ type: 'leg-failed', legId: o1.legs[0].legId, cause: 'ORIGINATOR_CANCEL' })
  t.equal(ofType(out, 'originate').length, 0)
  // a2 does not answer either: back to a1 (everyone tried, a1 idle longest).
  out = h.advance(15_000)
  t.equal(lastOriginate(out)!.legs[0].agentId, 'a1')
})

t.test('a busy or rejected leg counts and moves on at once', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1'), agent('a2')]) })
  h.startAgents(['a1', 'a2'])
  const o1 = lastOriginate(h.arrive('c1', '5000'))!
  const out = h.send({ type: 'leg-failed', legId: o1.legs[0].legId, cause: 'USER_BUSY' })
  t.equal(lastOriginate(out)!.legs[0].agentId, 'a2')
  t.equal(h.status().agents.find((a) => a.agentId === 'a1')!.unanswered, 1)
})

t.test('caller abandons while an agent rings: legs cancelled, not counted, ABANDON logged', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { strategy: 'ring-parallel', parallelCount: 2, autoLogoutAfter: 1 })],
      [agent('a1'), agent('a2')],
    ),
  })
  h.startAgents(['a1', 'a2'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  t.equal(o.legs.length, 2)
  h.now += 5000
  const out = h.send({ type: 'call-hungup', callId: 'c1', cause: 'NORMAL_CLEARING' })
  t.same(
    ofType(out, 'hangup-leg').map((c) => [c.legId, c.cause]),
    o.legs.map((l) => [l.legId, 'ORIGINATOR_CANCEL']),
  )
  const ab = logs(out, 'ABANDON')[0]
  t.match(ab.data, { position: 1, waitSec: 5 })
  t.match(ofType(out, 'call-record').at(-1)!.record, { outcome: 'abandoned', endedAt: h.now })
  for (const a of h.status().agents) {
    t.equal(a.state, 'free')
    t.equal(a.unanswered, 0)
  }
  t.equal(
    ofType(out, 'clear-timer').some((c) => c.id === `offer:${o.offerId}`),
    true,
    'ring timer cleared',
  )
  t.equal(h.status().queues[0].waiting, 0)
})

t.test('ring-parallel: first to answer wins, the others are cancelled; LOSE_RACE does not count', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { strategy: 'ring-parallel', parallelCount: 3, autoLogoutAfter: 1 })],
      ['a1', 'a2', 'a3', 'a4'].map((a) => agent(a)),
    ),
  })
  for (const [i, a] of ['a4', 'a2', 'a1', 'a3'].entries()) {
    h.now = T0 + i * 1000
    h.startAgents([a])
  }
  const o = lastOriginate(h.arrive('c1', '5000'))!
  t.same(
    o.legs.map((l) => l.agentId),
    ['a4', 'a2', 'a1'],
    'the 3 longest idle, in one originate',
  )
  t.equal(new Set(o.legs.map((l) => l.legId)).size, 3)
  const win = o.legs[1]
  let out = h.send({ type: 'leg-answered', legId: win.legId })
  t.same(
    ofType(out, 'hangup-leg')
      .map((c) => [c.legId, c.cause])
      .sort(),
    [o.legs[0], o.legs[2]].map((l) => [l.legId, 'ORIGINATOR_CANCEL']).sort(),
  )
  t.same(ofType(out, 'bridge')[0].legId, win.legId)
  // FreeSWITCH reports the losers as LOSE_RACE / ORIGINATOR_CANCEL; a late answer from a loser is refused.
  h.send({ type: 'leg-failed', legId: o.legs[0].legId, cause: 'LOSE_RACE' })
  out = h.send({ type: 'leg-answered', legId: o.legs[2].legId })
  t.equal(ofType(out, 'bridge').length, 0)
  const st = h.status().agents
  for (const a of st) t.equal(a.unanswered, 0, `${a.agentId} not counted`)
  t.same(
    st
      .filter((a) => a.queues.length)
      .map((a) => a.agentId)
      .sort(),
    ['a1', 'a2', 'a3', 'a4'],
    'nobody auto-logged out',
  )
  t.equal(st.find((a) => a.agentId === 'a2')!.state, 'on-call')
})

t.test('skills: best match wins (sum of levels), ties by longest idle, widened after T', async (t) => {
  const h = new Harness({}, { check: true })
  const q = queue('q1', '5000', { strategy: 'skills', requiredSkills: { sv: 3, invoice: 2 }, widenSkillsAfterSec: 30 })
  h.send({
    type: 'config',
    config: config(
      [q],
      [
        agent('a1', { skills: { sv: 5, invoice: 5 } }),
        agent('a2', { skills: { sv: 10, invoice: 1 } }), // below a minimum
        agent('a3', { skills: { sv: 5, invoice: 5 } }),
        agent('a4', { skills: { sv: 9, invoice: 4 } }),
      ],
    ),
  })
  for (const [i, a] of ['a3', 'a2', 'a1', 'a4'].entries()) {
    h.now = T0 + i * 1000
    h.startAgents([a])
  }
  let o = lastOriginate(h.arrive('c1', '5000'))!
  t.equal(o.legs[0].agentId, 'a4', 'highest sum of levels (13)')
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  o = lastOriginate(h.arrive('c2', '5000'))!
  t.equal(o.legs[0].agentId, 'a3', 'a1 and a3 tie at 10: a3 idle longer')
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  o = lastOriginate(h.arrive('c3', '5000'))!
  t.equal(o.legs[0].agentId, 'a1')
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  let out = h.arrive('c4', '5000')
  t.equal(ofType(out, 'originate').length, 0, 'a2 lacks the invoice minimum')
  out = h.advance(30_000)
  t.equal(lastOriginate(out)!.legs[0].agentId, 'a2', 'after 30 s the minimums are dropped')
})

t.test('an agent in several queues gets the longest waiter; priority breaks ties', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000'), queue('q2', '6000', { priority: 5 })], [agent('a1')]) })
  h.arrive('c1', '6000')
  h.now += 1000
  h.arrive('c2', '5000')
  h.now += 1000
  h.send({ type: 'registration', sipUser: 'a1', domain: DOMAIN, registered: true })
  let out = h.send({ type: 'agent-login', agentId: 'a1', source: 'api' })
  t.equal(lastOriginate(out)!.callId, 'c1', 'c1 waited longest')

  const h2 = new Harness({}, { check: true })
  h2.send({
    type: 'config',
    config: config([queue('q1', '5000'), queue('q2', '6000', { priority: 5 })], [agent('a1')]),
  })
  h2.arrive('c1', '5000')
  h2.arrive('c2', '6000')
  h2.send({ type: 'registration', sipUser: 'a1', domain: DOMAIN, registered: true })
  out = h2.send({ type: 'agent-login', agentId: 'a1', source: 'api' })
  t.equal(lastOriginate(out)!.callId, 'c2', 'same wait: the higher-priority queue first')
})

t.test('unregistered and busy devices are skipped; paused agents are skipped', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000')],
      [agent('a1'), agent('a2'), agent('a3', {}, [{ type: 'mobile', target: '46701' }])],
    ),
  })
  h.startAgents(['a1', 'a2', 'a3'])
  h.send({ type: 'registration', sipUser: 'a1', domain: DOMAIN, registered: false })
  h.send({ type: 'device-busy', target: 'a2', busy: true })
  h.send({ type: 'agent-pause', agentId: 'a3', paused: true, reason: 'lunch', source: 'api' })
  t.equal(h.status().agents.find((a) => a.agentId === 'a3')!.registered, true, 'a mobile counts as registered')
  let out = h.arrive('c1', '5000')
  t.equal(ofType(out, 'originate').length, 0)
  out = h.send({ type: 'device-busy', target: 'a2', busy: false })
  t.equal(lastOriginate(out)!.legs[0].agentId, 'a2', 'offered as soon as the device is free')
})

t.test('wrap-up across two queues: no call from any queue; agent override; ended by agent', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { wrapUpSec: 10 }), queue('q2', '6000', { wrapUpSec: 10 })],
      [agent('a1', { wrapUpSec: 45 })],
    ),
  })
  h.startAgents(['a1'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  h.send({ type: 'bridged', callId: 'c1', legId: o.legs[0].legId })
  h.now += 30_000
  h.send({ type: 'call-hungup', callId: 'c1', cause: 'NORMAL_CLEARING' })
  t.same(
    ofType(h.last, 'hangup-leg'),
    [{ type: 'hangup-leg', legId: o.legs[0].legId, cause: 'NORMAL_CLEARING' }],
    'caller hung up: the agent leg ends too',
  )
  t.equal(logs(h.last, 'COMPLETECALLER').length, 1)
  t.equal(h.agentState('a1'), 'wrap-up')
  t.equal(h.status().agents[0].wrapUpEndsAt, h.now + 45_000, 'the agent override (45 s) wins over the queue (10 s)')
  let out = h.arrive('c2', '6000')
  t.equal(ofType(out, 'originate').length, 0, 'no call from the other queue during wrap-up')
  out = h.advance(20_000)
  t.equal(ofType(out, 'originate').length, 0)
  out = h.send({ type: 'agent-end-wrapup', agentId: 'a1', source: 'api' })
  t.equal(logs(out, 'WRAPUPEND').length, 1)
  t.equal(lastOriginate(out)!.callId, 'c2', 'offered at once when wrap-up ends')
  t.ok(ofType(out, 'clear-timer').some((c) => c.id === 'wrapup:a1'))
})

t.test(
  'auto-logout after N consecutive unanswered offers, logged, visible in status; an answer resets the count',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config(
        [queue('q1', '5000', { autoLogoutAfter: 3, ringTimeSec: 10 }), queue('q2', '6000')],
        [agent('a1')],
      ),
    })
    h.startAgents(['a1'])
    t.same(h.status().agents[0].queues, ['q1', 'q2'])
    h.arrive('c1', '5000')
    h.advance(10_000) // 1
    let o = lastOriginate(h.last)!
    h.send({ type: 'leg-answered', legId: o.legs[0].legId }) // answered: count resets
    h.send({ type: 'bridged', callId: 'c1', legId: o.legs[0].legId })
    t.equal(h.status().agents[0].unanswered, 0)
    h.send({ type: 'leg-hungup', legId: o.legs[0].legId, cause: 'NORMAL_CLEARING' })
    h.send({ type: 'call-parked-after-bridge', callId: 'c1' })
    o = lastOriginate(h.arrive('c2', '5000'))!
    h.send({ type: 'leg-failed', legId: o.legs[0].legId, cause: 'CALL_REJECTED' }) // 1
    o = lastOriginate(h.advance(FAILED_DEVICE_PAUSE_MS))! // a phone that refused is rung again after a pause
    h.send({ type: 'leg-failed', legId: o.legs[0].legId, cause: 'USER_BUSY' }) // 2
    h.advance(FAILED_DEVICE_PAUSE_MS) // rung again after the pause: the third unanswered offer
    const out = h.advance(10_000) // 3 → out
    const al = logs(out, 'AUTOLOGOUT')
    t.equal(al.length, 1)
    t.same(
      logs(out, 'AGENTLOGOFF')
        .map((l) => l.queueId)
        .sort(),
      ['q1', 'q2'],
      'logged out of every queue',
    )
    t.same(
      ofType(out, 'agent-session')
        .map((s) => [s.queueId, s.loggedIn, s.source])
        .sort(),
      [
        ['q1', false, 'system'],
        ['q2', false, 'system'],
      ],
    )
    const st = h.status().agents[0]
    t.equal(st.state, 'logged-out')
    t.match(st.autoLogoutReason, /3 unanswered/)
    t.equal(ofType(out, 'originate').length, 0)
    h.send({ type: 'agent-login', agentId: 'a1', source: 'api' })
    t.equal(h.status().agents[0].autoLogoutReason, undefined, 'cleared at the next login')
  },
)

t.test('mobile confirmation: only 1 bridges; a voicemail that never presses 1 counts as unanswered', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { autoLogoutAfter: 5, whisper: true })],
      [agent('m1', {}, [{ type: 'mobile', target: '46701' }]), agent('a2')],
    ),
  })
  h.startAgents(['m1'])
  h.now += 1000
  h.startAgents(['a2'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  t.equal(o.legs[0].agentId, 'm1')
  t.equal(o.legs[0].confirm, true)
  t.equal(o.legs[0].dialString, 'sofia/gateway/gw/46701')
  // The voicemail answers…
  let out = h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  t.equal(ofType(out, 'bridge').length, 0, 'answering alone does not bridge')
  const pl = ofType(out, 'play-leg')[0]
  t.same(pl, {
    type: 'play-leg',
    legId: o.legs[0].legId,
    files: ['sv/queue-name.wav', 'sv/agent-offer-mobile.wav'],
    token: pl.token,
    collectDigit: true,
  })
  out = h.send({ type: 'leg-dtmf', legId: o.legs[0].legId, digit: '5' })
  t.equal(ofType(out, 'bridge').length, 0, 'another key does nothing')
  // … and the prompt ends without a key; a person would still have CONFIRM_READ_TIMEOUT_SEC to press 1.
  out = h.send({ type: 'prompt-finished', callId: o.legs[0].legId, token: pl.token, interrupted: false })
  t.equal(ofType(out, 'hangup-leg').length, 0, 'a moment to press 1 after the prompt')
  out = h.advance(CONFIRM_READ_TIMEOUT_SEC * 1000)
  t.same(ofType(out, 'hangup-leg')[0].legId, o.legs[0].legId)
  t.equal(h.status().agents.find((a) => a.agentId === 'm1')!.unanswered, 1)
  const o2 = lastOriginate(out)!
  t.equal(o2.legs[0].agentId, 'a2', 'the offer moved on')
  t.equal(o2.legs[0].confirm, false)
  // a2 answers: whisper first, then the bridge.
  out = h.send({ type: 'leg-answered', legId: o2.legs[0].legId })
  const wh = ofType(out, 'play-leg')[0]
  t.same(wh.files, ['sv/queue-name.wav'])
  t.equal(ofType(out, 'bridge').length, 0)
  out = h.send({ type: 'prompt-finished', callId: o2.legs[0].legId, token: wh.token, interrupted: false })
  t.same(ofType(out, 'bridge')[0].legId, o2.legs[0].legId)

  // A real person on the mobile presses 1.
  const h2 = new Harness({}, { check: true })
  h2.send({
    type: 'config',
    config: config([queue('q1', '5000')], [agent('m1', {}, [{ type: 'mobile', target: '46701' }])]),
  })
  h2.startAgents(['m1'])
  const p = lastOriginate(h2.arrive('c1', '5000'))!
  h2.send({ type: 'leg-answered', legId: p.legs[0].legId })
  t.same(ofType(h2.last, 'play-leg')[0].files, ['sv/agent-offer-mobile.wav'], 'without whisper: just press 1')
  out = h2.send({ type: 'leg-dtmf', legId: p.legs[0].legId, digit: '1' })
  t.same(ofType(out, 'bridge')[0].legId, p.legs[0].legId)
  t.ok(ofType(out, 'clear-timer').some((c) => c.id === `confirm:${p.legs[0].legId}`))

  // The confirmation timer also ends it.
  const h3 = new Harness({}, { check: true })
  h3.send({
    type: 'config',
    config: config([queue('q1', '5000')], [agent('m1', {}, [{ type: 'mobile', target: '46701' }])]),
  })
  h3.startAgents(['m1'])
  const q = lastOriginate(h3.arrive('c1', '5000'))!
  h3.send({ type: 'leg-answered', legId: q.legs[0].legId })
  out = h3.advance(15_000)
  t.ok(ofType(out, 'hangup-leg').some((c) => c.legId === q.legs[0].legId))
  t.equal(logs(out, 'RINGNOANSWER')[0].data!.reason, 'not confirmed')
})

t.test('plan gate and membership gate: refused with a distinguishable command', async (t) => {
  const h = new Harness()
  h.send({
    type: 'config',
    config: config([queue('q1', '5000'), queue('q2', '6000')], [agent('a1', { plan: 'basic' }), agent('a2')], {
      memberships: [
        { agentId: 'a1', queueId: 'q1' },
        { agentId: 'a2', queueId: 'q1' },
      ],
    }),
  })
  let out = h.send({ type: 'agent-login', agentId: 'a1', source: 'cli' })
  t.match(ofType(out, 'rejected')[0], { agentId: 'a1', action: 'login', reason: 'plan', source: 'cli' })
  t.same(h.status().agents[0].queues, [])
  t.match(h.cc.checkLogin('a1'), { ok: false, reason: 'plan' })
  out = h.send({ type: 'agent-login', agentId: 'a2', queueIds: ['q2'], source: 'cli' })
  t.match(ofType(out, 'rejected')[0], { reason: 'not-member' })
  t.equal(ofType(out, 'agent-session').length, 0)
  t.match(h.cc.checkLogin('a2', ['nope']), { ok: false, reason: 'unknown-queue' })
  out = h.send({ type: 'agent-login', agentId: 'a2', source: 'cli' })
  t.same(
    ofType(out, 'agent-session').map((s) => s.queueId),
    ['q1'],
    'all = the queues the agent is a member of',
  )
  t.same(h.cc.checkLogin('a2'), { ok: true, queueIds: ['q1'] })
})

t.test('closed: early media, the closed prompt, then the closed action; overflow and no-agents likewise', async (t) => {
  const h = new Harness()
  const closure = {
    id: 'cl1',
    queueIds: ['q1'],
    from: T0 - 1000,
    reason: 'after hours',
    by: 'test',
    createdAt: T0 - 1000,
  }
  h.send({
    type: 'config',
    config: {
      ...config(
        [
          queue('q1', '5000', {
            closedAction: { type: 'forward', destination: '0812345' },
            overflowMaxCallers: 1,
            noAgentsAction: { type: 'busy' },
          }),
        ],
        [agent('a1')],
      ),
      closures: [closure],
    },
  })
  let out = h.arrive('c1', '5000')
  t.same(
    out.filter((c) => c.type !== 'log' && c.type !== 'call-record').map((c) => c.type),
    ['pre-answer', 'play'],
    'not answered: early media',
  )
  t.equal(logs(out, 'CLOSED').length, 1)
  out = h.send({ type: 'prompt-finished', callId: 'c1', token: ofType(out, 'play')[0].token, interrupted: false })
  t.same(ofType(out, 'transfer'), [{ type: 'transfer', callId: 'c1', destination: '0812345' }])
  h.send({ type: 'closure-changed', closure: { ...closure, reopenedAt: h.now } })
  out = h.arrive('c2', '5000')
  t.equal(logs(out, 'NOAGENTS').length, 1, 'no agent logged in: the no-agents action')
  out = h.send({ type: 'prompt-finished', callId: 'c2', token: ofType(out, 'play')[0].token, interrupted: false })
  t.same(ofType(out, 'hangup'), [{ type: 'hangup', callId: 'c2', cause: 'USER_BUSY' }])
  // Logged in but paused: callers enter; the second overflows.
  h.send({ type: 'agent-login', agentId: 'a1', source: 'api' })
  h.send({ type: 'agent-pause', agentId: 'a1', paused: true, source: 'api' })
  out = h.arrive('c3', '5000')
  t.equal(logs(out, 'ENTERQUEUE').length, 1)
  out = h.arrive('c4', '5000')
  t.equal(logs(out, 'OVERFLOW').length, 1)
  t.same(ofType(out, 'play')[0].files, ['sv/overflow.wav'])
  t.equal(h.status().queues[0].overflowing, true)
})

t.test('max wait and exit key end the wait with their actions', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [
        queue('q1', '5000', {
          maxWaitSec: 120,
          maxWaitAction: { type: 'forward', destination: '999' },
          exitKey: '0',
          exitAction: { type: 'hangup' },
        }),
      ],
      [],
    ),
  })
  h.arrive('c1', '5000')
  h.now += 1000
  h.arrive('c2', '5000')
  let out = h.send({ type: 'call-dtmf', callId: 'c2', digit: '5' })
  t.equal(out.filter((c) => c.type !== 'set-timer').length, 0, 'other keys ignored')
  out = h.send({ type: 'call-dtmf', callId: 'c2', digit: '0' })
  t.equal(logs(out, 'EXITWITHKEY').length, 1)
  t.same(ofType(out, 'hangup'), [{ type: 'hangup', callId: 'c2', cause: 'NORMAL_CLEARING' }])
  out = h.advance(118_999)
  t.equal(logs(out, 'EXITWITHTIMEOUT').length, 0)
  out = h.advance(1)
  t.equal(logs(out, 'EXITWITHTIMEOUT').length, 1)
  t.same(ofType(out, 'transfer'), [{ type: 'transfer', callId: 'c1', destination: '999' }])
  t.equal(h.status().queues[0].waiting, 0)
})

t.test('no agents: waiting callers get the no-agents action after the grace period', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { noAgentsAction: { type: 'forward', destination: '112' }, noAgentsGraceSec: 60 })],
      [agent('a1')],
    ),
  })
  h.startAgents(['a1'])
  h.send({ type: 'agent-pause', agentId: 'a1', paused: true, source: 'api' })
  h.arrive('c1', '5000')
  h.arrive('c2', '5000')
  h.now += 10_000
  h.send({ type: 'agent-logout', agentId: 'a1', source: 'api' })
  t.ok(h.timers.has('noagents:q1'))
  let out = h.advance(59_000)
  t.equal(logs(out, 'NOAGENTS').length, 0)
  out = h.advance(1000)
  t.equal(logs(out, 'NOAGENTS').length, 2)
  const plays = ofType(out, 'play')
  t.same(
    plays.map((p) => p.files),
    [['sv/no-agents.wav'], ['sv/no-agents.wav']],
  )
  out = h.send({ type: 'prompt-finished', callId: 'c1', token: plays[0].token, interrupted: false })
  t.same(ofType(out, 'transfer'), [{ type: 'transfer', callId: 'c1', destination: '112' }])

  // A login during the grace period cancels it.
  const h2 = new Harness({}, { check: true })
  h2.send({
    type: 'config',
    config: config([queue('q1', '5000', { noAgentsAction: { type: 'busy' }, noAgentsGraceSec: 60 })], [agent('a1')]),
  })
  h2.startAgents(['a1'])
  h2.send({ type: 'agent-pause', agentId: 'a1', paused: true, source: 'api' })
  h2.arrive('c1', '5000')
  h2.send({ type: 'agent-logout', agentId: 'a1', source: 'api' })
  h2.now += 30_000
  out = h2.send({ type: 'agent-login', agentId: 'a1', source: 'api' })
  t.ok(ofType(out, 'clear-timer').some((c) => c.id === 'noagents:q1'))
  t.equal(logs(h2.advance(60_000), 'NOAGENTS').length, 0)
})

t.test('announcements: first message, position + wait, periodic, music between; an answer cuts them', async (t) => {
  const h = new Harness(
    {
      estimatorFor: () => ({
        recordAnswered() {},
        recordHandled() {},
        recordAbandoned() {},
        estimate: (pos) => pos * 120,
      }),
    },
    { check: true },
  )
  h.send({
    type: 'config',
    config: config(
      [
        queue('q1', '5000', {
          firstMessagePrompt: 'queue-first',
          periodicPrompt: 'queue-periodic',
          periodicIntervalSec: 45,
          announcePosition: true,
          positionIntervalSec: 60,
          announceWait: true,
          language: 'en',
        }),
      ],
      [agent('a1')],
    ),
  })
  let out = h.arrive('c1', '5000')
  const first = ofType(out, 'play')[0]
  t.same(first.files, ['en/queue-first.wav'])
  h.now += 4000
  out = h.send({ type: 'prompt-finished', callId: 'c1', token: first.token, interrupted: false })
  const pw = ofType(out, 'play')[0]
  t.same(
    pw.files,
    ['position-is', 'num-1', 'wait-is', 'wait-about', 'num-2', 'minutes'].map((f) => `en/${f}.wav`),
    'position and wait on entry',
  )
  t.same(ofType(out, 'ewt'), [{ type: 'ewt', callId: 'c1', queueId: 'q1', at: h.now, position: 1, seconds: 120 }])
  h.now += 5000
  out = h.send({ type: 'prompt-finished', callId: 'c1', token: pw.token, interrupted: false })
  t.same(ofType(out, 'hold-music'), [{ type: 'hold-music', callId: 'c1', source: 'en/moh.wav' }])
  out = h.advance(36_000) // periodic at joinedAt + 45 s
  t.same(
    out.filter((c) => c.type === 'stop-audio' || c.type === 'play').map((c) => c.type),
    ['stop-audio', 'play'],
  )
  const per = ofType(out, 'play')[0]
  t.same(per.files, ['en/queue-periodic.wav'])
  t.match(ofType(out, 'set-vars')[0].vars.koplus_announce, /^v1:wf:\d+:/)
  // An agent answers mid-announcement: audio is cut and the bridge follows at once.
  h.send({ type: 'registration', sipUser: 'a1', domain: DOMAIN, registered: true })
  const o = lastOriginate(h.send({ type: 'agent-login', agentId: 'a1', source: 'api' }))!
  out = h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  t.same(
    out.filter((c) => c.type === 'stop-audio' || c.type === 'bridge').map((c) => c.type),
    ['stop-audio', 'bridge'],
  )
  out = h.send({ type: 'prompt-finished', callId: 'c1', token: per.token, interrupted: true })
  t.equal(ofType(out, 'hold-music').length, 0, 'no music after the interruption')
  t.notOk(h.timers.has('ann:c1'), 'no more announcements')
})

t.test(
  'restart: restored callers keep their order, no welcome again; a bridged call stays with its agent',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config([queue('q1', '5000', { welcomePrompt: 'welcome', wrapUpSec: 5 })], [agent('a1'), agent('a2')], {
        sessions: [
          { agentId: 'a1', queueId: 'q1', since: T0 - 100_000, paused: false },
          { agentId: 'a2', queueId: 'q1', since: T0 - 50_000, paused: true, pauseReason: 'meeting' },
        ],
      }),
    })
    t.same(
      h.status().agents.map((a) => [a.agentId, a.queues, a.paused]),
      [
        ['a1', ['q1'], false],
        ['a2', ['q1'], true],
      ],
      'sessions restored',
    )
    for (const a of ['a1', 'a2']) h.send({ type: 'registration', sipUser: a, domain: DOMAIN, registered: true })
    const restore = (callId: string, seq: number, joinedAt: number, bridgedTo?: { legId: string; agentId: string }) =>
      h.send({
        type: 'call-arrived',
        callId,
        queueNumber: '5000',
        tenantDomain: DOMAIN,
        callerNumber: '1',
        callerName: '',
        restored: { joinedAt, seq, answered: true, announce: 'v1:wf:::::', ...(bridgedTo ? { bridgedTo } : {}) },
      })
    restore('cb', 3, T0 - 60_000, { legId: 'L1', agentId: 'a1' })
    t.equal(h.agentState('a1'), 'on-call')
    let out = restore('c9', 9, T0 - 20_000)
    t.equal(ofType(out, 'play').length, 0, 'no welcome again')
    t.equal(ofType(out, 'hold-music').length, 1)
    restore('c7', 7, T0 - 30_000)
    t.same(
      h.status().queues[0].callers.map((c) => c.callId),
      ['c7', 'c9'],
      'order by seq, whatever order they came back in',
    )
    t.equal(h.status().queues[0].callers[0].waitedSec, 30)
    // A new caller goes behind them.
    const w = ofType(h.arrive('cn', '5000'), 'play')[0]
    h.send({ type: 'prompt-finished', callId: 'cn', token: w.token, interrupted: false })
    t.same(
      h.status().queues[0].callers.map((c) => [c.callId, c.seq]),
      [
        ['c7', 7],
        ['c9', 9],
        ['cn', 10],
      ],
    )
    // The bridged call ends normally → wrap-up → a1 takes c7 (the first in line).
    out = h.send({ type: 'leg-hungup', legId: 'L1', cause: 'NORMAL_CLEARING' })
    t.equal(logs(out, 'COMPLETEAGENT').length, 1)
    out = h.advance(5000)
    t.equal(lastOriginate(out)!.callId, 'c7')
  },
)

t.test('feature codes: login, logout, device, pause, end wrap-up; identified by SIP user and domain', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000'), queue('q2', '6000')],
      [
        agent('a1', { sipUser: '1001' }, [
          { type: 'softphone', target: '1001' },
          { type: 'mobile', target: '4670' },
        ]),
        agent('b1', { plan: 'basic', sipUser: '1002' }),
      ],
      {
        memberships: [
          { agentId: 'a1', queueId: 'q1' },
          { agentId: 'a1', queueId: 'q2' },
          { agentId: 'b1', queueId: 'q1' },
        ],
        // Two tenants: the SIP domain decides whose agent a caller is (a single-tenant install takes any domain).
        tenants: [
          { id: 't1', name: 'Tenant', domain: DOMAIN },
          { id: 't2', name: 'Other', domain: 'other.example' },
        ],
      },
    ),
  })
  let n = 0
  const dial = (digits: string, sipUser = '1001', domain = DOMAIN) => {
    const callId = `f${++n}`
    const out = h.send({ type: 'feature-call', callId, digits, sipUser, domain })
    t.equal(out[0].type, 'answer', `${digits}: answered`)
    const play = ofType(out, 'play')[0]
    const end = h.send({ type: 'prompt-finished', callId, token: play.token, interrupted: false })
    t.same(
      ofType(end, 'hangup'),
      [{ type: 'hangup', callId, cause: 'NORMAL_CLEARING' }],
      `${digits}: hung up after the confirmation`,
    )
    return { out, files: play.files }
  }
  let r = dial('*715000')
  t.same(
    r.files,
    ['agent-logged-in-to', 'num-1-common', 'queue'].map((f) => `sv/${f}.wav`),
    '"du är nu inloggad i en kö"',
  )
  t.same(h.status().agents[0].queues, ['q1'])
  r = dial('*71')
  t.same(
    r.files,
    ['agent-logged-in-to', 'num-2', 'queues'].map((f) => `sv/${f}.wav`),
  )
  t.same(h.status().agents[0].queues, ['q1', 'q2'])
  r = dial('*716000', '1002')
  t.same(r.files, ['sv/agent-plan-not-allowed.wav'], 'plan gate by phone')
  t.equal(ofType(r.out, 'rejected').length, 1)
  r = dial('*717777')
  t.same(r.files, ['sv/agent-unknown-queue.wav'])
  r = dial('*71', 'nobody')
  t.same(r.files, ['sv/error.wav'], 'unknown SIP user: error, nothing changes')
  r = dial('*71', '1001', 'other.example')
  t.same(r.files, ['sv/error.wav'], "the SIP user of another tenant's domain is not our agent")
  r = dial('*732')
  t.same(r.files, ['sv/agent-device-mobile.wav'])
  t.same(ofType(r.out, 'agent-device'), [{ type: 'agent-device', agentId: 'a1', deviceIndex: 1 }])
  t.equal(h.status().agents[0].activeDevice!.type, 'mobile')
  r = dial('*739')
  t.same(r.files, ['sv/invalid-entry.wav'])
  r = dial('*7412')
  t.same(r.files, ['sv/agent-paused.wav'])
  t.equal(h.status().agents[0].pauseReason, '12')
  t.equal(logs(r.out, 'PAUSE').length, 2, 'PAUSE per queue')
  r = dial('*74')
  t.same(r.files, ['sv/agent-unpaused.wav'])
  r = dial('*726000')
  t.same(
    r.files,
    ['agent-logged-in-to', 'num-1-common', 'queue'].map((f) => `sv/${f}.wav`),
    'still in one queue',
  )
  r = dial('*72')
  t.same(r.files, ['sv/agent-logged-out.wav'])
  t.equal(h.status().agents[0].state, 'logged-out')
  r = dial('*75')
  t.same(r.files, ['sv/agent-wrapup-ended.wav'])
})

t.test('feature code *79: record a prompt (beep, record, play back, 2 again, 1 keep)', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000', { language: 'en' })], [agent('a1')]) })
  let out = h.send({ type: 'feature-call', callId: 'r1', digits: '*7915000', sipUser: 'a1', domain: DOMAIN })
  let play = ofType(out, 'play')[0]
  t.same(play.files, ['en/record-after-beep.wav', 'en/beep.wav'])
  out = h.send({ type: 'prompt-finished', callId: 'r1', token: play.token, interrupted: false })
  const rec = ofType(out, 'record')[0]
  t.match(rec, { callId: 'r1', maxSec: 120, silenceSec: 5 })
  t.match(rec.path, /recordings\/t1\/q1\/en\/welcome-/)
  out = h.send({ type: 'prompt-finished', callId: 'r1', token: rec.token, interrupted: false })
  play = ofType(out, 'play')[0]
  t.same(play.files, [rec.path, 'en/record-confirm.wav'], 'played back, then the choice')
  out = h.send({ type: 'call-dtmf', callId: 'r1', digit: '2' })
  t.same(ofType(out, 'play')[0].files, ['en/record-after-beep.wav', 'en/beep.wav'], '2: again')
  out = h.send({ type: 'prompt-finished', callId: 'r1', token: ofType(out, 'play')[0].token, interrupted: false })
  const rec2 = ofType(out, 'record')[0]
  out = h.send({ type: 'prompt-finished', callId: 'r1', token: rec2.token, interrupted: false })
  h.send({ type: 'prompt-finished', callId: 'r1', token: ofType(out, 'play')[0].token, interrupted: false })
  out = h.send({ type: 'call-dtmf', callId: 'r1', digit: '1' })
  t.same(ofType(out, 'prompt-recorded'), [
    { type: 'prompt-recorded', tenantId: 't1', queueId: 'q1', language: 'en', name: 'welcome', path: rec2.path },
  ])
  t.same(ofType(out, 'play')[0].files, ['en/prompt-saved.wav'])
  out = h.send({ type: 'prompt-finished', callId: 'r1', token: ofType(out, 'play')[0].token, interrupted: false })
  t.equal(ofType(out, 'hangup').length, 1)
})

t.test('a leg that hangs up before the bridge puts the caller back in place', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000', { whisper: true })], [agent('a1'), agent('a2')]) })
  h.startAgents(['a1'])
  h.now += 1000
  h.startAgents(['a2'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  t.equal(h.status().queues[0].waiting, 0)
  const out = h.send({ type: 'leg-failed', legId: o.legs[0].legId, cause: 'NORMAL_CLEARING' })
  t.equal(h.status().queues[0].waiting, 1)
  t.equal(lastOriginate(out)!.legs[0].agentId, 'a2')
})

t.test('status: per queue waiting, positions, longest wait, agent counts; per agent state and device', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config([queue('q1', '5000', { wrapUpSec: 10 })], [agent('a1'), agent('a2'), agent('a3')]),
  })
  h.startAgents(['a1', 'a2', 'a3'])
  h.send({ type: 'agent-pause', agentId: 'a3', paused: true, reason: 'lunch', source: 'web' })
  const o = lastOriginate(h.arrive('c1', '5000'))!
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  h.send({ type: 'bridged', callId: 'c1', legId: o.legs[0].legId })
  h.arrive('c2', '5000') // rings a2
  h.now += 1000
  h.arrive('c3', '5000')
  h.now += 9000
  const s = h.status()
  const q = s.queues[0]
  t.match(q, {
    queueId: 'q1',
    number: '5000',
    waiting: 2,
    longestWaitSec: 10,
    connected: 1,
    agents: { loggedIn: 3, free: 0, ringing: 1, onCall: 1, wrapUp: 0, paused: 1 },
  })
  t.same(
    q.callers.map((c) => [c.callId, c.position, c.waitedSec, c.ringing]),
    [
      ['c2', 1, 10, ['a2']],
      ['c3', 2, 9, []],
    ],
  )
  t.same(
    s.agents.map((a) => [a.agentId, a.state]),
    [
      ['a1', 'on-call'],
      ['a2', 'ringing'],
      ['a3', 'paused'],
    ],
  )
  t.match(s.agents[2], {
    pauseReason: 'lunch',
    registered: true,
    deviceBusy: false,
    activeDevice: { type: 'softphone', target: 'a3' },
  })
})

t.test('a caller hanging up during the welcome is abandoned; an unknown queue number is refused', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000', { welcomePrompt: 'welcome' })], [agent('a1')]) })
  h.startAgents(['a1'])
  h.arrive('c1', '5000')
  let out = h.send({ type: 'call-hungup', callId: 'c1', cause: 'NORMAL_CLEARING' })
  t.match(logs(out, 'ABANDON')[0].data, { during: 'welcome' })
  t.equal(ofType(out, 'originate').length, 0)
  out = h.arrive('c2', '9999')
  t.same(ofType(out, 'hangup'), [{ type: 'hangup', callId: 'c2', cause: 'UNALLOCATED_NUMBER' }])
  t.equal(h.status().queues[0].waiting, 0)
})

t.test(
  "feature codes on a single-tenant install: the authenticated SIP user of any domain is that tenant's agent",
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config([queue('q1', '5000')], [agent('a1', { sipUser: '1001' })], {
        memberships: [{ agentId: 'a1', queueId: 'q1' }],
      }),
    })
    const out = h.send({ type: 'feature-call', callId: 'f1', digits: '*71', sipUser: '1001', domain: '192.0.2.10' })
    t.same(
      ofType(out, 'play')[0].files,
      ['agent-logged-in-to', 'num-1-common', 'queue'].map((f) => `sv/${f}.wav`),
    )
    t.same(h.status().agents[0].queues, ['q1'])
    const anon = h.send({ type: 'feature-call', callId: 'f2', digits: '*72', sipUser: '', domain: '192.0.2.10' })
    t.same(ofType(anon, 'play')[0].files, ['sv/error.wav'], 'not authenticated: nobody')
    t.same(h.status().agents[0].queues, ['q1'])
  },
)

t.test(
  'tenant of a call: a single-tenant install takes any domain; with several tenants only the matching one',
  async (t) => {
    // FreeSWITCH's ${domain_name} is often an IP address nobody configured as a tenant domain.
    const h = new Harness({}, { check: true })
    h.send({ type: 'config', config: config([queue('q1', '5000', { welcomePrompt: '' })], [agent('a1')]) })
    let out = h.send({
      type: 'call-arrived',
      callId: 'c1',
      queueNumber: '5000',
      tenantDomain: '192.0.2.10',
      callerNumber: '0701',
      callerName: '',
    })
    t.equal(ofType(out, 'answer').length, 1, 'one tenant: the call is its queue 5000')
    t.equal(h.status().queues[0].waiting, 1)

    const h2 = new Harness({}, { check: true })
    const two = config([queue('q1', '5000', { welcomePrompt: '' })], [agent('a1')], {
      tenants: [
        { id: 't1', name: 'Tenant', domain: DOMAIN },
        { id: 't2', name: 'Other', domain: 'other.example' },
      ],
    })
    h2.send({ type: 'config', config: two })
    out = h2.send({
      type: 'call-arrived',
      callId: 'c2',
      queueNumber: '5000',
      tenantDomain: '192.0.2.10',
      callerNumber: '0701',
      callerName: '',
    })
    t.same(
      ofType(out, 'hangup'),
      [{ type: 'hangup', callId: 'c2', cause: 'UNALLOCATED_NUMBER' }],
      'several tenants: no guessing across tenants',
    )
    out = h2.send({
      type: 'call-arrived',
      callId: 'c3',
      queueNumber: '5000',
      tenantDomain: DOMAIN.toUpperCase(),
      callerNumber: '0701',
      callerName: '',
    })
    t.equal(ofType(out, 'answer').length, 1, 'the matching domain, case-insensitively')
  },
)

t.test(
  "agent legs dial user/<ext>@<tenant domain>; the built-in 'default' tenant dials FreeSWITCH's own default domain",
  async (t) => {
    const dialled = (domain: string): string => {
      const h = new Harness({}, { check: true })
      h.send({
        type: 'config',
        config: config([queue('q1', '5000', { welcomePrompt: '', firstMessagePrompt: '' })], [agent('a1')], {
          tenants: [{ id: 't1', name: 'T', domain }],
        }),
      })
      h.startAgents(['a1'])
      const out = h.send({
        type: 'call-arrived',
        callId: 'c1',
        queueNumber: '5000',
        tenantDomain: domain,
        callerNumber: '0701',
        callerName: '',
      })
      return lastOriginate(out)?.legs[0]?.dialString ?? '(no originate)'
    }
    t.match(dialled('example.com'), /^user\/\w+@example\.com$/)
    t.match(dialled('default'), /^user\/\w+$/, 'no @default: FreeSWITCH has no domain called default')
  },
)
