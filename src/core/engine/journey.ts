/**
 * The caller's journey: arrival and admission (closed, overflow, no agents), welcome, the place in line, prompts
 * and music, the exit key, hang-up and abandonment, the end actions.
 */
import type { CoreEvent } from '../events.js'
import type { EndAction } from '../model.js'
import {
  admit,
  encodeAnnounceState,
  entryPrompts,
  initialAnnounceState,
  markPlayed,
  updateOverflow,
  NOT_OVERFLOWING,
} from '../journey/index.js'
import {
  CAUSE,
  type CallerRt,
  type EngineState,
  clearTimer,
  emit,
  estimatorOf,
  newToken,
  promptFiles,
  queueLog,
  setTimer,
  newCaller,
} from './engine-state.js'
import { annCtx, announceIfDue, continueAfterPrompt, positionOf, scheduleAnnouncement } from './announcements.js'
import { confirmPromptEnded } from './confirmation.js'
import { callbackDtmf, callbackPromptFinished } from './callback.js'
import { featureStepDone, recordChoice } from './feature-calls.js'
import { cancelOffer, connect, endConversation, releaseLeg } from './offers.js'
import { findQueueByNumber, loggedInCount, queueLoad } from './queue-load.js'
import { lineIndexOf, OldestInLine } from './waiting-line.js'

export function callArrived(st: EngineState, e: Extract<CoreEvent, { type: 'call-arrived' }>): void {
  if (st.callers.has(e.callId)) return
  const queue = findQueueByNumber(st, e.tenantDomain, e.queueNumber)
  if (!queue) {
    queueLog(st, 'UNKNOWNQUEUE', e.callId, '', '', { number: e.queueNumber, domain: e.tenantDomain })
    emit(st, { type: 'hangup', callId: e.callId, cause: CAUSE.unallocated })
    return
  }
  const caller = newCaller({
    callId: e.callId,
    queueId: queue.id,
    tenantId: queue.tenantId,
    callerNumber: e.callerNumber,
    callerName: e.callerName,
    arrivedAt: st.now,
    phase: 'welcome',
    answered: false,
    seq: 0,
    joinedAt: 0,
    announce: initialAnnounceState(),
  })
  st.callers.set(caller.callId, caller)
  emit(st, {
    type: 'call-record',
    record: {
      callId: caller.callId,
      queueId: queue.id,
      tenantId: queue.tenantId,
      callerNumber: e.callerNumber,
      callerName: e.callerName,
      arrivedAt: st.now,
    },
  })
  const load = queueLoad(st, queue)
  const prev = st.overflow.get(queue.id) ?? NOT_OVERFLOWING
  const overflow = updateOverflow(queue.settings, load, prev, st.now)
  if (overflow.overflowing !== prev.overflowing) {
    queueLog(st, overflow.overflowing ? 'OVERFLOWSTART' : 'OVERFLOWEND', '', queue.id, '', {
      reason: overflow.reason ?? prev.reason,
    })
  }
  st.overflow.set(queue.id, overflow)
  const admission = admit(queue, st.openBook.state(queue, st.now), load, overflow)
  if (admission.kind !== 'enter') {
    const event = admission.kind === 'closed' ? 'CLOSED' : admission.kind === 'overflow' ? 'OVERFLOW' : 'NOAGENTS'
    turnAway(st, caller, event, admission.kind, admission.prompt, admission.action, { reason: admission.reason })
    return
  }
  emit(st, { type: 'answer', callId: caller.callId })
  caller.answered = true
  const { welcome } = entryPrompts(queue.settings, caller.announce)
  if (welcome.length) playToCaller(st, caller, welcome, 'welcome')
  else enterQueue(st, caller)
}

export function playToCaller(
  st: EngineState,
  caller: CallerRt,
  ids: string[],
  what: 'welcome' | 'first' | 'announce' | 'end' | 'callback',
): void {
  const queue = st.queues.get(caller.queueId)!
  const token = newToken(st, what, caller.callId)
  caller.playing = { token, what }
  emit(st, { type: 'play', callId: caller.callId, files: promptFiles(st, ids, queue.settings.language, queue), token })
}

export function startHoldMusic(st: EngineState, caller: CallerRt): void {
  const queue = st.queues.get(caller.queueId)!
  caller.playing = undefined
  emit(st, {
    type: 'hold-music',
    callId: caller.callId,
    source: st.promptFiles.file(queue.settings.musicOnHold, queue.settings.language, queue),
  })
}

/** The welcome was heard in full: the caller takes a place in the line, hears the first message, then music. */
export function enterQueue(st: EngineState, caller: CallerRt): void {
  const queue = st.queues.get(caller.queueId)!
  caller.announce = { ...caller.announce, welcomeDone: true }
  caller.phase = 'queued'
  caller.joinedAt = st.now
  caller.seq = st.seq++
  insertInLine(st, caller)
  const position = positionOf(st, caller)
  queueLog(st, 'ENTERQUEUE', caller.callId, queue.id, '', { position, callerNumber: caller.callerNumber })
  emit(st, { type: 'call-record', record: { callId: caller.callId, enteredQueueAt: st.now } })
  const { first } = entryPrompts(queue.settings, caller.announce)
  if (first.length) {
    caller.announce = markPlayed(caller.announce, 'first', annCtx(st, caller))
    playToCaller(st, caller, first, 'first')
  } else if (!announceIfDue(st, caller, false)) {
    // No first message: the position/wait due on entry plays first; music only when nothing is due (not music
    // started and cut in the same instant — journey-open.test.ts).
    startHoldMusic(st, caller)
  }
  persist(st, caller)
  armQueueTimers(st, caller)
  startNoAgentsGraceIfEmpty(st, queue.id)
}

/** Save what a restart needs on the channel itself. */
export function persist(st: EngineState, caller: CallerRt): void {
  emit(st, {
    type: 'set-vars',
    callId: caller.callId,
    vars: {
      koplus_queue_id: caller.queueId,
      koplus_joined_at: String(caller.joinedAt),
      koplus_seq: String(caller.seq),
      koplus_announce: encodeAnnounceState(caller.announce),
    },
  })
}

/** Timers of a waiting caller: next announcement, maximum wait, skills widening. */
export function armQueueTimers(st: EngineState, caller: CallerRt): void {
  const s = st.queues.get(caller.queueId)!.settings
  if (!caller.playing) scheduleAnnouncement(st, caller)
  if (s.maxWaitSec > 0) setTimer(st, `maxwait:${caller.callId}`, caller.joinedAt + s.maxWaitSec * 1000)
  if (s.strategy === 'skills' && s.widenSkillsAfterSec > 0) {
    const at = caller.joinedAt + s.widenSkillsAfterSec * 1000
    if (at > st.now) setTimer(st, `widen:${caller.callId}`, at)
  }
}

export function insertInLine(st: EngineState, caller: CallerRt): void {
  const line = st.waiting.get(caller.queueId)!
  let i = line.length
  while (i > 0 && line[i - 1].seq > caller.seq) i--
  line.splice(i, 0, caller)
  let oldest = st.oldestInLine.get(caller.queueId)
  if (!oldest) st.oldestInLine.set(caller.queueId, (oldest = new OldestInLine()))
  oldest.add(caller)
}

export function removeFromLine(st: EngineState, caller: CallerRt): number {
  const line = st.waiting.get(caller.queueId)
  const i = line ? lineIndexOf(line, caller) : -1
  if (i >= 0) {
    line!.splice(i, 1)
    st.oldestInLine.get(caller.queueId)?.remove(caller)
  }
  return i + 1
}

export function promptFinished(st: EngineState, id: string, token: string, _interrupted: boolean): void {
  const caller = st.callers.get(id)
  if (caller) {
    if (!caller.playing || caller.playing.token !== token) return
    const what = caller.playing.what
    caller.playing = undefined
    if (what === 'welcome' && caller.phase === 'welcome') return enterQueue(st, caller)
    if ((what === 'first' || what === 'announce') && caller.phase === 'queued') return continueAfterPrompt(st, caller)
    if (what === 'end' && caller.phase === 'ending') return carryOutEndAction(st, caller)
    if (what === 'callback') return callbackPromptFinished(st, caller)
    return
  }
  const leg = st.legs.get(id)
  if (leg) {
    if (leg.token !== token) return
    if (leg.state === 'confirming') return confirmPromptEnded(st, leg)
    if (leg.state === 'whisper') {
      const c = st.callers.get(leg.callId)
      if (c && c.phase === 'connecting') connect(st, c, leg)
    }
    return
  }
  const f = st.features.get(id)
  if (f && f.token === token) featureStepDone(st, f)
}

export function callDtmf(st: EngineState, callId: string, digit: string): void {
  const caller = st.callers.get(callId)
  if (caller) {
    if (callbackDtmf(st, caller, digit)) return
    const s = st.queues.get(caller.queueId)!.settings
    if (s.exitKey && digit === s.exitKey && s.exitAction && (caller.phase === 'queued' || caller.phase === 'welcome')) {
      leaveQueue(st, caller, 'EXITWITHKEY', 'exit-key', '', s.exitAction, { key: digit })
    }
    return
  }
  const f = st.features.get(callId)
  if (f) recordChoice(st, f, digit)
}

export function callHungup(st: EngineState, callId: string, cause: string): void {
  const caller = st.callers.get(callId)
  // A callback's call ends once the number is confirmed: the virtual caller stays (callback.ts).
  if (caller?.callback && caller.callback.state !== 'setup') return
  if (caller) {
    if (caller.callback) clearTimer(st, `cbinput:${callId}`)
    switch (caller.phase) {
      case 'welcome':
      case 'queued':
      case 'connecting':
        abandon(st, caller, cause)
        break
      case 'bridged': {
        const legId = caller.legId!
        endConversation(st, caller, 'COMPLETECALLER', cause)
        emit(st, { type: 'hangup-leg', legId, cause: CAUSE.normal })
        break
      }
      case 'after':
      case 'ending':
        emit(st, { type: 'call-record', record: { callId, endedAt: st.now } })
        break
    }
    forgetCaller(st, caller)
    return
  }
  const f = st.features.get(callId)
  if (f) {
    clearTimer(st, `feat:${callId}`)
    st.features.delete(callId)
  }
}

/** The caller hung up before being connected: leaves the line; anything ringing for them stops. */
export function abandon(st: EngineState, caller: CallerRt, cause: string): void {
  const queue = st.queues.get(caller.queueId)
  const wasWaiting = caller.phase !== 'welcome'
  const wasConnecting = caller.phase === 'connecting'
  caller.phase = 'ending'
  if (wasConnecting && caller.legId) {
    const leg = st.legs.get(caller.legId)
    if (leg) releaseLeg(st, leg, CAUSE.cancel, false)
  }
  cancelOffer(st, caller)
  const position = removeFromLine(st, caller)
  const waitedMs = wasWaiting ? st.now - caller.joinedAt : 0
  queueLog(st, 'ABANDON', caller.callId, caller.queueId, '', {
    position,
    waitSec: Math.round(waitedMs / 1000),
    cause,
    ...(wasWaiting ? {} : { during: 'welcome' }),
  })
  emit(st, { type: 'call-record', record: { callId: caller.callId, outcome: 'abandoned', endedAt: st.now } })
  if (queue && wasWaiting) estimatorOf(st, queue).recordAbandoned(st.now, waitedMs)
}

export function forgetCaller(st: EngineState, caller: CallerRt): void {
  for (const t of ['ann', 'maxwait', 'widen']) clearTimer(st, `${t}:${caller.callId}`)
  removeFromLine(st, caller)
  st.callers.delete(caller.callId)
}

/** A caller who will not be served on arrival (closed, overflow, no agents): early media, message, action. */
function turnAway(
  st: EngineState,
  caller: CallerRt,
  event: string,
  outcome: string,
  prompt: string,
  action: EndAction,
  data: Record<string, unknown>,
): void {
  queueLog(st, event, caller.callId, caller.queueId, '', { ...data, action: action.type })
  emit(st, { type: 'call-record', record: { callId: caller.callId, outcome } })
  finishWith(st, caller, prompt, action)
}

/** A waiting caller leaves the queue (max wait, exit key, no agents after grace). */
export function leaveQueue(
  st: EngineState,
  caller: CallerRt,
  event: string,
  outcome: string,
  prompt: string,
  action: EndAction,
  data: Record<string, unknown> = {},
): void {
  cancelOffer(st, caller)
  const position = removeFromLine(st, caller)
  const waitSec = caller.joinedAt ? Math.round((st.now - caller.joinedAt) / 1000) : 0
  for (const t of ['ann', 'maxwait', 'widen']) clearTimer(st, `${t}:${caller.callId}`)
  queueLog(st, event, caller.callId, caller.queueId, '', { ...data, position, waitSec, action: action.type })
  emit(st, { type: 'call-record', record: { callId: caller.callId, outcome } })
  finishWith(st, caller, prompt, action)
}

/** Play the message (as early media if not answered) and then carry out the end action. */
function finishWith(st: EngineState, caller: CallerRt, prompt: string, action: EndAction): void {
  caller.phase = 'ending'
  caller.endAction = action
  if (caller.answered || caller.playing) emit(st, { type: 'stop-audio', callId: caller.callId })
  caller.playing = undefined
  if (prompt) {
    if (!caller.answered) emit(st, { type: 'pre-answer', callId: caller.callId })
    playToCaller(st, caller, [prompt], 'end')
  } else {
    carryOutEndAction(st, caller)
  }
}

/** busy → USER_BUSY, hangup → NORMAL_CLEARING, forward → transfer. */
function carryOutEndAction(st: EngineState, caller: CallerRt): void {
  const action = caller.endAction ?? { type: 'hangup' }
  if (action.type === 'forward') emit(st, { type: 'transfer', callId: caller.callId, destination: action.destination })
  else emit(st, { type: 'hangup', callId: caller.callId, cause: action.type === 'busy' ? CAUSE.busy : CAUSE.normal })
  emit(st, { type: 'call-record', record: { callId: caller.callId, endedAt: st.now } })
  forgetCaller(st, caller)
}

/** The last agent left a queue with callers waiting: after the grace period they get the no-agents action. */
export function startNoAgentsGraceIfEmpty(st: EngineState, queueId: string): void {
  const queue = st.queues.get(queueId)
  if (!queue || !queue.settings.noAgentsAction) return
  if (loggedInCount(st, queueId) > 0 || st.timers.has(`noagents:${queueId}`)) return
  if ((st.waiting.get(queueId) ?? []).length === 0) return
  setTimer(st, `noagents:${queueId}`, st.now + queue.settings.noAgentsGraceSec * 1000)
}

export function noAgentsGraceOver(st: EngineState, queueId: string): void {
  const queue = st.queues.get(queueId)
  if (!queue || !queue.settings.noAgentsAction || loggedInCount(st, queueId) > 0) return
  for (const c of [...(st.waiting.get(queueId) ?? [])]) {
    if (c.phase !== 'queued' || c.callback) continue
    leaveQueue(st, c, 'NOAGENTS', 'no-agents', queue.settings.noAgentsPrompt, queue.settings.noAgentsAction, {
      grace: queue.settings.noAgentsGraceSec,
    })
  }
}
