/**
 * Announcements while waiting: position, estimated wait and periodic messages, when each is due.
 */
import {
  encodeAnnounceState,
  markPlayed,
  nextAnnouncement,
  type AnnouncementContext,
  type AnnouncementKind,
} from '../journey/index.js'
import {
  TIMER_SLACK_MS,
  type CallerRt,
  type EngineState,
  clearTimer,
  emit,
  queueLog,
  setTimer,
} from './engine-state.js'
import { playToCaller, startHoldMusic } from './journey.js'
import { estimateWait } from './queue-load.js'
import { lineIndexOf } from './waiting-line.js'
import { callbackOfferPrompts } from './callback.js'

export function positionOf(st: EngineState, caller: CallerRt): number {
  const line = st.waiting.get(caller.queueId)
  return (line ? lineIndexOf(line, caller) : -1) + 1
}

export function annCtx(st: EngineState, caller: CallerRt): AnnouncementContext {
  const queue = st.queues.get(caller.queueId)!
  const position = Math.max(1, positionOf(st, caller))
  return {
    now: st.now,
    joinedAt: caller.joinedAt,
    position,
    estimateSec: estimateWait(st, queue, position),
    language: queue.settings.language,
  }
}

export function scheduleAnnouncement(st: EngineState, caller: CallerRt): void {
  const queue = st.queues.get(caller.queueId)!
  const plan = nextAnnouncement(queue.settings, caller.announce, annCtx(st, caller))
  if (!plan) return clearTimer(st, `ann:${caller.callId}`)
  const at = plan.prompts.length ? Math.max(plan.at, st.now) : Math.max(plan.at, st.now + 1000)
  setTimer(st, `ann:${caller.callId}`, at)
}

/** A message ended: the next announcement if one is due now (e.g. the position right after the first message), else music. */
export function continueAfterPrompt(st: EngineState, caller: CallerRt): void {
  if (announceIfDue(st, caller, false)) return
  startHoldMusic(st, caller)
  scheduleAnnouncement(st, caller)
}

/** Periodic / position / wait announcement: the music stops, the message plays, the music resumes after it. */
export function announcementDue(st: EngineState, caller: CallerRt): void {
  if (caller.phase !== 'queued' || caller.playing || caller.callback) return
  if (!announceIfDue(st, caller, true)) scheduleAnnouncement(st, caller)
}

export function announceIfDue(st: EngineState, caller: CallerRt, musicPlaying: boolean): boolean {
  const queue = st.queues.get(caller.queueId)!
  const ctx = annCtx(st, caller)
  const plan = nextAnnouncement(queue.settings, caller.announce, ctx)
  if (!plan || plan.at > st.now + TIMER_SLACK_MS || plan.prompts.length === 0) return false
  clearTimer(st, `ann:${caller.callId}`)
  caller.announce = markPlayed(caller.announce, plan.kind, ctx)
  if (musicPlaying) emit(st, { type: 'stop-audio', callId: caller.callId })
  const offer =
    plan.kind === 'wait' || plan.kind === 'position' || plan.kind === 'position+wait'
      ? callbackOfferPrompts(st, caller, ctx.estimateSec)
      : []
  playToCaller(st, caller, [...plan.prompts, ...offer], 'announce')
  if ((plan.kind === 'wait' || plan.kind === 'position+wait') && ctx.estimateSec !== undefined) {
    emit(st, {
      type: 'ewt',
      callId: caller.callId,
      queueId: queue.id,
      at: st.now,
      position: ctx.position,
      seconds: Math.round(ctx.estimateSec),
    })
  }
  emit(st, { type: 'set-vars', callId: caller.callId, vars: { koplus_announce: encodeAnnounceState(caller.announce) } })
  logAnnouncement(st, caller, plan.kind, ctx)
  return true
}

function logAnnouncement(st: EngineState, caller: CallerRt, kind: AnnouncementKind, ctx: AnnouncementContext): void {
  queueLog(st, 'ANNOUNCE', caller.callId, caller.queueId, '', {
    kind,
    position: ctx.position,
    ...(ctx.estimateSec !== undefined ? { estimateSec: Math.round(ctx.estimateSec) } : {}),
  })
}
