/** A small deterministic PRNG (mulberry32) and the distributions the simulations need. */
export class Prng {
  #state: number
  constructor(seed: number) {
    this.#state = seed >>> 0
  }
  /** Uniform in [0, 1). */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  uniform(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next()
  }
  /** Exponential with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next())
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next()
    const v = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  /** Log-normal with the given mean and coefficient of variation. */
  logNormal(mean: number, cv: number): number {
    const sigma2 = Math.log(1 + cv * cv)
    const mu = Math.log(mean) - sigma2 / 2
    return Math.exp(mu + Math.sqrt(sigma2) * this.normal())
  }
}
