/**
 * Issue 13: the incremental wait estimator (windowed sums by prefix sums, stage sums in O(1)) gives the same
 * estimates as the full recompute it replaced (test/ewt/reference-estimator.ts), over a seeded random day.
 */
import t from 'tap'
import { WaitEstimator } from '../../src/core/ewt/wait-estimator.js'
import { Prng } from '../../src/core/ewt/prng.js'
import { stageSums, stageSumsDirect } from '../../src/core/ewt/stage-sums.js'
import { ReferenceWaitEstimator } from './reference-estimator.js'

const T0 = Date.UTC(2026, 10, 25, 8, 0, 0)

function close(got: number | undefined, want: number | undefined): boolean {
  if (got === undefined || want === undefined) return got === want
  return Math.abs(got - want) <= 1e-7 * Math.max(1, Math.abs(want))
}

t.test('a seeded random day: every estimate equals the full recompute', async (t) => {
  for (const seed of [1, 7, 2026]) {
    const rng = new Prng(seed)
    const opts = { windowMs: 20 * 60_000, minSamples: 5, maxSamples: 300 }
    const inc = new WaitEstimator(opts)
    const ref = new ReferenceWaitEstimator(opts)
    let now = T0
    let checked = 0
    let defined = 0
    let worst = 0
    let firstBad = ''
    for (let step = 0; step < 20_000; step++) {
      now += Math.floor(rng.exponential(400))
      const r = rng.next()
      const both = (f: (e: WaitEstimator | ReferenceWaitEstimator) => void) => (f(inc), f(ref))
      if (r < 0.3) {
        const serving = Math.floor(rng.uniform(0, 40))
        const busy = Math.floor(rng.uniform(0, serving + 1))
        const queued = Math.floor(rng.uniform(0, 300))
        both((e) => e.recordState(now, serving, busy, queued))
      } else if (r < 0.4) {
        const backlogged = rng.next() < 0.7
        both((e) => e.recordServiceStart(now, backlogged))
      } else if (r < 0.55) {
        const waited = Math.floor(rng.exponential(60_000))
        const ring = rng.next() < 0.9 ? Math.floor(rng.exponential(5000)) : undefined
        both((e) => e.recordAnswered(now, waited, ring))
      } else if (r < 0.7) {
        const handle = Math.floor(rng.exponential(180_000))
        both((e) => e.recordHandled(now, handle))
      } else if (r < 0.78) {
        const waited = Math.floor(rng.exponential(90_000))
        both((e) => e.recordAbandoned(now, waited))
      } else {
        // Several estimates at one instant, as an engine step asks them: positions up to 12,000.
        for (let i = 0; i < 3; i++) {
          const position = 1 + Math.floor(rng.next() < 0.5 ? rng.uniform(0, 40) : rng.uniform(0, 12_000))
          const serving = Math.floor(rng.uniform(0, 60))
          const busy = rng.next() < 0.1 ? undefined : Math.floor(rng.uniform(0, serving + 1))
          const got = inc.estimate(position, serving, busy, now)
          const want = ref.estimate(position, serving, busy, now)
          checked++
          if (want !== undefined) defined++
          if (got !== undefined && want !== undefined)
            worst = Math.max(worst, Math.abs(got - want) / Math.max(1, Math.abs(want)))
          if (!close(got, want) && !firstBad)
            firstBad = `seed ${seed} step ${step}: position ${position}, ${serving}/${busy}: ${got} vs ${want}`
        }
        if (JSON.stringify(inc.basis(now)) !== JSON.stringify(ref.basis(now)))
          firstBad ||= `seed ${seed} step ${step}: basis ${JSON.stringify(inc.basis(now))} vs ${JSON.stringify(ref.basis(now))}`
      }
    }
    t.equal(
      firstBad,
      '',
      `seed ${seed}: ${checked} estimates (${defined} with a basis) match the full recompute; worst relative difference ${worst.toExponential(1)}`,
    )
    t.ok(defined > checked / 2, `seed ${seed}: most estimates had a basis (${defined}/${checked})`)
  }
})

t.test('stage sums in constant time equal the term-by-term sums', async (t) => {
  const rng = new Prng(13)
  let worst = 0
  for (let i = 0; i < 3000; i++) {
    const k = 1 + Math.floor(rng.uniform(0, 15_000))
    const mu = rng.uniform(0.0001, 2)
    const alpha = rng.next() < 0.1 ? 0 : rng.next() < 0.2 ? rng.uniform(0, 1e-9) : rng.uniform(0, 0.05)
    const a = stageSums(k, mu, alpha)
    const b = stageSumsDirect(k, mu, alpha)
    worst = Math.max(worst, Math.abs(a.mean - b.mean) / b.mean, Math.abs(a.variance - b.variance) / b.variance)
  }
  t.ok(worst < 1e-9, `worst relative difference ${worst.toExponential(1)}`)
})
