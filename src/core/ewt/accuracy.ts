/**
 * Accuracy of announced wait estimates against the waits that actually followed — for the
 * benchmark, the tests and `koplus stats ewt` (estimates and actual waits in seconds).
 */

export interface Accuracy {
  /** Estimates scored (undefined estimates are skipped). */
  n: number
  /** Mean absolute error, s. */
  maeS: number
  /** Share of estimates within ±60 s of the actual remaining wait (0..1). */
  within60: number
  /** Mean signed error (estimate − actual), s: > 0 over-estimates. */
  biasS: number
}

/** Scores `pick(item)` against `item.actual`; items whose estimate is undefined are skipped. */
export function accuracy<T extends { actual: number }>(
  items: readonly T[],
  pick: (item: T) => number | undefined,
): Accuracy {
  let n = 0
  let abs = 0
  let signed = 0
  let within = 0
  for (const item of items) {
    const e = pick(item)
    if (e === undefined) continue
    const d = e - item.actual
    n++
    abs += Math.abs(d)
    signed += d
    if (Math.abs(d) <= 60) within++
  }
  return { n, maeS: n ? abs / n : NaN, within60: n ? within / n : NaN, biasS: n ? signed / n : NaN }
}
