/**
 * Issue 14, callback that keeps the caller's place — the pure core: the offer after the position message, the
 * number confirmed (read back / typed / anonymous / refused by the pattern), the virtual caller keeping its exact
 * place, the call back (agent first, whisper, dial, press 1, bridge), retries and giving up, closed queues,
 * cancel / move by operators, and the rebuild from the store.
 */
import t from 'tap'
import type { Command } from '../../src/core/commands.js'
import type { QueueSettings } from '../../src/core/model.js'
import { agent, config, Harness, lastOriginate, logs, ofType, queue } from './harness.js'

const CB: Partial<QueueSettings> = {
  callbackKey: '1',
  announcePosition: true,
  positionIntervalSec: 60,
  callbackRetries: 1,
  callbackRetryMin: 5,
}

const played = (cmds: Command[], callId: string): string[] =>
  ofType(cmds, 'play')
    .filter((p) => p.callId === callId)
    .flatMap((p) => p.files)
const has = (files: string[], id: string): boolean => files.some((f) => f.endsWith(`/${id}.wav`))
const playToken = (cmds: Command[], callId: string): string =>
  ofType(cmds, 'play')
    .filter((p) => p.callId === callId)
    .at(-1)!.token

/** Two callers waiting (agent paused); c1 asks for a callback and confirms its own number with 1. */
function twoWaitingOneCallback(over: Partial<QueueSettings> = {}, callerNumber = '0701234567'): Harness {
  const h = new Harness()
  h.send({ type: 'config', config: config([queue('q1', '5000', { ...CB, ...over })], [agent('a1')]) })
  h.startAgents(['a1'])
  h.send({ type: 'agent-pause', agentId: 'a1', paused: true, source: 'api' })
  h.arrive('c1', '5000', callerNumber)
  h.arrive('c2', '5000', '0709999999')
  return h
}

function accept(h: Harness, callId = 'c1'): void {
  h.send({ type: 'call-dtmf', callId, digit: '1' })
  h.send({ type: 'call-dtmf', callId, digit: '1' })
  const out = h.send({ type: 'prompt-finished', callId, token: playToken(h.all, callId), interrupted: false })
  if (!ofType(out, 'hangup').some((c) => c.callId === callId))
    throw new Error(`${callId}: the call did not end after the closing message`)
  h.send({ type: 'call-hungup', callId, cause: 'NORMAL_CLEARING' })
}

t.test('offered after the position message, accepted with 1: the virtual caller keeps the exact place', async (t) => {
  const h = twoWaitingOneCallback()
  t.ok(
    has(played(h.all, 'c1'), 'callback-press') && has(played(h.all, 'c1'), 'callback-offer'),
    'the offer follows the position',
  )
  const posIdx = played(h.all, 'c1').findIndex((f) => f.endsWith('/position-is.wav'))
  t.ok(
    posIdx >= 0 && posIdx < played(h.all, 'c1').findIndex((f) => f.endsWith('/callback-press.wav')),
    'position first, then the offer',
  )
  const setup = h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
  const readBack = played(setup, 'c1')
  t.ok(has(readBack, 'callback-your-number') && has(readBack, 'callback-accept-or-type'), 'the number is read back')
  t.same(
    readBack
      .filter((f) => /\/num-\d\.wav$/.test(f))
      .map((f) => f.match(/num-(\d)/)![1])
      .join(''),
    '0701234567',
    'in digits',
  )
  const acc = h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
  t.ok(has(played(acc, 'c1'), 'callback-accepted'), 'thank you, you keep your place')
  t.equal(logs(acc, 'CALLBACKREQUESTED')[0]?.data?.number, '0701234567')
  t.equal(ofType(acc, 'callback-record')[0]?.record.state, 'waiting', 'stored')
  h.send({ type: 'prompt-finished', callId: 'c1', token: playToken(h.all, 'c1'), interrupted: false })
  const gone = h.send({ type: 'call-hungup', callId: 'c1', cause: 'NORMAL_CLEARING' })
  t.same(logs(gone, 'ABANDON'), [], 'hanging up is not abandoning')
  const q = h.status().queues[0]
  t.equal(q.waiting, 2, 'counted in the queue length')
  t.same(
    q.callers.map((c) => [c.callId, c.position, !!c.callback]),
    [
      ['c1', 1, true],
      ['c2', 2, false],
    ],
    'same place, marked as callback',
  )
})

t.test(
  'the call back: agent first with a whisper, then the number dialled with the queue number, bridged on 1',
  async (t) => {
    const h = twoWaitingOneCallback()
    accept(h)
    const offered = h.send({ type: 'agent-pause', agentId: 'a1', paused: false, source: 'api' })
    const agentOffer = lastOriginate(offered)!
    t.equal(agentOffer.callId, 'c1', 'the callback goes first: it kept place 1')
    t.equal(h.status().agents[0].callbackNumber, '0701234567', 'the agent page can show the next call is a callback')
    const agentLeg = agentOffer.legs[0].legId
    const ans = h.send({ type: 'leg-answered', legId: agentLeg })
    const whisper = ofType(ans, 'play-leg')[0]
    t.ok(whisper && has(whisper.files, 'callback-whisper'), 'the agent hears "callback to …"')
    const dial = h.send({ type: 'prompt-finished', callId: agentLeg, token: whisper.token, interrupted: false })
    const out = lastOriginate(dial)!
    t.equal(out.legs[0].dialString, 'sofia/gateway/default/0701234567', 'callbackDialString template')
    t.equal(out.callerIdNumber, '5000', "the queue's number as caller ID")
    t.ok(
      ofType(dial, 'hold-music').some((m) => m.callId === agentLeg),
      'the agent hears music meanwhile',
    )
    const person = out.legs[0].legId
    const greet = h.send({ type: 'leg-answered', legId: person })
    t.ok(has(ofType(greet, 'play-leg')[0].files, 'callback-greeting'), 'the person is asked to press 1')
    h.now += 2000
    const bridged = h.send({ type: 'leg-dtmf', legId: person, digit: '1' })
    t.same(ofType(bridged, 'bridge-legs'), [{ type: 'bridge-legs', legId: agentLeg, otherLegId: person }], 'bridged')
    t.equal(logs(bridged, 'CALLBACKCONNECTED').length, 1)
    t.equal(ofType(bridged, 'callback-record')[0].record.state, 'completed')
    t.equal(h.status().queues[0].waiting, 1, 'c2 waits alone')
    const end = h.send({ type: 'leg-failed', legId: person, cause: 'NORMAL_CLEARING' })
    t.ok(
      ofType(end, 'hangup-leg').some((c) => c.legId === agentLeg),
      'the agent leg ends with the person',
    )
    t.equal(logs(end, 'COMPLETECALLER').length, 1)
  },
)

t.test(
  'no answer: the agent is freed at once, the callback keeps place 1 and is retried M minutes later, then given up',
  async (t) => {
    const h = twoWaitingOneCallback()
    accept(h)
    const attempt = (): string => {
      const agentLeg = h.status().agents[0].state === 'ringing' ? lastOriginate(h.all)!.legs[0].legId : ''
      const w = ofType(h.send({ type: 'leg-answered', legId: agentLeg }), 'play-leg')[0]
      return lastOriginate(h.send({ type: 'prompt-finished', callId: agentLeg, token: w.token, interrupted: false }))!
        .legs[0].legId
    }
    h.send({ type: 'agent-pause', agentId: 'a1', paused: false, source: 'api' })
    const p1 = attempt()
    const fail = h.send({ type: 'leg-failed', legId: p1, cause: 'NO_ANSWER' })
    t.equal(logs(fail, 'CALLBACKRETRY')[0]?.data?.reason, 'no-answer')
    const next = lastOriginate(fail)
    t.equal(next?.callId, 'c2', 'the freed agent takes c2 at once (the callback waits for its retry)')
    t.same(
      h.status().queues[0].callers.map((c) => c.callId),
      ['c1', 'c2'],
      'the callback is still first',
    )
    // c2 is connected and finishes; the retry comes 5 minutes after the failure.
    const c2leg = next!.legs[0].legId
    h.send({ type: 'leg-answered', legId: c2leg })
    h.send({ type: 'bridged', callId: 'c2', legId: c2leg })
    h.send({ type: 'leg-hungup', legId: c2leg, cause: 'NORMAL_CLEARING' })
    const before = h.advance(4 * 60_000)
    t.same(ofType(before, 'originate'), [], 'not before the retry delay')
    const retry = h.advance(60_000)
    t.equal(lastOriginate(retry)?.callId, 'c1', 'retried after 5 minutes')
    const p2 = attempt()
    const busy = h.send({ type: 'leg-failed', legId: p2, cause: 'USER_BUSY' })
    const failed = logs(busy, 'CALLBACKFAILED')[0]
    t.same(
      [failed?.data?.reason, failed?.data?.attempts],
      ['busy', 2],
      'given up after 1 + 1 attempts, with the reason',
    )
    t.equal(h.status().queues[0].waiting, 0)
    t.equal(h.agentState('a1'), 'free', 'the agent is free')
  },
)

t.test('a voicemail never presses 1: not confirmed counts as unanswered', async (t) => {
  const h = twoWaitingOneCallback({ callbackRetries: 0 })
  accept(h)
  h.send({ type: 'agent-pause', agentId: 'a1', paused: false, source: 'api' })
  const agentLeg = lastOriginate(h.all)!.legs[0].legId
  const w = ofType(h.send({ type: 'leg-answered', legId: agentLeg }), 'play-leg')[0]
  const person = lastOriginate(
    h.send({ type: 'prompt-finished', callId: agentLeg, token: w.token, interrupted: false }),
  )!.legs[0].legId
  h.send({ type: 'leg-answered', legId: person })
  const out = h.advance(20_000)
  t.ok(
    ofType(out, 'hangup-leg').some((c) => c.legId === person),
    'the voicemail is hung up',
  )
  t.equal(logs(out, 'CALLBACKFAILED')[0]?.data?.reason, 'not-confirmed')
})

t.test(
  'typed number ending with #; a number outside the pattern is refused; anonymous callers must type one',
  async (t) => {
    const h = twoWaitingOneCallback({}, 'anonymous')
    const setup = h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
    t.ok(has(played(setup, 'c1'), 'callback-type-number'), 'anonymous: asked to type a number')
    t.notOk(has(played(setup, 'c1'), 'callback-your-number'), 'nothing to read back')
    for (const d of '12345#') h.send({ type: 'call-dtmf', callId: 'c1', digit: d })
    t.ok(has(played(h.last, 'c1'), 'callback-invalid-number'), '12345 refused by the pattern')
    for (const d of '0812345678#') h.send({ type: 'call-dtmf', callId: 'c1', digit: d })
    t.equal(logs(h.last, 'CALLBACKREQUESTED')[0]?.data?.number, '0812345678', 'the typed number is taken')
  },
)

t.test('only when the estimate reaches callbackMinWaitSec', async (t) => {
  const h = twoWaitingOneCallback({ callbackMinWaitSec: 600 })
  t.notOk(has(played(h.all, 'c1'), 'callback-press'), 'no estimate of 10 minutes: no offer')
  h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
  t.same(logs(h.last, 'CALLBACKSETUP'), [], 'and the key does nothing')
})

t.test('operators cancel and move a callback; a restart rebuilds pending callbacks in their places', async (t) => {
  const h = twoWaitingOneCallback()
  accept(h)
  h.arrive('c3', '5000', '0703333333')
  accept(h, 'c3')
  t.same(
    h.status().queues[0].callers.map((c) => c.callId),
    ['c1', 'c2', 'c3'],
  )
  h.send({ type: 'callback-move', callId: 'c3', position: 1, source: 'cli' })
  t.same(
    h.status().queues[0].callers.map((c) => c.callId),
    ['c3', 'c1', 'c2'],
    'moved to the front',
  )
  const stored = ofType(h.all, 'callback-record')
    .filter((r) => r.record.callId === 'c3')
    .reduce((a, r) => ({ ...a, ...r.record }), {} as Record<string, unknown>)
  h.send({ type: 'callback-cancel', callId: 'c1', source: 'api' })
  t.equal(logs(h.last, 'CALLBACKCANCELLED').length, 1)
  t.same(
    h.status().queues[0].callers.map((c) => c.callId),
    ['c3', 'c2'],
  )

  // A new engine from the stored rows: c3 (moved) goes before a restored real caller with a later seq.
  const r = new Harness()
  r.send({
    type: 'config',
    config: config([queue('q1', '5000', CB)], [agent('a1')], {
      callbacks: [
        {
          callId: 'c3',
          queueId: 'q1',
          number: '0703333333',
          callerNumber: '0703333333',
          requestedAt: h.now,
          joinedAt: stored.joinedAt as number,
          seq: stored.seq as number,
          attempts: 0,
          nextAttemptAt: h.now,
        },
      ],
    }),
  })
  r.send({
    type: 'call-arrived',
    callId: 'c2',
    queueNumber: '5000',
    tenantDomain: 'example.com',
    callerNumber: '0709999999',
    callerName: '',
    restored: { joinedAt: h.now - 1000, seq: 2, answered: true },
  })
  t.same(
    r.status().queues[0].callers.map((c) => [c.callId, !!c.callback]),
    [
      ['c3', true],
      ['c2', false],
    ],
    'rebuilt in order',
  )
  r.startAgents(['a1'])
  t.same(ofType(r.all, 'originate'), [], 'not offered before FreeSWITCH was read (an attempt may still be up there)')
  r.send({ type: 'callback-legs-found', legs: [] })
  t.equal(lastOriginate(r.all)?.callId, 'c3', 'and called back first')
})

t.test(
  'closed at its turn: held until the next opening, with audit; or expired after callbackClosedExpireSec',
  async (t) => {
    for (const expire of [0, 1800]) {
      const h = twoWaitingOneCallback({ callbackClosedExpireSec: expire })
      accept(h)
      const closure = {
        id: 'cl1',
        queueIds: ['q1'],
        from: h.now + 60_000,
        until: h.now + 3_600_000,
        reason: 'meeting',
        by: 'op',
        createdAt: h.now,
      }
      h.send({ type: 'closure-added', closure })
      const closing = h.advance(60_000)
      t.equal(logs(closing, 'CALLBACKHELD').length, 1, `held at the closing (expiry ${expire})`)
      const unpaused = h.send({ type: 'agent-pause', agentId: 'a1', paused: false, source: 'api' })
      t.equal(
        lastOriginate(unpaused)?.callId,
        'c2',
        'while closed, the real caller behind it is served; the callback is not',
      )
      const c2leg = lastOriginate(unpaused)!.legs[0].legId
      h.send({ type: 'leg-answered', legId: c2leg })
      h.send({ type: 'bridged', callId: 'c2', legId: c2leg })
      h.send({ type: 'leg-hungup', legId: c2leg, cause: 'NORMAL_CLEARING' })
      const during = h.advance(expire ? 1800_000 : 3_539_000)
      t.same(
        ofType(during, 'originate').filter((o) => o.callId === 'c1'),
        [],
        'no callback while closed',
      )
      if (expire) {
        t.equal(logs(during, 'CALLBACKFAILED')[0]?.data?.reason, 'expired', 'expired after 30 minutes closed')
        continue
      }
      const opening = h.advance(1000)
      t.equal(logs(opening, 'CALLBACKRESUMED').length, 1, 'resumed at the opening')
      t.equal(lastOriginate(opening)?.callId, 'c1', 'and called back')
    }
  },
)

t.test(
  'the turn comes while the caller is still confirming: offered in place, connected on the line, setup dropped',
  async (t) => {
    const h = twoWaitingOneCallback()
    h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
    const offered = h.send({ type: 'agent-pause', agentId: 'a1', paused: false, source: 'api' })
    t.equal(lastOriginate(offered)?.callId, 'c1', 'c1 is rung in its place, not c2')
    const leg = lastOriginate(offered)!.legs[0].legId
    const ans = h.send({ type: 'leg-answered', legId: leg })
    t.same(ofType(ans, 'bridge'), [{ type: 'bridge', callId: 'c1', legId: leg }], 'connected on the line')
    t.equal(logs(ans, 'CALLBACKABANDONED')[0]?.data?.why, 'agent-answered')
    h.send({ type: 'call-dtmf', callId: 'c1', digit: '1' })
    t.same(logs(h.last, 'CALLBACKREQUESTED'), [], 'a late key does nothing')
  },
)
