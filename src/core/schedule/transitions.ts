/** The coming changes of a queue's open/closed state. */
import type { Closure, HolidayCalendar, Schedule, Transition } from './types.js'
import { compileSchedule, type CompiledSchedule, type Span } from './timeline.js'
import { decideClosure, describePick, pickSchedule } from './decide.js'
import { closureInForce, closureIntervals } from './closures.js'
import { DAY_MS } from './zone.js'

/** nextChange looks this far ahead before giving up (a schedule may never change). */
export const NEXT_CHANGE_HORIZON_MS = 400 * DAY_MS

interface Window {
  c: CompiledSchedule
  /** Spans grouped by the local day they start on (rules) or belong to (holidays). */
  byDay: Map<number, Span[]>
  closures: Closure[]
}

function spansCovering(w: Window, t: number): Span[] {
  const day = w.c.dayOf(t)
  const out: Span[] = []
  for (let d = day - w.c.lookbackDays; d <= day; d++) {
    const s = w.byDay.get(d) ?? w.c.spansOfDay(d)
    for (const x of s) out.push(x)
  }
  return out
}

/** State at `t`, with the reason produced only on demand (most breakpoints do not flip). */
function decideAt(w: Window, queueId: string, t: number): { open: boolean; reason: () => string } {
  const active = w.closures.filter((c) => closureInForce(c, t) && c.queueIds.includes(queueId))
  if (active.length > 0) return { open: false, reason: () => decideClosure(active, w.c.zone, t)!.reason }
  const pick = pickSchedule(w.c, spansCovering(w, t), t)
  return { open: pick.open, reason: () => describePick(w.c, pick).reason }
}

/**
 * Every change of open/closed state at an instant in (from, to], in order. Each entry flips
 * the state of the previous one (the first flips the state at `from`), with the reason of the
 * new state.
 */
export function transitions(
  schedule: Schedule,
  calendars: readonly HolidayCalendar[],
  closures: readonly Closure[],
  queueId: string,
  from: number,
  to: number,
): Transition[] {
  if (!(to > from)) return []
  const c = compileSchedule(schedule, calendars)
  const firstDay = c.dayOf(from)
  const lastDay = c.dayOf(to)
  const byDay = new Map<number, Span[]>()
  const points = new Set<number>()
  for (let d = firstDay - c.lookbackDays; d <= lastDay; d++) {
    const spans = c.spansOfDay(d)
    byDay.set(d, spans)
    for (const s of spans) {
      if (s.start > from && s.start <= to) points.add(s.start)
      if (s.end > from && s.end <= to) points.add(s.end)
    }
  }
  const relevant = closureIntervals(closures, queueId, from, to + 1)
  for (const { start, end } of relevant) {
    if (start > from && start <= to) points.add(start)
    if (end > from && end <= to) points.add(end)
  }
  const w: Window = { c, byDay, closures: relevant.map((r) => r.closure) }
  const sorted = [...points].sort((a, b) => a - b)
  const out: Transition[] = []
  let state = decideAt(w, queueId, from).open
  for (const t of sorted) {
    const d = decideAt(w, queueId, t)
    if (d.open !== state) {
      out.push({ at: t, open: d.open, reason: d.reason() })
      state = d.open
    }
  }
  return out
}

/**
 * The first instant after `at` at which the queue's state flips, or undefined when it does not
 * change within {@link NEXT_CHANGE_HORIZON_MS} (e.g. always open, or closed until reopened).
 */
export function nextChange(
  schedule: Schedule,
  calendars: readonly HolidayCalendar[],
  closures: readonly Closure[],
  queueId: string,
  at: number,
): number | undefined {
  let from = at
  let step = 2 * DAY_MS
  while (from - at < NEXT_CHANGE_HORIZON_MS) {
    const to = Math.min(from + step, at + NEXT_CHANGE_HORIZON_MS)
    const ts = transitions(schedule, calendars, closures, queueId, from, to)
    if (ts.length > 0) {
      // transitions() compares with the state at `from`, which equals the state at `at` here
      return ts[0].at
    }
    from = to
    step = Math.min(step * 2, 64 * DAY_MS)
  }
  return undefined
}
