/**
 * Issue 14, the gaps after session 3 — the pure core: a restart in the middle of a callback attempt (the legs found
 * in FreeSWITCH carry on: ringing, confirming, connected; gone: the attempt failed), and callbacks whose queue was
 * deleted or stopped offering callback (cancelled with the reason, audited).
 */
import t from 'tap'
import type { Command } from '../../src/core/commands.js'
import type { FoundLeg, StoredCallback } from '../../src/core/events.js'
import type { QueueSettings } from '../../src/core/model.js'
import { RESTORE_WAIT_SEC } from '../../src/core/engine/callback-restore.js'
import { agent, config, Harness, lastOriginate, logs, ofType, queue } from './harness.js'

const CB: Partial<QueueSettings> = { callbackKey: '1', callbackRetries: 1, callbackRetryMin: 5, wrapUpSec: 30 }

/** A stored callback as the store hands it over at start-up. */
function stored(h: Harness, over: Partial<StoredCallback> = {}): StoredCallback {
  return {
    callId: 'c1',
    queueId: 'q1',
    number: '0701234567',
    callerNumber: '0701234567',
    requestedAt: h.now - 600_000,
    joinedAt: h.now - 700_000,
    seq: 1,
    attempts: 1,
    nextAttemptAt: h.now + 240_000,
    ...over,
  }
}

/** A new engine after a restart: config with `callbacks`, the agent registered and logged in (session restored). */
function restarted(callbacks: (h: Harness) => StoredCallback[], over: Partial<QueueSettings> = {}): Harness {
  const h = new Harness()
  h.send({
    type: 'config',
    config: config([queue('q1', '5000', { ...CB, ...over })], [agent('a1')], { callbacks: callbacks(h) }),
  })
  h.startAgents(['a1'])
  return h
}

const agentLeg = (over: Partial<FoundLeg> = {}): FoundLeg => ({
  legId: 'LA',
  callId: 'c1',
  agentId: 'a1',
  queueId: 'q1',
  answered: true,
  ...over,
})
const personLeg = (over: Partial<FoundLeg> = {}): FoundLeg => ({
  legId: 'LP',
  callId: 'c1',
  agentId: '',
  queueId: 'q1',
  answered: false,
  ...over,
})
const records = (cmds: Command[]) => ofType(cmds, 'callback-record').map((r) => r.record)

t.test('restart while the person is still ringing: the attempt goes on and is connected on 1', async (t) => {
  const h = restarted((h) => [stored(h)])
  t.same(ofType(h.all, 'originate'), [], 'nothing offered before FreeSWITCH was read')
  const found = h.send({ type: 'callback-legs-found', legs: [agentLeg(), personLeg()] })
  t.same(ofType(found, 'hangup-leg'), [], 'neither leg is hung up')
  t.same(ofType(found, 'originate'), [], 'no new attempt')
  t.equal(logs(found, 'CALLBACKRESTORED')[0]?.data?.state, 'ringing')
  t.equal(h.agentState('a1'), 'on-call', 'the agent is on the callback')
  t.equal(h.status().queues[0].waiting, 0, 'the callback left the line (connecting)')
  const greet = h.send({ type: 'leg-answered', legId: 'LP' })
  t.ok(
    ofType(greet, 'play-leg').some(
      (p) => p.legId === 'LP' && p.files.some((f) => f.endsWith('/callback-greeting.wav')),
    ),
    'the person is asked to press 1',
  )
  const bridged = h.send({ type: 'leg-dtmf', legId: 'LP', digit: '1' })
  t.same(ofType(bridged, 'bridge-legs'), [{ type: 'bridge-legs', legId: 'LA', otherLegId: 'LP' }], 'bridged')
  t.same(
    records(bridged).map((r) => [r.state, r.attempts]),
    [['completed', 1]],
    'completed on the attempt under way (not counted twice)',
  )
  const end = h.send({ type: 'leg-failed', legId: 'LP', cause: 'NORMAL_CLEARING' })
  t.equal(logs(end, 'COMPLETECALLER').length, 1, 'the conversation ends as usual')
  t.equal(h.agentState('a1'), 'wrap-up')
})

t.test('restart while the person was asked to press 1: asked again; no 1 is an unanswered attempt', async (t) => {
  const h = restarted((h) => [stored(h)])
  const found = h.send({ type: 'callback-legs-found', legs: [agentLeg(), personLeg({ answered: true })] })
  t.equal(logs(found, 'CALLBACKRESTORED')[0]?.data?.state, 'confirming')
  t.equal(ofType(found, 'play-leg')[0]?.legId, 'LP', 'the greeting again')
  const out = h.advance(20_000)
  t.ok(
    ofType(out, 'hangup-leg').some((c) => c.legId === 'LP'),
    'not confirmed: the person is hung up',
  )
  t.same(
    logs(out, 'CALLBACKRETRY').map((l) => [l.data?.reason, l.data?.attempt]),
    [['not-confirmed', 1]],
    'attempt 1 of 1 + 1 did not reach the person: retried later',
  )
  t.equal(h.agentState('a1'), 'free', 'the agent is free at once')
})

t.test('restart during a connected callback: followed until it ends; a pending record completes', async (t) => {
  // The record was completed before the restart: the engine does not know the callback, only its legs.
  const h = restarted(() => [])
  const found = h.send({
    type: 'callback-legs-found',
    legs: [agentLeg({ bridgedWith: 'LP' }), personLeg({ answered: true, bridgedWith: 'LA' })],
  })
  t.same(ofType(found, 'hangup-leg'), [], 'the conversation is not cut')
  t.equal(logs(found, 'CALLBACKRESTORED')[0]?.data?.state, 'connected')
  t.same(records(found), [], 'nothing to record again')
  t.equal(h.agentState('a1'), 'on-call')
  h.now += 60_000
  const end = h.send({ type: 'leg-hungup', legId: 'LA', cause: 'NORMAL_CLEARING' })
  t.equal(logs(end, 'COMPLETEAGENT').length, 1)
  t.ok(
    ofType(end, 'hangup-leg').some((c) => c.legId === 'LP'),
    'the person is hung up with the agent',
  )
  t.equal(ofType(end, 'call-record')[0]?.record.outcome, 'answered', 'the call record is closed')
  t.equal(h.agentState('a1'), 'wrap-up')

  // Still pending in the store (the daemon stopped before writing the connection): completed now.
  const p = restarted((h) => [stored(h)])
  const done = p.send({
    type: 'callback-legs-found',
    legs: [agentLeg({ bridgedWith: 'LP' }), personLeg({ answered: true, bridgedWith: 'LA' })],
  })
  t.same(
    records(done).map((r) => r.state),
    ['completed'],
    'the record completes',
  )
  t.equal(logs(done, 'CALLBACKCONNECTED').length, 1)
  t.equal(p.status().queues[0].waiting, 0, 'no longer waiting')
})

t.test('restart with the attempt gone: counted as failed; retried after callbackRetryMin, or given up', async (t) => {
  // Attempt 1 of 2 was under way: its stored retry time (dial + 5 min) holds.
  const h = restarted((h) => [stored(h, { attempts: 1, nextAttemptAt: h.now + 240_000 })])
  const found = h.send({ type: 'callback-legs-found', legs: [] })
  t.same(ofType(found, 'originate'), [], 'not at once')
  t.equal(h.status().queues[0].waiting, 1, 'keeps its place')
  t.same(ofType(h.advance(239_000), 'originate'), [], 'not before the retry time')
  t.equal(lastOriginate(h.advance(1000))?.callId, 'c1', 'retried at the retry time')

  // The last attempt (2 of 2) was under way: given up.
  const g = restarted((h) => [stored(h, { attempts: 2 })])
  const out = g.send({ type: 'callback-legs-found', legs: [] })
  t.same(
    [logs(out, 'CALLBACKFAILED')[0]?.data?.reason, records(out).at(-1)?.state],
    ['failed', 'failed'],
    'failed, recorded',
  )
  t.equal(g.status().queues[0].waiting, 0)
})

t.test('restart during the whisper (only the agent leg): the leg ends, offered again at once', async (t) => {
  const h = restarted((h) => [stored(h, { attempts: 0, nextAttemptAt: h.now - 1000 })])
  const found = h.send({ type: 'callback-legs-found', legs: [agentLeg()] })
  t.same(
    ofType(found, 'hangup-leg').map((c) => c.legId),
    ['LA'],
    'the agent leg is hung up',
  )
  t.same(
    ofType(found, 'offer-record')
      .filter((r) => r.legId === 'LA')
      .map((r) => [r.legId, r.result, r.endedAt]),
    [['LA', 'answered', h.now]],
    'its offer, left open by the daemon that stopped, is closed',
  )
  t.equal(lastOriginate(found)?.callId, 'c1', 'offered again (the attempt had not started)')
})

t.test('legs of no pending callback are hung up; FreeSWITCH not read in time releases callbacks', async (t) => {
  const h = restarted((h) => [stored(h, { nextAttemptAt: h.now })])
  const found = h.send({
    type: 'callback-legs-found',
    legs: [agentLeg({ callId: 'gone', legId: 'X1' }), personLeg({ callId: 'gone', legId: 'X2' })],
  })
  t.same(
    ofType(found, 'hangup-leg').map((c) => c.legId),
    ['X1', 'X2'],
  )
  // A conversation with an agent this daemon does not know (removed meanwhile): never cut, not followed.
  const talk = h.send({
    type: 'callback-legs-found',
    legs: [
      agentLeg({ callId: 'old', legId: 'Y1', agentId: 'gone', bridgedWith: 'Y2' }),
      personLeg({ callId: 'old', legId: 'Y2', answered: true, bridgedWith: 'Y1' }),
    ],
  })
  t.same(ofType(talk, 'hangup-leg'), [], 'a conversation is never cut')
  const late = restarted((h) => [stored(h, { nextAttemptAt: h.now })])
  t.same(ofType(late.advance(RESTORE_WAIT_SEC * 1000 - 1000), 'originate'), [], 'held while FreeSWITCH is read')
  t.equal(lastOriginate(late.advance(1000))?.callId, 'c1', `released after ${RESTORE_WAIT_SEC} s`)
})

t.test('a queue deleted or its callback switched off: its callbacks end as cancelled, with the reason', async (t) => {
  for (const [change, reason] of [
    ['queue-removed', 'queue-deleted'],
    ['callback-off', 'callback-off'],
  ] as const) {
    const h = restarted((h) => [stored(h)])
    h.send({ type: 'callback-legs-found', legs: [] })
    const out =
      change === 'queue-removed'
        ? h.send({ type: 'queue-removed', queueId: 'q1' })
        : h.send({ type: 'queue-changed', queue: queue('q1', '5000', { ...CB, callbackKey: '' }) })
    t.same(
      [logs(out, 'CALLBACKCANCELLED')[0]?.data?.reason, logs(out, 'CALLBACKCANCELLED')[0]?.data?.source],
      [reason, 'system'],
      `${change}: audited`,
    )
    t.same(
      records(out).map((r) => [r.state, r.reason]),
      [['cancelled', reason]],
      `${change}: stored`,
    )
    t.equal(ofType(out, 'call-record')[0]?.record.outcome, 'callback-cancelled')
    t.same(
      h.status().queues.flatMap((q) => q.callers),
      [],
      `${change}: no longer waiting`,
    )
  }
  // Deleted while the daemon was down: ended at the restart.
  const h = new Harness()
  const out = h.send({ type: 'config', config: config([], [agent('a1')], { callbacks: [stored(h)] }) })
  t.equal(logs(out, 'CALLBACKCANCELLED')[0]?.data?.reason, 'queue-deleted', 'at the restart too')
})

t.test('a queue deleted during an attempt: the attempt ends, then the callback is cancelled', async (t) => {
  const h = restarted((h) => [stored(h, { attempts: 0 })])
  h.send({ type: 'callback-legs-found', legs: [agentLeg(), personLeg()] })
  h.send({ type: 'queue-removed', queueId: 'q1' })
  t.same(logs(h.last, 'CALLBACKCANCELLED'), [], 'not while it is being dialled')
  const out = h.send({ type: 'leg-failed', legId: 'LP', cause: 'NO_ANSWER' })
  t.equal(logs(out, 'CALLBACKCANCELLED')[0]?.data?.reason, 'queue-deleted')
  t.ok(
    ofType(out, 'hangup-leg').some((c) => c.legId === 'LA'),
    'the agent is freed',
  )
})
