/**
 * Callbacks across a restart or a takeover (issue 14, docs/callback.md "Restarts and failover").
 *
 * 1. The `config` at start-up hands over the stored pending callbacks (`restoreCallbacks`): each becomes a virtual
 *    caller again in its place (by seq), marked `restoring`: it is not offered yet, because an attempt under way
 *    when the daemon stopped may still have its legs in FreeSWITCH. A callback whose queue is gone or no longer
 *    offers callback ends at once (callback-config.ts).
 * 2. The adapter reads FreeSWITCH's channels and reports the legs of callback attempts it found (koplus legs whose
 *    call has no channel: `callback-legs-found`). Per callback:
 *    - the person's leg bridged with the agent's: the call is simply connected; the conversation goes on and ends
 *      as any callback conversation (wrap-up, record completed); a pending record is completed now;
 *    - the person's leg still ringing, or answered and not yet confirmed, with the agent's leg up: the attempt goes
 *      on (ringing: FreeSWITCH's originate_timeout still runs; answered: the person is asked again to press 1);
 *    - anything else (only the agent's leg: the whisper; a leg whose callback is not pending): its legs are hung up.
 *    The stored record already counts an attempt under way and holds its retry time (`dialCallback` stores
 *    `nextAttemptAt` as if the attempt fails), so a callback whose legs are gone waits `callbackRetryMin` like
 *    after a failed attempt, and one whose last attempt it was is given up (reason `failed`).
 * 3. If FreeSWITCH is not read within RESTORE_WAIT_SEC, the callbacks are released as if no leg was found.
 */
import type { FoundLeg, StoredCallback } from '../events.js'
import { initialAnnounceState } from '../journey/index.js'
import {
  type CallerRt,
  type EngineState,
  CAUSE,
  clearTimer,
  emit,
  newCaller,
  queueLog,
  setTimer,
} from './engine-state.js'
import { giveUp, holdCallback, callbacksOpenChanged } from './callback.js'
import { askToConfirm } from './callback-call.js'
import { callbackNoLonger } from './callback-config.js'
import { insertInLine, removeFromLine } from './journey.js'
import { bindFoundLeg } from './restore.js'

/** Restored callbacks wait at most this long for FreeSWITCH to be read before they are offered. */
export const RESTORE_WAIT_SEC = 30
const RESTORE_TIMER = 'cbrestore:all'

/** Start-up: stored pending callbacks become virtual callers again, in their places (by seq), not yet offered. */
export function restoreCallbacks(st: EngineState, list: readonly StoredCallback[] | undefined): void {
  let restoring = false
  for (const s of [...(list ?? [])].sort((a, b) => a.seq - b.seq)) {
    if (st.callers.has(s.callId) || st.callbacksKnown.has(s.callId)) continue
    st.callbacksKnown.add(s.callId)
    const queue = st.queues.get(s.queueId)
    const caller = newCaller({
      callId: s.callId,
      queueId: s.queueId,
      tenantId: queue?.tenantId ?? '',
      callerNumber: s.callerNumber,
      callerName: '',
      arrivedAt: s.joinedAt,
      phase: 'queued',
      answered: true,
      seq: s.seq,
      joinedAt: s.joinedAt,
      announce: { ...initialAnnounceState(), welcomeDone: true },
      callback: {
        state: 'waiting',
        number: s.number,
        requestedAt: s.requestedAt,
        attempts: s.attempts,
        nextAttemptAt: s.nextAttemptAt,
        typed: '',
        refused: 0,
        restoring: true,
        ...(s.heldSince != null ? { heldSince: s.heldSince } : {}),
      },
    })
    st.callers.set(caller.callId, caller)
    const gone = callbackNoLonger(st, s.queueId)
    if (gone) {
      giveUp(st, caller, gone, 'system')
      continue
    }
    restoring = true
    st.seq = Math.max(st.seq, Math.floor(s.seq) + 1)
    insertInLine(st, caller)
    queueLog(st, 'RESTORED', caller.callId, s.queueId, '', { callback: true, attempts: s.attempts })
    if (s.nextAttemptAt > st.now) setTimer(st, `cbretry:${caller.callId}`, s.nextAttemptAt)
    if (st.openStates.get(s.queueId) === false) holdCallback(st, caller)
    else if (caller.callback!.heldSince !== undefined) callbacksOpenChanged(st, s.queueId, true)
  }
  if (restoring) setTimer(st, RESTORE_TIMER, st.now + RESTORE_WAIT_SEC * 1000)
}

/** FreeSWITCH was read: the callback attempts found go on (or are ended), and the restored callbacks are released. */
export function callbackLegsFound(st: EngineState, legs: readonly FoundLeg[]): void {
  const byCall = new Map<string, FoundLeg[]>()
  for (const l of legs) byCall.set(l.callId, [...(byCall.get(l.callId) ?? []), l])
  for (const [callId, group] of byCall) {
    const kept = carryOn(st, callId, group)
    for (const l of group) {
      if (kept.has(l.legId)) continue
      emit(st, { type: 'hangup-leg', legId: l.legId, cause: l.answered ? CAUSE.normal : CAUSE.cancel })
      // The agent's offer, left open by the daemon that stopped, ends here.
      if (l.agentId)
        emit(st, {
          type: 'offer-record',
          legId: l.legId,
          callId,
          agentId: l.agentId,
          at: st.now,
          result: l.answered ? 'answered' : 'cancelled',
          cause: 'DAEMON_RESTART',
          endedAt: st.now,
        })
    }
  }
  releaseRestored(st)
}

/** FreeSWITCH was not read in time: the restored callbacks are offered as if none of their legs was found. */
export function callbacksRestoreTimeout(st: EngineState): void {
  releaseRestored(st)
}

function releaseRestored(st: EngineState): void {
  clearTimer(st, RESTORE_TIMER)
  for (const c of [...st.callers.values()]) {
    const cb = c.callback
    if (!cb?.restoring) continue
    cb.restoring = false
    if (cb.state !== 'waiting') continue
    const queue = st.queues.get(c.queueId)
    // Its last attempt was under way and its legs are gone: that attempt failed.
    if (queue && cb.attempts > queue.settings.callbackRetries) giveUp(st, c, 'failed')
  }
}

/** The legs of one callback: those carried on (the rest are hung up by the caller of this). */
function carryOn(st: EngineState, callId: string, group: FoundLeg[]): Set<string> {
  const caller = st.callers.get(callId)
  const person = group.find((l) => l.agentId === '')
  if (!person) return new Set()
  const followable = (l: FoundLeg) => l.answered && st.agents.has(l.agentId) && !st.legs.has(l.legId)
  const talking = group.find(
    (l) => l.agentId !== '' && (l.bridgedWith === person.legId || person.bridgedWith === l.legId),
  )
  if (talking) {
    // A conversation under way is never cut, even when it cannot be followed (its queue or agent unknown).
    const known = caller?.callback?.restoring && caller.phase === 'queued' ? caller : undefined
    if (followable(talking) && (!caller || known)) connected(st, callId, talking, person, known)
    return new Set([talking.legId, person.legId])
  }
  const agentLeg = group.find((l) => l.agentId !== '' && followable(l))
  if (!agentLeg) return new Set()
  if (!caller?.callback?.restoring || caller.phase !== 'queued' || caller.callback.state !== 'waiting') return new Set()
  const agent = st.agents.get(agentLeg.agentId)!
  takeAttempt(st, caller, agentLeg, person)
  queueLog(st, 'CALLBACKRESTORED', callId, caller.queueId, agent.agent.id, {
    state: person.answered ? 'confirming' : 'ringing',
    legId: agentLeg.legId,
    personLegId: person.legId,
    attempt: caller.callback.attempts,
  })
  if (person.answered) askToConfirm(st, caller, person.legId)
  return new Set([agentLeg.legId, person.legId])
}

/** The virtual caller is connecting again: the agent's leg is its winning leg, the person's leg its attempt. */
function takeAttempt(st: EngineState, caller: CallerRt, agentLeg: FoundLeg, person: FoundLeg): void {
  const agent = st.agents.get(agentLeg.agentId)!
  const cb = caller.callback!
  removeFromLine(st, caller)
  bindFoundLeg(st, caller, agent, agentLeg.legId, 'connecting')
  cb.restoring = false
  cb.state = 'dialing'
  cb.customerLegId = person.legId
  cb.confirming = false
  st.callbackLegs.set(person.legId, caller.callId)
}

/**
 * The person and the agent are talking: followed from now on as a connected callback. A pending record (the
 * daemon stopped before it was written) is completed now. Not followed when its queue is not known.
 */
function connected(
  st: EngineState,
  callId: string,
  agentLeg: FoundLeg,
  person: FoundLeg,
  known: CallerRt | undefined,
): void {
  const queue = st.queues.get(known?.queueId ?? agentLeg.queueId ?? person.queueId ?? '')
  const at = Math.min(st.now, agentLeg.bridgedAt ?? person.bridgedAt ?? st.now)
  if (!queue) return
  const caller: CallerRt =
    known ??
    newCaller({
      callId,
      queueId: queue.id,
      tenantId: queue.tenantId,
      callerNumber: '',
      callerName: '',
      arrivedAt: at,
      phase: 'queued',
      answered: true,
      seq: 0,
      joinedAt: at,
      announce: { ...initialAnnounceState(), welcomeDone: true },
      callback: {
        state: 'waiting',
        number: '',
        requestedAt: at,
        attempts: 1,
        nextAttemptAt: at,
        typed: '',
        refused: 0,
      },
    })
  st.callers.set(callId, caller)
  st.callbacksKnown.add(callId)
  takeAttempt(st, caller, agentLeg, person)
  caller.phase = 'bridged'
  caller.answeredAt = at
  const cb = caller.callback!
  queueLog(st, 'CALLBACKRESTORED', callId, queue.id, agentLeg.agentId, {
    state: 'connected',
    legId: agentLeg.legId,
    personLegId: person.legId,
  })
  if (!known) return
  queueLog(st, 'CALLBACKCONNECTED', callId, queue.id, agentLeg.agentId, {
    attempt: cb.attempts,
    sinceRequestSec: Math.round((at - cb.requestedAt) / 1000),
    number: cb.number,
    restored: true,
  })
  emit(st, { type: 'call-record', record: { callId, answeredAt: at, agentId: agentLeg.agentId } })
  emit(st, {
    type: 'callback-record',
    record: { callId, state: 'completed', attempts: cb.attempts, connectedAt: at, agentId: agentLeg.agentId },
  })
}
