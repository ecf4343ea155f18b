/**
 * Temporary closures (S2): pure helpers over Closure records. A closure is in force from `from`
 * (inclusive) until the earlier of `until` and `reopenedAt` (exclusive); with neither it lasts
 * until reopened.
 */
import type { Closure } from './types.js'

/** Instant a closure stops being in force, or undefined while it lasts until reopened. */
export function closureEndsAt(c: Closure): number | undefined {
  if (c.until === undefined) return c.reopenedAt
  if (c.reopenedAt === undefined) return c.until
  return Math.min(c.until, c.reopenedAt)
}

/** True when closure `c` is in force at instant `at` (whatever queues it names). */
export function closureInForce(c: Closure, at: number): boolean {
  if (at < c.from) return false
  const end = closureEndsAt(c)
  return end === undefined || at < end
}

/** Closures in force for `queueId` at instant `at`. */
export function activeClosures(closures: readonly Closure[], queueId: string, at: number): Closure[] {
  const out: Closure[] = []
  for (const c of closures) {
    if (closureInForce(c, at) && c.queueIds.includes(queueId)) out.push(c)
  }
  return out
}

/**
 * The closure that explains a closed queue best: the one in force that ends last (one until
 * reopened first), ties broken by the latest created.
 */
export function governingClosure(active: readonly Closure[]): Closure | undefined {
  let best: Closure | undefined
  let bestEnd = -Infinity
  for (const c of active) {
    const end = closureEndsAt(c) ?? Infinity
    if (best === undefined || end > bestEnd || (end === bestEnd && c.createdAt > best.createdAt)) {
      best = c
      bestEnd = end
    }
  }
  return best
}

/**
 * The first instant strictly after `at` at which any closure starts or ends (for `queueId`, or
 * for any queue when it is omitted), so the daemon can set one timer to re-evaluate; undefined
 * when none is scheduled.
 */
export function nextClosureBoundary(closures: readonly Closure[], at: number, queueId?: string): number | undefined {
  let next: number | undefined
  for (const c of closures) {
    if (queueId !== undefined && !c.queueIds.includes(queueId)) continue
    const end = closureEndsAt(c)
    if (end !== undefined && end <= c.from) continue // reopened before it began: never in force
    for (const t of [c.from, end]) {
      if (t !== undefined && t > at && (next === undefined || t < next)) next = t
    }
  }
  return next
}

/** Start and end instants (end may be Infinity) of the closures for `queueId` that overlap [from, to). */
export function closureIntervals(
  closures: readonly Closure[],
  queueId: string,
  from: number,
  to: number,
): { closure: Closure; start: number; end: number }[] {
  const out: { closure: Closure; start: number; end: number }[] = []
  for (const c of closures) {
    if (!c.queueIds.includes(queueId)) continue
    const end = closureEndsAt(c) ?? Infinity
    if (end <= c.from || end <= from || c.from >= to) continue
    out.push({ closure: c, start: c.from, end })
  }
  return out
}
