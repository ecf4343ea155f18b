/**
 * The call back (issue 14, docs/callback.md): when the virtual caller's turn comes and an agent is free, the agent
 * is rung first (an ordinary offer, matching.ts / offers.ts); on answer the agent hears "callback to 070…" and hold
 * music while koplus dials the person through `callbackDialString` with the queue's number as caller ID. The
 * person must press 1 (a voicemail never does); then the two legs are bridged. No answer, busy, not confirmed or a
 * failure frees the agent at once and the callback waits in its place for the next attempt (`callbackRetries`
 * every `callbackRetryMin` minutes), then is given up with the reason.
 *
 * Hooks: offers.ts `legWins` (whisper), `connect` (dial instead of bridge), `endOffer` (the agent dropped before the
 * bridge); call-center.ts routes the called person's leg events, and the agent leg's end after the bridge, here.
 */
import type { CoreEvent } from '../events.js'
import {
  CAUSE,
  CONFIRM_READ_TIMEOUT_SEC,
  CONFIRM_TIMEOUT_SEC,
  type CallerRt,
  type EngineState,
  type LegRt,
  clearTimer,
  emit,
  estimatorOf,
  newId,
  newToken,
  promptFiles,
  queueLog,
  setTimer,
} from './engine-state.js'
import { callbackDue, giveUp, sayDigits } from './callback.js'
import { callbackNoLonger } from './callback-config.js'
import { insertInLine } from './journey.js'
import { endConversation } from './offers.js'

/** The default dial string of the callback leg. */
export const DEFAULT_CALLBACK_DIAL_STRING = 'sofia/gateway/default/${number}'

export { callbackDue }

/**
 * The agent answered a callback offer: the whisper "callback to <number>" before the person is dialled (true). A
 * caller still confirming the number on the line is simply connected: the setup is dropped (false).
 */
export function callbackAgentAnswered(st: EngineState, caller: CallerRt, leg: LegRt): boolean {
  const queue = st.queues.get(caller.queueId)!
  const cb = caller.callback!
  if (cb.state === 'setup') {
    clearTimer(st, `cbinput:${caller.callId}`)
    caller.callback = undefined
    queueLog(st, 'CALLBACKABANDONED', caller.callId, queue.id, leg.agentId, { why: 'agent-answered' })
    return false
  }
  cb.state = 'dialing'
  leg.state = 'whisper'
  leg.token = newToken(st, 'whisper', leg.legId)
  const ids = ['callback-whisper', ...sayDigits(cb.number, queue.settings.language)]
  emit(st, {
    type: 'play-leg',
    legId: leg.legId,
    files: promptFiles(st, ids, queue.settings.language, queue),
    token: leg.token,
    collectDigit: false,
  })
  return true
}

/** The whisper ended: the agent hears music while the person's phone rings. */
export function dialCallback(st: EngineState, caller: CallerRt, agentLeg: LegRt): void {
  const queue = st.queues.get(caller.queueId)!
  const s = queue.settings
  const cb = caller.callback!
  agentLeg.state = 'won'
  cb.attempts++
  const legId = newId(st, caller.callId)
  cb.customerLegId = legId
  cb.confirming = false
  st.callbackLegs.set(legId, caller.callId)
  const template = st.config.callbackDialString || DEFAULT_CALLBACK_DIAL_STRING
  emit(st, {
    type: 'hold-music',
    callId: agentLeg.legId,
    source: st.promptFiles.file(s.musicOnHold, s.language, queue),
  })
  emit(st, {
    type: 'originate',
    callId: caller.callId,
    offerId: newId(st, caller.callId),
    legs: [
      { legId, agentId: '', dialString: template.split('${number}').join(cb.number), confirm: true, whisper: false },
    ],
    timeoutSec: s.callbackRingSec,
    callerIdName: queue.name,
    callerIdNumber: s.callbackCallerId || queue.number,
    queueId: queue.id,
  })
  queueLog(st, 'CALLBACKDIAL', caller.callId, queue.id, agentLeg.agentId, {
    attempt: cb.attempts,
    number: cb.number,
    legId,
  })
  // Stored with the retry time as if this attempt fails: a daemon that stops now and finds the attempt's legs gone
  // at the restart then waits callbackRetryMin as after a failure (callback-restore.ts).
  emit(st, {
    type: 'callback-record',
    record: {
      callId: caller.callId,
      state: 'dialing',
      attempts: cb.attempts,
      nextAttemptAt: st.now + s.callbackRetryMin * 60_000,
    },
  })
}

/**
 * Leg events of callbacks: the called person's leg, and the agent's leg once bridged to it. Returns true when the
 * event was a callback's (call-center.ts then routes it no further).
 */
export function callbackLegEvent(
  st: EngineState,
  e: Extract<CoreEvent, { type: 'leg-answered' | 'leg-failed' | 'leg-hungup' | 'leg-dtmf' | 'prompt-finished' }>,
): boolean {
  const id = e.type === 'prompt-finished' ? e.callId : e.legId
  const callId = st.callbackLegs.get(id)
  if (callId === undefined) {
    if (e.type !== 'leg-failed' && e.type !== 'leg-hungup') return false
    // The agent's leg of a bridged callback ended: the conversation is over.
    const leg = st.legs.get(id)
    const caller = leg ? st.callers.get(leg.callId) : undefined
    if (!caller?.callback || caller.phase !== 'bridged' || caller.legId !== id) return false
    conversationOver(st, caller, 'COMPLETEAGENT', e.cause)
    return true
  }
  const caller = st.callers.get(callId)
  const cb = caller?.callback
  if (!caller || !cb || cb.customerLegId !== id) {
    st.callbackLegs.delete(id)
    return true
  }
  switch (e.type) {
    case 'leg-answered':
      if (caller.phase !== 'connecting') return true
      askToConfirm(st, caller, id)
      return true
    case 'prompt-finished':
      if (cb.confirming && e.token === cb.token) {
        const tid = `cbconfirm:${id}`
        setTimer(st, tid, Math.min(st.timers.get(tid) ?? Infinity, st.now + CONFIRM_READ_TIMEOUT_SEC * 1000))
      }
      return true
    case 'leg-dtmf':
      if (cb.confirming && e.digit === '1' && caller.phase === 'connecting') connectCallback(st, caller)
      return true
    case 'leg-failed':
    case 'leg-hungup':
      st.callbackLegs.delete(id)
      if (caller.phase === 'bridged') conversationOver(st, caller, 'COMPLETECALLER', e.cause, true)
      else if (caller.phase === 'connecting') attemptFailed(st, caller, reasonOf(e.cause), false)
      return true
  }
}

/** The person answered: "Hello, this is your callback. Press 1 to be connected." (CONFIRM_TIMEOUT_SEC to do so). */
export function askToConfirm(st: EngineState, caller: CallerRt, legId: string): void {
  const cb = caller.callback!
  const queue = st.queues.get(caller.queueId)
  cb.confirming = true
  cb.token = newToken(st, 'cbconfirm', legId)
  if (queue)
    emit(st, {
      type: 'play-leg',
      legId,
      files: promptFiles(st, ['callback-greeting'], queue.settings.language, queue),
      token: cb.token,
      collectDigit: true,
    })
  setTimer(st, `cbconfirm:${legId}`, st.now + CONFIRM_TIMEOUT_SEC * 1000)
}

function reasonOf(cause: string): 'no-answer' | 'busy' | 'failed' {
  if (cause === 'USER_BUSY') return 'busy'
  if (
    cause === 'NO_ANSWER' ||
    cause === 'NO_USER_RESPONSE' ||
    cause === 'ORIGINATOR_CANCEL' ||
    cause === 'CALL_REJECTED'
  )
    return 'no-answer'
  return 'failed'
}

/** The called person pressed no 1 in time (a voicemail, or nobody): the attempt counts as unanswered. */
export function callbackConfirmMissed(st: EngineState, legId: string): void {
  const callId = st.callbackLegs.get(legId)
  const caller = callId ? st.callers.get(callId) : undefined
  if (!caller?.callback?.confirming || caller.phase !== 'connecting') return
  st.callbackLegs.delete(legId)
  attemptFailed(st, caller, 'not-confirmed', true)
}

/** The person pressed 1: the agent's music stops and the two legs are bridged. */
function connectCallback(st: EngineState, caller: CallerRt): void {
  const cb = caller.callback!
  const queue = st.queues.get(caller.queueId)
  const legId = caller.legId!
  const leg = st.legs.get(legId)
  const customer = cb.customerLegId!
  clearTimer(st, `cbconfirm:${customer}`)
  cb.confirming = false
  emit(st, { type: 'stop-audio', callId: legId })
  emit(st, { type: 'bridge-legs', legId, otherLegId: customer })
  caller.phase = 'bridged'
  caller.answeredAt = st.now
  if (leg) leg.state = 'won'
  const offer = leg ? st.offers.get(leg.offerId) : undefined
  queueLog(st, 'CONNECT', caller.callId, caller.queueId, caller.agentId ?? '', {
    holdSec: Math.round((st.now - caller.joinedAt) / 1000),
    ringMs: offer ? st.now - offer.startedAt : 0,
    legId,
    callback: true,
  })
  queueLog(st, 'CALLBACKCONNECTED', caller.callId, caller.queueId, caller.agentId ?? '', {
    attempt: cb.attempts,
    sinceRequestSec: Math.round((st.now - cb.requestedAt) / 1000),
    number: cb.number,
  })
  emit(st, { type: 'call-record', record: { callId: caller.callId, answeredAt: st.now, agentId: caller.agentId } })
  emit(st, {
    type: 'callback-record',
    record: {
      callId: caller.callId,
      state: 'completed',
      attempts: cb.attempts,
      connectedAt: st.now,
      agentId: caller.agentId,
    },
  })
  if (queue)
    estimatorOf(st, queue).recordAnswered(
      st.now,
      st.now - caller.joinedAt,
      offer ? st.now - offer.startedAt : undefined,
    )
  if (offer) st.offers.delete(offer.id)
  caller.offerId = undefined
}

/** One side of the callback conversation hung up: the other is hung up, the agent goes to wrap-up. */
function conversationOver(
  st: EngineState,
  caller: CallerRt,
  event: 'COMPLETEAGENT' | 'COMPLETECALLER',
  cause: string,
  customerGone = false,
): void {
  const cb = caller.callback!
  const agentLeg = caller.legId!
  endConversation(st, caller, event, cause)
  if (customerGone) emit(st, { type: 'hangup-leg', legId: agentLeg, cause: CAUSE.normal })
  else if (cb.customerLegId) {
    st.callbackLegs.delete(cb.customerLegId)
    emit(st, { type: 'hangup-leg', legId: cb.customerLegId, cause: CAUSE.normal })
  }
  for (const t of ['cbretry', 'cbexpire']) clearTimer(st, `${t}:${caller.callId}`)
  st.callers.delete(caller.callId)
}

/**
 * The attempt did not reach the person: the agent is freed at once (no wrap-up, no unanswered count: the agent did
 * answer), and the callback waits in its place for the next attempt — or is given up when none is left.
 */
function attemptFailed(
  st: EngineState,
  caller: CallerRt,
  reason: 'no-answer' | 'busy' | 'not-confirmed' | 'failed',
  hangupCustomer: boolean,
): void {
  const cb = caller.callback!
  if (hangupCustomer && cb.customerLegId) emit(st, { type: 'hangup-leg', legId: cb.customerLegId, cause: CAUSE.normal })
  if (cb.customerLegId) {
    clearTimer(st, `cbconfirm:${cb.customerLegId}`)
    st.callbackLegs.delete(cb.customerLegId)
  }
  cb.customerLegId = undefined
  cb.confirming = false
  freeAgent(st, caller)
  // The queue went or stopped offering callback during the attempt: no further one (callback-config.ts).
  const gone = callbackNoLonger(st, caller.queueId)
  const s = st.queues.get(caller.queueId)?.settings
  if (gone || !s || cb.attempts > s.callbackRetries) {
    caller.phase = 'ending'
    return giveUp(st, caller, gone ?? reason)
  }
  cb.nextAttemptAt = st.now + s.callbackRetryMin * 60_000
  queueLog(st, 'CALLBACKRETRY', caller.callId, caller.queueId, '', {
    reason,
    attempt: cb.attempts,
    nextAttemptAt: cb.nextAttemptAt,
  })
  emit(st, {
    type: 'callback-record',
    record: { callId: caller.callId, state: 'waiting', attempts: cb.attempts, nextAttemptAt: cb.nextAttemptAt, reason },
  })
  backInLine(st, caller)
  setTimer(st, `cbretry:${caller.callId}`, cb.nextAttemptAt)
}

/** The agent's leg is hung up and the agent is free again, keeping their idle position. */
function freeAgent(st: EngineState, caller: CallerRt): void {
  const legId = caller.legId
  if (!legId) return
  const leg = st.legs.get(legId)
  if (leg) {
    leg.state = 'done'
    st.legs.delete(legId)
    const offer = st.offers.get(leg.offerId)
    if (offer) {
      st.offers.delete(offer.id)
      clearTimer(st, `offer:${offer.id}`)
    }
  }
  emit(st, { type: 'hangup-leg', legId, cause: CAUSE.normal })
  emit(st, {
    type: 'offer-record',
    legId,
    callId: caller.callId,
    agentId: caller.agentId ?? '',
    at: st.now,
    result: 'answered',
    endedAt: st.now,
  })
  const agent = caller.agentId ? st.agents.get(caller.agentId) : undefined
  if (agent && agent.legId === legId) {
    agent.busy = 'none'
    agent.legId = undefined
    agent.callId = undefined
  }
  caller.offerId = undefined
}

/** The virtual caller takes its place again (same seq: the head of the line when it was its turn). */
function backInLine(st: EngineState, caller: CallerRt): void {
  caller.phase = 'queued'
  caller.agentId = undefined
  caller.legId = undefined
  caller.callback!.state = 'waiting'
  insertInLine(st, caller)
}

/**
 * The agent dropped before the bridge (during the whisper or while the person's phone rang): the person's leg, if
 * any, is cancelled and the callback waits again at once (the attempt is not counted).
 */
export function callbackAgentDropped(st: EngineState, caller: CallerRt): void {
  const cb = caller.callback!
  if (cb.customerLegId) {
    clearTimer(st, `cbconfirm:${cb.customerLegId}`)
    st.callbackLegs.delete(cb.customerLegId)
    emit(st, { type: 'hangup-leg', legId: cb.customerLegId, cause: CAUSE.cancel })
    cb.customerLegId = undefined
    cb.attempts = Math.max(0, cb.attempts - 1)
  }
  cb.confirming = false
  cb.nextAttemptAt = st.now
  backInLine(st, caller)
  emit(st, {
    type: 'callback-record',
    record: { callId: caller.callId, state: 'waiting', attempts: cb.attempts, nextAttemptAt: cb.nextAttemptAt },
  })
}
