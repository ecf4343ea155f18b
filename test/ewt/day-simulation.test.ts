import t from 'tap'
import { accuracy, simulateDay } from '../../bench/sim/ewt-day.js'
import { Prng } from '../../src/core/ewt/prng.js'

t.test('PRNG is deterministic and roughly uniform', async (t) => {
  const a = new Prng(42)
  const b = new Prng(42)
  const xs = Array.from({ length: 10_000 }, () => a.next())
  t.same(
    xs.slice(0, 5),
    Array.from({ length: 5 }, () => b.next()),
  )
  const m = xs.reduce((s, x) => s + x, 0) / xs.length
  t.ok(Math.abs(m - 0.5) < 0.02, `mean ${m}`)
  t.ok(xs.every((x) => x >= 0 && x < 1))
  const ln = new Prng(7)
  const ys = Array.from({ length: 20_000 }, () => ln.logNormal(240, 0.8))
  const mean = ys.reduce((s, y) => s + y, 0) / ys.length
  t.ok(Math.abs(mean - 240) < 10, `log-normal mean ${mean.toFixed(1)}`)
})

t.test('a short busy morning: our estimate beats Asterisk', async (t) => {
  // 07:00–11:00 with a steep ramp and a thin morning shift: queues build up.
  const r = simulateDay({
    seed: 3,
    arrivals: [
      [7, 20],
      [8, 120],
      [9, 170],
      [10, 150],
      [11, 0],
    ],
    shifts: [
      { start: 7, end: 11 },
      { start: 7, end: 11 },
      { start: 7.5, end: 11 },
      { start: 8, end: 11 },
      { start: 8, end: 9.5 },
      { start: 8.5, end: 11, pause: [9.5, 10] },
      { start: 9, end: 11 },
      { start: 9, end: 11 },
      { start: 9.5, end: 11 },
    ],
  })
  t.ok(r.calls > 300, `${r.calls} calls`)
  t.equal(r.answered + r.abandoned, r.calls, 'every caller is answered or abandons')
  t.ok(r.abandoned > 0, 'some abandon')
  t.ok(r.announcements.length > 200, `${r.announcements.length} scored announcements`)
  t.ok(r.announcements.every((a) => a.actual >= 0))
  const spoke = r.announcements.filter((a) => a.ours !== undefined)
  const ours = accuracy(spoke, (a) => a.ours)
  const asterisk = accuracy(spoke, (a) => a.asterisk)
  t.ok(ours.n > 200)
  t.ok(ours.maeS < asterisk.maeS, `MAE ours ${ours.maeS.toFixed(1)} s < Asterisk ${asterisk.maeS.toFixed(1)} s`)
  t.ok(ours.within60 > asterisk.within60, `±60 s ours ${ours.within60} > Asterisk ${asterisk.within60}`)
})

t.test('same seed, same day', async (t) => {
  const opts = {
    seed: 9,
    arrivals: [
      [8, 100],
      [9, 100],
    ] as const,
    shifts: [
      { start: 8, end: 9.5 },
      { start: 8, end: 9.5 },
    ],
  }
  const a = simulateDay(opts)
  const b = simulateDay(opts)
  t.same(a, b)
  const c = simulateDay({ ...opts, seed: 10 })
  t.not(a.calls === c.calls && a.meanWaitS === c.meanWaitS, true, 'another seed, another day')
})

t.test('no agents all day: nobody answered, nothing scored, estimate silent', async (t) => {
  const r = simulateDay({
    seed: 1,
    arrivals: [
      [8, 60],
      [9, 60],
    ],
    shifts: [],
  })
  t.equal(r.answered, 0)
  t.equal(r.abandoned, r.calls)
  t.equal(r.announcements.length, 0)
})

t.test('accuracy scoring', async (t) => {
  const items = [
    { actual: 100, est: 100 },
    { actual: 100, est: 200 },
    { actual: 100, est: 40 },
    { actual: 100, est: undefined },
  ]
  const a = accuracy(items, (x) => x.est)
  t.equal(a.n, 3)
  t.equal(a.maeS, (0 + 100 + 60) / 3)
  t.equal(a.within60, 2 / 3)
  t.equal(a.biasS, (0 + 100 - 60) / 3)
  t.ok(Number.isNaN(accuracy([], () => 1).maeS))
})
