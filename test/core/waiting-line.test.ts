/**
 * The waiting line without passes over it (src/core/engine/waiting-line.ts): a caller's place by binary search and
 * the longest wait from a heap, against indexOf and a minimum over the line after random changes; and in busy
 * simulated days, the status's longest wait against the waits of the callers it lists.
 */
import t from 'tap'
import { runDay } from '../../bench/sim/engine-day.js'
import { Prng } from '../../src/core/ewt/prng.js'
import type { CallerRt } from '../../src/core/engine/engine-state.js'
import { initialAnnounceState } from '../../src/core/journey/index.js'
import { lineIndexOf, OldestInLine } from '../../src/core/engine/waiting-line.js'

function caller(i: number, seq: number, joinedAt: number): CallerRt {
  return {
    callId: `c${i}`,
    queueId: 'q1',
    tenantId: 't1',
    callerNumber: '',
    callerName: '',
    arrivedAt: joinedAt,
    phase: 'queued',
    answered: true,
    seq,
    joinedAt,
    announce: initialAnnounceState(),
    tried: new Set(),
  }
}

/** insertInLine's rule: after every caller with a smaller or equal seq. */
function insert(line: CallerRt[], c: CallerRt): void {
  let i = line.length
  while (i > 0 && line[i - 1].seq > c.seq) i--
  line.splice(i, 0, c)
}

t.test('random arrivals, departures and moves: place and longest wait equal a pass over the line', async (t) => {
  const rng = new Prng(5)
  const line: CallerRt[] = []
  const oldest = new OldestInLine()
  const gone: CallerRt[] = []
  let seq = 1
  let now = 1000
  let checked = 0
  const wrong: string[] = []
  for (let step = 0; step < 20_000 && wrong.length === 0; step++) {
    now += Math.floor(rng.next() * 50)
    const r = rng.next()
    if (r < 0.45 || line.length === 0) {
      // Arrival; now and then a caller coming back with its old seq (an offer that failed, a restored caller).
      const back = gone.length && rng.next() < 0.1 ? gone.pop()! : caller(step, seq++, now)
      insert(line, back)
      oldest.add(back)
    } else if (r < 0.8) {
      // The head is served, or someone anywhere hangs up.
      const i = rng.next() < 0.6 ? 0 : Math.floor(rng.next() * line.length)
      const [c] = line.splice(i, 1)
      oldest.remove(c)
      if (rng.next() < 0.2) gone.push(c)
    } else {
      // An operator moves a caller ahead (callback.ts moveCallback: new seq between two, own joinedAt kept).
      const from = Math.floor(rng.next() * line.length)
      const [c] = line.splice(from, 1)
      oldest.remove(c)
      const i = Math.floor(rng.next() * (line.length + 1))
      const before = i > 0 ? line[i - 1].seq : line.length ? line[0].seq - 1 : c.seq
      const after = i < line.length ? line[i].seq : before + 1
      c.seq = (before + after) / 2
      insert(line, c)
      oldest.add(c)
    }
    for (const c of [line[0], line[line.length - 1], line[Math.floor(rng.next() * line.length)], gone[0]]) {
      if (!c) continue
      if (lineIndexOf(line, c) !== line.indexOf(c))
        wrong.push(`step ${step}: ${c.callId} at ${lineIndexOf(line, c)}, indexOf ${line.indexOf(c)}`)
    }
    const want = line.length ? Math.min(...line.map((c) => c.joinedAt)) : undefined
    if (oldest.oldest() !== want) wrong.push(`step ${step}: oldest ${oldest.oldest()}, pass ${want}`)
    if (oldest.size !== line.length) wrong.push(`step ${step}: size ${oldest.size}, line ${line.length}`)
    checked++
  }
  t.equal(checked, 20_000)
  t.same(wrong, [])
})

t.test('equal seqs: the caller itself is found, not its neighbour', async (t) => {
  const a = caller(1, 5, 100)
  const b = caller(2, 5, 90)
  const c = caller(3, 6, 80)
  const line = [caller(0, 4, 110), a, b, c]
  t.equal(lineIndexOf(line, b), 2)
  t.equal(lineIndexOf(line, a), 1)
  t.equal(lineIndexOf(line, caller(9, 5, 0)), -1)
  t.equal(lineIndexOf([], a), -1)
})

t.test('busy days: the status longest wait and places equal the waits and order of the callers listed', async (t) => {
  for (const seed of [4, 8]) {
    const problems: string[] = []
    let seen = 0
    runDay({
      seed,
      queues: 3,
      agents: 6,
      calls: 900,
      dayMs: 2 * 3600_000,
      agentActionMeanSec: 30,
      patienceMeanSec: 600,
      settings: { announcePosition: true, positionIntervalSec: 30, wrapUpSec: 20 },
      wantStatus: true,
      onStep: (e, _c, s, now) => {
        for (const q of s!.queues) {
          const longest = q.callers.reduce((m, c) => Math.max(m, c.waitedSec), 0)
          if (q.callers.length) seen++
          if (q.longestWaitSec !== longest && problems.length < 5)
            problems.push(`${e.type} at ${now}: ${q.queueId} longest ${q.longestWaitSec}, callers ${longest}`)
          q.callers.forEach((c, i) => {
            if (c.position !== i + 1 && problems.length < 5) problems.push(`${c.callId} position ${c.position}`)
          })
        }
      },
    })
    t.ok(seen > 1000, `seed ${seed}: ${seen} queue snapshots with callers waiting`)
    t.same(problems, [], `seed ${seed}`)
  }
})
