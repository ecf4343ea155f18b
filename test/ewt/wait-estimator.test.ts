import t from 'tap'
import { WaitEstimator } from '../../src/core/ewt/wait-estimator.js'

const T0 = Date.UTC(2026, 10, 25, 9, 0, 0)
const MIN = 60_000

/** An estimator that has seen `n` calls handled in `handleMs` each, in the last minutes before T0. */
function withHistory(handleMs: number, n = 10, opts?: ConstructorParameters<typeof WaitEstimator>[0]) {
  const e = new WaitEstimator(opts)
  for (let i = 0; i < n; i++) {
    const at = T0 - (n - i) * 10_000
    e.recordAnswered(at, 30_000, 0)
    e.recordHandled(at, handleMs)
  }
  return e
}

t.test('no basis → undefined', async (t) => {
  const fresh = new WaitEstimator()
  t.equal(fresh.estimate(1, 5, 5, T0), undefined, 'no history')
  t.equal(fresh.estimate(3, 5, undefined, T0), undefined, 'no history, busy unknown')
  const e = withHistory(5 * MIN)
  t.equal(e.estimate(1, 0, 0, T0), undefined, 'no serving agents')
  t.equal(e.estimate(0, 3, 3, T0), undefined, 'position 0 is not a position')
  t.type(e.estimate(1, 3, 3, T0), 'number', 'history and agents → an estimate')
  // Abandons and answers alone are no basis for a service time.
  const noHandle = new WaitEstimator()
  noHandle.recordAnswered(T0 - MIN, 10_000)
  noHandle.recordAbandoned(T0 - MIN, 10_000)
  t.equal(noHandle.estimate(1, 3, 3, T0), undefined)
})

t.test('magnitude: one agent, 5-minute calls, all busy', async (t) => {
  const e = withHistory(5 * MIN)
  const first = e.estimate(1, 1, 1, T0)!
  // One release of an exponential-ish 300 s service: median ≈ 300 − 300/3 = 200 s.
  t.ok(first > 150 && first < 320, `position 1: ${first.toFixed(0)} s`)
  const tenth = e.estimate(10, 1, 1, T0)!
  t.ok(tenth > 9 * 300 && tenth < 10 * 300 + 1, `position 10: ${tenth.toFixed(0)} s`)
})

t.test('a free agent means (almost) no wait', async (t) => {
  const e = withHistory(5 * MIN)
  t.equal(e.estimate(1, 3, 2, T0), 0, 'one idle agent, position 1, no ring history beyond 0 ms')
  t.equal(e.estimate(2, 4, 2, T0), 0, 'two idle agents, position 2')
  t.ok(e.estimate(3, 4, 2, T0)! > 0, 'position 3 behind two idle agents waits')
  const ring = new WaitEstimator()
  for (let i = 0; i < 5; i++) {
    ring.recordAnswered(T0 - MIN, 20_000, 8_000)
    ring.recordHandled(T0 - MIN, 3 * MIN)
  }
  t.equal(ring.estimate(1, 2, 1, T0), 8, 'immediate offer → the ring time')
})

t.test('more agents → shorter', async (t) => {
  const e = withHistory(4 * MIN)
  let prev = Infinity
  for (let agents = 1; agents <= 30; agents++) {
    const est = e.estimate(5, agents, agents, T0)!
    t.ok(est < prev, `${agents} agents: ${est.toFixed(1)} s < ${prev.toFixed(1)} s`)
    prev = est
  }
})

t.test('longer handle time → longer', async (t) => {
  let prev = 0
  for (const minutes of [1, 2, 3, 5, 8, 13]) {
    const est = withHistory(minutes * MIN).estimate(4, 3, 3, T0)!
    t.ok(est > prev, `${minutes} min calls: ${est.toFixed(1)} s`)
    prev = est
  }
})

t.test('position is monotonic, up to 999', async (t) => {
  const e = withHistory(4 * MIN)
  e.recordAbandoned(T0 - 2 * MIN, 60_000)
  e.recordAbandoned(T0 - MIN, 90_000)
  let prev = -1
  let ok = true
  for (let p = 1; p <= 999; p++) {
    const est = e.estimate(p, 6, 6, T0)!
    if (!(est > prev)) ok = false
    prev = est
  }
  t.ok(ok, 'strictly increasing with position')
})

t.test('abandonment ahead shortens the wait', async (t) => {
  const calm = withHistory(4 * MIN)
  const impatient = withHistory(4 * MIN)
  for (let i = 0; i < 10; i++) impatient.recordAbandoned(T0 - i * 20_000, 60_000)
  const a = calm.estimate(10, 3, 3, T0)!
  const b = impatient.estimate(10, 3, 3, T0)!
  t.ok(b < a, `with abandons ${b.toFixed(0)} s < without ${a.toFixed(0)} s`)
  t.ok(impatient.basis(T0).abandonRate > 0)
  t.equal(calm.basis(T0).abandonRate, 0)
})

t.test('sliding window: old handle times give way to recent ones', async (t) => {
  const e = new WaitEstimator({ windowMs: 30 * MIN, minSamples: 3 })
  for (let i = 0; i < 20; i++) e.recordHandled(T0 - 2 * 3600_000 + i * 1000, 10 * MIN) // two hours ago: long calls
  const old = e.estimate(3, 2, 2, T0)!
  t.equal(e.basis(T0).handleMs, 10 * MIN, 'with nothing recent, the latest samples are used')
  for (let i = 0; i < 5; i++) e.recordHandled(T0 - 5 * MIN + i * 1000, 2 * MIN)
  t.equal(e.basis(T0).handleMs, 2 * MIN, 'the window holds only recent calls')
  const recent = e.estimate(3, 2, 2, T0)!
  t.ok(recent < old / 3, `recent short calls: ${recent.toFixed(0)} s vs ${old.toFixed(0)} s`)
})

t.test('observed service rate: agents shared with other work serve this queue slower', async (t) => {
  const dedicated = withHistory(4 * MIN, 20)
  const shared = withHistory(4 * MIN, 20)
  // Two agents, always busy, queue non-empty, for 30 min; only 4 service starts (a dedicated
  // pair would manage ~15): they spend most of their time elsewhere.
  let at = T0 - 30 * MIN
  shared.recordState(at, 2, 2, 3)
  for (let i = 0; i < 4; i++) {
    at += 7 * MIN
    shared.recordServiceStart(at, true)
    shared.recordState(at, 2, 2, 3)
  }
  shared.recordState(T0, 2, 2, 3)
  const basis = shared.basis(T0)
  t.ok(basis.observedPerAgentRate === undefined || basis.observedPerAgentRate < 1 / 240)
  const d = dedicated.estimate(5, 2, 2, T0)!
  const s = shared.estimate(5, 2, 2, T0)!
  t.ok(s > d * 1.5, `shared ${s.toFixed(0)} s vs dedicated ${d.toFixed(0)} s`)
})

t.test('deterministic and side-effect free: estimate does not change the state', async (t) => {
  const e = withHistory(3 * MIN)
  const a = e.estimate(4, 3, 3, T0)
  const b = e.estimate(4, 3, 3, T0)
  t.equal(a, b)
})
