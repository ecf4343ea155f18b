/**
 * Callback that keeps the caller's place (issue 14, docs/callback.md) — the caller's side and the virtual caller.
 *
 * - Offer: when the queue has a `callbackKey`, the position / wait announcement ends with "press <key> to be
 *   called back, you keep your place" (only when the estimate reaches `callbackMinWaitSec`).
 * - Setup on the call: the caller's number read back in digits, 1 accepts, or another number typed ending with #;
 *   numbers are checked against `callbackNumberPattern`; anonymous callers (or a number the pattern refuses) must
 *   type one. Accepted: "thank you… we expect to call you in about N minutes", then the call ends.
 * - The virtual caller: the same CallerRt stays in the line at its seq (phase 'queued', `callback.state`
 *   'waiting'), so it counts in the queue length, others' positions and estimates, overflow, status and the
 *   wallboard. It gets no announcements, no maximum wait and no no-agents action. It is offered only while its
 *   queue is open and its retry delay is over (`callbackDue`, used by matching); the attempt itself is in
 *   callback-call.ts.
 * - Operators cancel a callback or move it to another place; pending callbacks are stored (`callback-record`) and
 *   rebuilt in order at start-up (callback-restore.ts); a queue deleted or no longer offering callback cancels
 *   its callbacks (callback-config.ts).
 */
import type { CallbackFailReason } from '../commands.js'
import type { Source } from '../events.js'
import type { Queue } from '../model.js'
import { sayNumber, sayWait } from '../speech/index.js'
import {
  type CallerRt,
  type CallbackRt,
  type EngineState,
  CAUSE,
  clearTimer,
  emit,
  queueLog,
  setTimer,
} from './engine-state.js'
import { continueAfterPrompt } from './announcements.js'
import { armQueueTimers, insertInLine, playToCaller, removeFromLine } from './journey.js'
import { cancelOffer } from './offers.js'
import { estimateWait } from './queue-load.js'

/** Seconds the caller has to press a key after a setup prompt ended before they go back to waiting. */
export const CALLBACK_INPUT_TIMEOUT_SEC = 10
/** Numbers refused before the caller goes back to waiting on the call. */
export const CALLBACK_MAX_REFUSED = 3

/** A caller number as digits ('' when anonymous or not a number). */
export function callbackDigits(callerNumber: string): string {
  const n = callerNumber.trim()
  if (!/^\+?[0-9]+$/.test(n)) return ''
  return n.replace(/^\+/, '')
}

/** The number matches the queue's callback pattern (anchored). */
export function callbackNumberValid(queue: Queue, number: string): boolean {
  if (!/^[0-9]{3,32}$/.test(number)) return false
  try {
    return new RegExp(`^(?:${queue.settings.callbackNumberPattern})$`).test(number)
  } catch {
    return false
  }
}

/** The number said digit by digit ("noll sju noll …"). */
export function sayDigits(number: string, lang: Queue['settings']['language']): string[] {
  return [...number].flatMap((d) => sayNumber(Number(d), lang))
}

/** "Press <key> to be called back. You keep your place in the queue." ([] when not offered). */
export function callbackOfferPrompts(st: EngineState, caller: CallerRt, estimateSec: number | undefined): string[] {
  const queue = st.queues.get(caller.queueId)!
  const s = queue.settings
  if (!s.callbackKey || caller.callback || caller.phase !== 'queued') return []
  if (s.callbackMinWaitSec > 0 && (estimateSec === undefined || estimateSec < s.callbackMinWaitSec)) return []
  caller.callbackOffered = true
  const key = s.callbackKey === '*' ? [] : sayNumber(Number(s.callbackKey), s.language)
  return ['callback-press', ...key, 'callback-offer']
}

/**
 * A key from a caller: the callback key (once offered) starts the setup; during the setup, keys answer it.
 * Returns true when the key was the callback's.
 */
export function callbackDtmf(st: EngineState, caller: CallerRt, digit: string): boolean {
  const cb = caller.callback
  if (cb) {
    if (cb.state === 'setup') setupKey(st, caller, cb, digit)
    return true
  }
  const s = st.queues.get(caller.queueId)!.settings
  if (
    !s.callbackKey ||
    digit !== s.callbackKey ||
    !caller.callbackOffered ||
    caller.phase !== 'queued' ||
    caller.offerId
  )
    return false
  startSetup(st, caller)
  return true
}

function startSetup(st: EngineState, caller: CallerRt): void {
  const queue = st.queues.get(caller.queueId)!
  for (const t of ['ann', 'maxwait', 'widen']) clearTimer(st, `${t}:${caller.callId}`)
  const own = callbackDigits(caller.callerNumber)
  const cb: CallbackRt = {
    state: 'setup',
    number: callbackNumberValid(queue, own) ? own : '',
    requestedAt: st.now,
    attempts: 0,
    nextAttemptAt: 0,
    typed: '',
    refused: 0,
  }
  caller.callback = cb
  queueLog(st, 'CALLBACKSETUP', caller.callId, queue.id, '', { anonymous: !cb.number })
  emit(st, { type: 'stop-audio', callId: caller.callId })
  askNumber(st, caller, cb)
}

function askNumber(st: EngineState, caller: CallerRt, cb: CallbackRt, refused = false): void {
  const queue = st.queues.get(caller.queueId)!
  const lang = queue.settings.language
  cb.typed = ''
  const ids = cb.number
    ? ['callback-your-number', ...sayDigits(cb.number, lang), 'callback-accept-or-type']
    : [...(refused ? ['callback-invalid-number'] : []), 'callback-type-number']
  playToCaller(st, caller, ids, 'callback')
  setTimer(st, `cbinput:${caller.callId}`, st.now + (CALLBACK_INPUT_TIMEOUT_SEC + 120) * 1000)
}

function setupKey(st: EngineState, caller: CallerRt, cb: CallbackRt, digit: string): void {
  const queue = st.queues.get(caller.queueId)!
  if (digit === '1' && cb.typed === '' && cb.number) return accept(st, caller, cb)
  if (digit === '#') {
    const typed = cb.typed
    if (callbackNumberValid(queue, typed)) {
      cb.number = typed
      return accept(st, caller, cb)
    }
    cb.refused++
    queueLog(st, 'CALLBACKREFUSED', caller.callId, queue.id, '', { typed })
    if (cb.refused >= CALLBACK_MAX_REFUSED) return backToWaiting(st, caller, 'refused')
    cb.number = ''
    emit(st, { type: 'stop-audio', callId: caller.callId })
    return askNumber(st, caller, cb, true)
  }
  if (/^[0-9]$/.test(digit) && cb.typed.length < 32) {
    if (cb.typed === '' && caller.playing) {
      // Typing starts: the prompt stops (the caller knows what to do).
      emit(st, { type: 'stop-audio', callId: caller.callId })
      caller.playing = undefined
    }
    cb.typed += digit
    setTimer(st, `cbinput:${caller.callId}`, st.now + CALLBACK_INPUT_TIMEOUT_SEC * 1000)
  }
}

/** A setup prompt ended: the caller has CALLBACK_INPUT_TIMEOUT_SEC to answer it; the closing one ends the call. */
export function callbackPromptFinished(st: EngineState, caller: CallerRt): void {
  const cb = caller.callback
  if (!cb) return
  if (cb.state === 'waiting') {
    emit(st, { type: 'hangup', callId: caller.callId, cause: CAUSE.normal })
    return
  }
  if (cb.state === 'setup') setTimer(st, `cbinput:${caller.callId}`, st.now + CALLBACK_INPUT_TIMEOUT_SEC * 1000)
}

/** No answer to the setup: the caller waits on as before, in the same place. */
export function callbackInputTimeout(st: EngineState, caller: CallerRt): void {
  const cb = caller.callback
  if (!cb || cb.state !== 'setup') return
  backToWaiting(st, caller, 'timeout')
}

/** The setup is dropped (the queue went or stopped offering callback): the caller waits on, if the queue is there. */
export function abandonSetup(st: EngineState, caller: CallerRt, why: string): void {
  if (st.queues.has(caller.queueId)) return backToWaiting(st, caller, why)
  clearTimer(st, `cbinput:${caller.callId}`)
  caller.callback = undefined
  queueLog(st, 'CALLBACKABANDONED', caller.callId, caller.queueId, '', { why })
}

function backToWaiting(st: EngineState, caller: CallerRt, why: string): void {
  clearTimer(st, `cbinput:${caller.callId}`)
  caller.callback = undefined
  queueLog(st, 'CALLBACKABANDONED', caller.callId, caller.queueId, '', { why })
  if (caller.playing) emit(st, { type: 'stop-audio', callId: caller.callId })
  caller.playing = undefined
  continueAfterPrompt(st, caller)
  armQueueTimers(st, caller)
}

/** The number is confirmed: the caller hears when to expect the call, then the call ends; the place is kept. */
function accept(st: EngineState, caller: CallerRt, cb: CallbackRt): void {
  const queue = st.queues.get(caller.queueId)!
  const lang = queue.settings.language
  clearTimer(st, `cbinput:${caller.callId}`)
  cancelOffer(st, caller)
  cb.state = 'waiting'
  cb.typed = ''
  cb.nextAttemptAt = st.now
  st.callbacksKnown.add(caller.callId)
  const position = Math.max(1, (st.waiting.get(queue.id)?.indexOf(caller) ?? 0) + 1)
  const estimate = estimateWait(st, queue, position)
  queueLog(st, 'CALLBACKREQUESTED', caller.callId, queue.id, '', {
    number: cb.number,
    position,
    ...(estimate !== undefined ? { estimateSec: Math.round(estimate) } : {}),
  })
  emit(st, { type: 'call-record', record: { callId: caller.callId, outcome: 'callback' } })
  emit(st, {
    type: 'callback-record',
    record: {
      callId: caller.callId,
      queueId: queue.id,
      tenantId: queue.tenantId,
      number: cb.number,
      callerNumber: caller.callerNumber,
      requestedAt: cb.requestedAt,
      joinedAt: caller.joinedAt,
      seq: caller.seq,
      state: 'waiting',
      attempts: 0,
      nextAttemptAt: st.now,
    },
  })
  emit(st, { type: 'stop-audio', callId: caller.callId })
  const when = estimate === undefined ? [] : ['callback-expected-in', ...sayWait(estimate, lang, { intro: false })]
  playToCaller(st, caller, ['callback-accepted', ...when], 'callback')
  if (!st.openBook.state(queue, st.now).open) holdCallback(st, caller)
}

/** Is this virtual caller's turn allowed now? (matching: only while open and after a retry's delay). */
export function callbackDue(st: EngineState, caller: CallerRt): boolean {
  return !caller.callback?.restoring && dueBarRestore(st, caller)
}

/**
 * A callback rebuilt at start-up that would be due but waits for FreeSWITCH to be read (callback-restore.ts): the
 * callers behind it are not offered meanwhile, so it keeps its turn (matching).
 */
export function callbackBlocks(st: EngineState, caller: CallerRt): boolean {
  return !!caller.callback?.restoring && dueBarRestore(st, caller)
}

function dueBarRestore(st: EngineState, caller: CallerRt): boolean {
  const cb = caller.callback
  if (!cb || cb.state === 'setup') return true // still on the line: offered like any caller (the setup is dropped on answer)
  if (cb.state !== 'waiting' || cb.nextAttemptAt > st.now) return false
  const queue = st.queues.get(caller.queueId)
  return !!queue && st.openStates.get(queue.id) !== false
}

/** The queue closed with this callback waiting: held until the next opening (or the expiry). Audited. */
export function holdCallback(st: EngineState, caller: CallerRt): void {
  const cb = caller.callback
  if (!cb || cb.heldSince !== undefined) return
  const s = st.queues.get(caller.queueId)!.settings
  cb.heldSince = st.now
  queueLog(st, 'CALLBACKHELD', caller.callId, caller.queueId, '', {
    reason: 'closed',
    ...(s.callbackClosedExpireSec > 0 ? { expiresAt: st.now + s.callbackClosedExpireSec * 1000 } : {}),
  })
  emit(st, { type: 'callback-record', record: { callId: caller.callId, heldSince: st.now } })
  if (s.callbackClosedExpireSec > 0)
    setTimer(st, `cbexpire:${caller.callId}`, st.now + s.callbackClosedExpireSec * 1000)
}

/** A queue opened or closed: its held callbacks resume, or its waiting callbacks are held. */
export function callbacksOpenChanged(st: EngineState, queueId: string, open: boolean): void {
  for (const c of st.waiting.get(queueId) ?? []) {
    const cb = c.callback
    if (!cb || cb.state !== 'waiting') continue
    if (!open) holdCallback(st, c)
    else if (cb.heldSince !== undefined) {
      queueLog(st, 'CALLBACKRESUMED', c.callId, queueId, '', { heldSec: Math.round((st.now - cb.heldSince) / 1000) })
      cb.heldSince = undefined
      clearTimer(st, `cbexpire:${c.callId}`)
      emit(st, { type: 'callback-record', record: { callId: c.callId, heldSince: null } })
    }
  }
}

/** A retry's delay is over: nothing to do but let matching see it (the timer made the engine run). */
export function callbackRetryDue(_st: EngineState, _caller: CallerRt): void {}

/** The closed queue did not open in time: the callback is given up. */
export function callbackExpired(st: EngineState, caller: CallerRt): void {
  if (caller.callback?.state !== 'waiting') return
  giveUp(st, caller, 'expired')
}

/** Reasons that end a callback as cancelled (not failed): an operator, its queue deleted, callback switched off. */
export const CANCEL_REASONS: ReadonlySet<CallbackFailReason> = new Set(['cancelled', 'queue-deleted', 'callback-off'])

/** The callback ends without a conversation (retries used up, expired, cancelled): recorded with why. */
export function giveUp(st: EngineState, caller: CallerRt, reason: CallbackFailReason, source?: Source): void {
  const cb = caller.callback!
  const cancelled = CANCEL_REASONS.has(reason)
  queueLog(st, cancelled ? 'CALLBACKCANCELLED' : 'CALLBACKFAILED', caller.callId, caller.queueId, '', {
    reason,
    attempts: cb.attempts,
    number: cb.number,
    ...(source ? { source } : {}),
  })
  emit(st, {
    type: 'call-record',
    record: { callId: caller.callId, outcome: cancelled ? 'callback-cancelled' : 'callback-failed', endedAt: st.now },
  })
  emit(st, {
    type: 'callback-record',
    record: {
      callId: caller.callId,
      state: cancelled ? 'cancelled' : 'failed',
      reason,
      attempts: cb.attempts,
      endedAt: st.now,
    },
  })
  forgetCallback(st, caller)
}

export function forgetCallback(st: EngineState, caller: CallerRt): void {
  for (const t of ['cbretry', 'cbexpire', 'cbinput', 'ann', 'maxwait', 'widen']) clearTimer(st, `${t}:${caller.callId}`)
  removeFromLine(st, caller)
  st.callers.delete(caller.callId)
}

/** An operator cancels a waiting callback (not one being dialled: that attempt ends first). */
export function cancelCallback(st: EngineState, callId: string, source: Source): void {
  const c = st.callers.get(callId)
  if (!c?.callback || c.callback.state !== 'waiting') return
  cancelOffer(st, c)
  giveUp(st, c, 'cancelled', source)
}

/** An operator moves a waiting callback to `position` (1 = first) in its queue; only its place changes. */
export function moveCallback(st: EngineState, callId: string, position: number, source: Source): void {
  const c = st.callers.get(callId)
  if (!c?.callback || c.callback.state !== 'waiting' || !Number.isInteger(position) || position < 1) return
  const line = st.waiting.get(c.queueId)
  if (!line) return
  const from = removeFromLine(st, c)
  const i = Math.min(position - 1, line.length)
  const before = i > 0 ? line[i - 1].seq : line.length ? line[0].seq - 1 : c.seq
  const after = i < line.length ? line[i].seq : before + 1
  c.seq = (before + after) / 2
  if (i === 0 && line.length) c.joinedAt = Math.min(c.joinedAt, line[0].joinedAt)
  insertInLine(st, c)
  queueLog(st, 'CALLBACKMOVED', c.callId, c.queueId, '', { from, to: i + 1, source })
  emit(st, { type: 'callback-record', record: { callId: c.callId, seq: c.seq, joinedAt: c.joinedAt } })
}
