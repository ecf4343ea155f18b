/**
 * A caller's runtime record (engine-state.ts newCaller / markTried, issue 13: memory per waiting caller): every
 * field is there from the start, whichever way the caller came in (a new call, a restore, a callback), so V8 keeps
 * one shape with the fields inside the object; `tried` is one shared empty set until an agent is tried, and marking
 * one caller never touches another's or the shared one.
 */
import t from 'tap'
import { markTried, newCaller, NO_TRIED, type NewCaller } from '../../src/core/engine/engine-state.js'
import { initialAnnounceState } from '../../src/core/journey/index.js'

const base = (callId: string): NewCaller => ({
  callId,
  queueId: 'q',
  tenantId: 't',
  callerNumber: '46700000001',
  callerName: 'Anna',
  arrivedAt: 1000,
  phase: 'welcome',
  answered: false,
  seq: 0,
  joinedAt: 0,
  announce: initialAnnounceState(),
})

t.test('every field from the start, in one order, with or without a callback', async (t) => {
  const plain = newCaller(base('a'))
  const withCallback = newCaller({
    ...base('b'),
    callback: { state: 'waiting', number: '1', requestedAt: 1, attempts: 0, nextAttemptAt: 1, typed: '', refused: 0 },
  })
  t.same(Object.keys(plain), Object.keys(withCallback), 'the same keys in the same order')
  for (const k of ['playing', 'offerId', 'agentId', 'legId', 'answeredAt', 'endAction', 'callbackOffered', 'callback'])
    t.ok(k in plain, `${k} is there before it is set`)
  t.equal(plain.callback, undefined)
  t.equal(withCallback.callback?.state, 'waiting')
  t.equal(plain.callerName, 'Anna')
})

t.test('tried: the shared empty set until markTried, then the caller’s own', async (t) => {
  const a = newCaller(base('a'))
  const b = newCaller(base('b'))
  t.equal(a.tried, NO_TRIED)
  t.equal(a.tried.size, 0)
  markTried(a, 'agent-1')
  markTried(a, 'agent-2')
  markTried(a, 'agent-1')
  t.same([...a.tried], ['agent-1', 'agent-2'], 'a’s own set, each agent once')
  t.equal(b.tried, NO_TRIED, 'b untouched')
  t.equal(NO_TRIED.size, 0, 'the shared set stays empty')
  markTried(b, 'agent-3')
  t.same([...b.tried], ['agent-3'])
  t.not(a.tried, b.tried)
})
