/**
 * The sums behind a wait estimate in O(1) instead of O(position) (issue 13: 10,000 waiting callers):
 *
 *     S1(k) = Σ_{j=1..k} 1 / (μ + j·α)        S2(k) = Σ_{j=1..k} 1 / (μ + j·α)²
 *
 * (the mean and variance of k exponential stages; see wait-estimator.ts). The first DIRECT terms are added one by
 * one; the tail is its integral plus Euler–Maclaurin corrections up to the f''' term, whose remainder is below
 * α⁵ / (252·r⁶) for r = μ + (DIRECT+1)·α, i.e. below 1e-10 of the sum: test/ewt/incremental.test.ts compares it
 * with the term-by-term sum.
 */

/** Terms summed directly before the tail formula takes over. */
const DIRECT = 32

export interface StageSums {
  /** Σ 1/rate: the mean of the sum of the stages. */
  mean: number
  /** Σ 1/rate²: its variance. */
  variance: number
}

/** Term by term: the reference (and the answer for k ≤ DIRECT). */
export function stageSumsDirect(k: number, mu: number, alpha: number): StageSums {
  let mean = 0
  let variance = 0
  for (let j = 1; j <= k; j++) {
    const rate = mu + j * alpha
    mean += 1 / rate
    variance += 1 / (rate * rate)
  }
  return { mean, variance }
}

/** S1(k), S2(k) for μ > 0, α ≥ 0, k ≥ 0 (integer), in constant time. */
export function stageSums(k: number, mu: number, alpha: number): StageSums {
  if (k <= DIRECT) return stageSumsDirect(k, mu, alpha)
  if (alpha === 0) return { mean: k / mu, variance: k / (mu * mu) }
  const head = stageSumsDirect(DIRECT, mu, alpha)
  // Tail: j = a … k with a = DIRECT + 1; f(x) = 1/(μ+αx) and g(x) = f(x)².
  const a = DIRECT + 1
  const ra = mu + a * alpha
  const rk = mu + k * alpha
  const n = k - a
  // ∫_a^k f = ln(rk/ra)/α = log1p(α·n/ra)/α (no cancellation when α is small).
  const x = (alpha * n) / ra
  const intF = x < 1e-8 ? (n / ra) * (1 - x / 2 + (x * x) / 3) : Math.log1p(x) / alpha
  // ∫_a^k g = (1/ra − 1/rk)/α = n / (ra·rk).
  const intG = n / (ra * rk)
  // Euler–Maclaurin: Σ_{a..k} h ≈ ∫h + (h(a)+h(k))/2 + (h'(k)−h'(a))/12 − (h'''(k)−h'''(a))/720.
  const f = (r: number) => 1 / r
  const f1 = (r: number) => -alpha / (r * r)
  const f3 = (r: number) => (-6 * alpha ** 3) / r ** 4
  const g = (r: number) => 1 / (r * r)
  const g1 = (r: number) => (-2 * alpha) / r ** 3
  const g3 = (r: number) => (-24 * alpha ** 3) / r ** 5
  const tailF = intF + (f(ra) + f(rk)) / 2 + (f1(rk) - f1(ra)) / 12 - (f3(rk) - f3(ra)) / 720
  const tailG = intG + (g(ra) + g(rk)) / 2 + (g1(rk) - g1(ra)) / 12 - (g3(rk) - g3(ra)) / 720
  return { mean: head.mean + tailF, variance: head.variance + tailG }
}
