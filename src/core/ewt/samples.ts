/**
 * A bounded, time-ordered list of samples with running (prefix) sums, so that the count and sum of the samples in
 * a sliding window are O(log n) — a binary search for the window's start — instead of a scan of every sample
 * (issue 13: the estimator was asked once per event and rescanned up to 10,000 samples each time).
 *
 * Sums are exact for integer values (times in ms are integers below 2^53), so a windowed sum equals the sum of the
 * same samples added one by one: test/ewt/incremental.test.ts compares the two over a seeded random day.
 */
export class Samples {
  /** Sample times, non-decreasing; `#at[i]` for i ≥ #start are the kept samples. */
  #at: number[] = []
  /** `#cum[i]` = sum of the values of samples #start…i−1 relative to the same base: cum[n] − cum[i] = Σ values[i…n). */
  #cum: number[] = [0]
  #start = 0

  constructor(private readonly max: number) {}

  get length(): number {
    return this.#at.length - this.#start
  }

  /**
   * Adds a sample. Times are expected in order (the engine's clock only moves forward); a time before the last
   * one is taken as the last one, so the window stays a suffix.
   */
  add(at: number, value: number): void {
    const n = this.#at.length
    const t = n > this.#start && at < this.#at[n - 1] ? this.#at[n - 1] : at
    this.#at.push(t)
    this.#cum.push(this.#cum[n] + value)
    if (this.#at.length - this.#start > this.max) this.#start = this.#at.length - this.max
    // Drop the forgotten prefix now and then (amortised O(1) per add).
    if (this.#start >= this.max && this.#start >= 64) this.#compact()
  }

  #compact(): void {
    const s = this.#start
    const base = this.#cum[s]
    this.#at = this.#at.slice(s)
    const cum = new Array<number>(this.#at.length + 1)
    for (let i = 0; i < cum.length; i++) cum[i] = this.#cum[s + i] - base
    this.#cum = cum
    this.#start = 0
  }

  /** Index of the first kept sample at or after `since`. */
  #firstSince(since: number): number {
    let lo = this.#start
    let hi = this.#at.length
    while (lo < hi) {
      const mid = (lo + hi) >>> 1
      if (this.#at[mid] >= since) hi = mid
      else lo = mid + 1
    }
    return lo
  }

  /** Count and sum of the samples at or after `since`; if fewer than `min`, of the last `min` samples. */
  recent(since: number, min: number): { n: number; sum: number } {
    const end = this.#at.length
    let i = this.#firstSince(since)
    if (end - i < min) i = Math.max(this.#start, end - min)
    return { n: end - i, sum: this.#cum[end] - this.#cum[i] }
  }

  countSince(since: number): number {
    return this.#at.length - this.#firstSince(since)
  }
}
