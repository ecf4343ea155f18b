/**
 * Is a queue open at an instant, and why. Pure: `at` is always passed in. See decide.ts for the
 * precedence of closures, special openings, holidays, exception closings and regular rules.
 */
import type { Closure, Explanation, HolidayCalendar, Schedule } from './types.js'
import { compileSchedule, type CompiledSchedule } from './timeline.js'
import { decideClosure, describePick, pickSchedule, type Decision, type Pick } from './decide.js'
import { activeClosures, closureInForce } from './closures.js'
import { nextChange } from './transitions.js'

/** Schedule-only decision at `t`, plus the stretch [start, end) around `t` where it cannot change. */
function scheduleDecision(c: CompiledSchedule, t: number): { pick: Pick; start: number; end: number } {
  const day = c.dayOf(t)
  const spans = c.spansForDays(day, day)
  let start = c.dayStart(day)
  let end = c.dayStart(day + 1)
  for (const s of spans) {
    if (s.start <= t) {
      if (s.start > start) start = s.start
    } else if (s.start < end) end = s.start
    if (s.end <= t) {
      if (s.end > start) start = s.end
    } else if (s.end < end) end = s.end
  }
  return { pick: pickSchedule(c, spans, t), start, end }
}

/**
 * Fast path for the daemon: true when `queueId` takes calls at instant `at`. Amortised cost is a
 * scan of `closures` plus a cached-segment lookup; pass only the closures that may matter (the
 * store's unexpired ones).
 */
export function isOpen(
  schedule: Schedule,
  calendars: readonly HolidayCalendar[],
  closures: readonly Closure[],
  queueId: string,
  at: number,
): boolean {
  for (const cl of closures) {
    if (closureInForce(cl, at) && cl.queueIds.includes(queueId)) return false
  }
  const c = compileSchedule(schedule, calendars)
  const seg = c.segment
  if (seg && at >= seg.start && at < seg.end) return seg.open
  const d = scheduleDecision(c, at)
  c.segment = { start: d.start, end: d.end, open: d.pick.open }
  return d.pick.open
}

/**
 * Open or closed at `at`, what decided it and why, without searching for the next change: the
 * cheap form of {@link explain} for the daemon's call path (a few µs).
 */
export function stateAt(
  schedule: Schedule,
  calendars: readonly HolidayCalendar[],
  closures: readonly Closure[],
  queueId: string,
  at: number,
): Decision {
  const c = compileSchedule(schedule, calendars)
  return (
    decideClosure(activeClosures(closures, queueId, at), c.zone, at) ?? describePick(c, scheduleDecision(c, at).pick)
  )
}

/**
 * Open or closed at `at`, what decided it, in words, and when it next changes. Throws
 * ScheduleValidationError when the schedule is invalid.
 */
export function explain(
  schedule: Schedule,
  calendars: readonly HolidayCalendar[],
  closures: readonly Closure[],
  queueId: string,
  at: number,
): Explanation {
  const decision = stateAt(schedule, calendars, closures, queueId, at)
  const next = nextChange(schedule, calendars, closures, queueId, at)
  const out: Explanation = { open: decision.open, reason: decision.reason, decidedBy: decision.decidedBy }
  if (next !== undefined) {
    out.nextChange = next
    if (decision.open) out.openUntil = next
  }
  return out
}
