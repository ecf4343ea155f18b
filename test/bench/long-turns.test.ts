/**
 * bench/helpers/long-turns.ts: a V8 CPU profile (the inspector's Profiler.stop shape) is cut into turns at its
 * (idle) samples; the turns of longMs or more are counted by length and what they ran is summed by the outermost and
 * innermost koplus frame and the function on top, with time between samples far apart counted as off the CPU.
 * A hand-made profile with known times, then a real one of this process.
 */
import t from 'tap'
import { Session } from 'node:inspector/promises'
import { formatLongTurns, longTurns, type CpuProfile, type CpuProfileNode } from '../../bench/helpers/long-turns.js'

const frame = (id: number, functionName: string, url: string, children: number[] = []): CpuProfileNode => ({
  id,
  callFrame: { functionName, url, lineNumber: 9 },
  children,
})

/** root → idle; root → onStreamRead → #onData (ours) → decode (ours) → slice (node); root → processTimers → tick (ours). */
const nodes: CpuProfileNode[] = [
  frame(1, '(root)', '', [2, 3, 6]),
  frame(2, '(idle)', ''),
  frame(3, 'onStreamRead', 'node:internal/stream_base_commons', [4]),
  frame(4, '#onData', 'file:///w/dist/src/freeswitch/esl/client.js', [5]),
  frame(5, 'decode', 'file:///w/dist/src/freeswitch/esl/event.js', [7]),
  frame(6, 'processTimers', 'node:internal/timers', [8]),
  frame(7, 'slice', 'node:buffer'),
  frame(8, 'tick', 'file:///w/dist/src/daemon/ticker.js'),
]

/** Samples every 250 µs by default; `gapAfter` makes the next sample that much later (µs). */
function profile(samples: Array<[number, number?]>): CpuProfile {
  const ids: number[] = []
  const deltas: number[] = []
  let next = 250
  for (const [id, gap] of samples) {
    ids.push(id)
    deltas.push(next)
    next = gap ?? 250
  }
  const total = deltas.reduce((a, b) => a + b, 0) + next
  return { nodes, startTime: 0, endTime: total, samples: ids, timeDeltas: deltas }
}

t.test('turns cut at idle samples; long ones counted by length and summed by frame', async (t) => {
  const idle = (n: number): Array<[number]> => Array.from({ length: n }, () => [2] as [number])
  const run = (id: number, n: number): Array<[number]> => Array.from({ length: n }, () => [id] as [number])
  const p = profile([
    ...idle(10),
    ...run(7, 24), // a 6 ms turn in decode → slice
    ...idle(10),
    ...run(8, 8), // a 2 ms turn: short, not counted
    ...idle(10),
    ...run(7, 20),
    [8, 10_000], // 5 ms of a 5.25 ms turn, then the process was off the CPU for ~10 ms
    ...run(8, 3),
    ...idle(4),
  ])
  const l = longTurns(p, 5)
  t.equal(l.count, 2, 'two turns of 5 ms or more')
  t.same(l.byLength, [1, 1, 0], 'one 5–10 ms, one 10–20 ms')
  t.ok(Math.abs(l.maxMs - (5 + 10 + 0.75)) < 1e-9, `longest ${l.maxMs} ms: 20 samples, a 10 ms gap, 3 samples`)
  t.ok(Math.abs(l.unsampledMs - 9.75) < 1e-9, 'the gap beyond one interval is off the CPU')
  t.equal(l.outermost[0]?.site, '#onData src/freeswitch/esl/client.js:10', 'the callback the turns ran')
  t.ok(Math.abs((l.outermost[0]?.ms ?? 0) - 11) < 1e-9, '44 samples of 250 µs under #onData')
  t.equal(l.innermost[0]?.site, 'decode src/freeswitch/esl/event.js:10', 'innermost koplus frame')
  t.same(
    l.self.map((x) => x.site),
    ['slice node:buffer:10', '(unsampled: off the CPU)', 'tick src/daemon/ticker.js:10'],
    'the function on top, and the unsampled time apart',
  )
  t.ok(Math.abs(l.totalMs - (6 + 15.75)) < 1e-9, `${l.totalMs} ms in long turns`)
  const lines = formatLongTurns(l, 3)
  t.match(lines[0], /turns of the event loop ≥ 5 ms: 2 in/)
  t.match(lines[0], /5–10 ms 1, 10–20 ms 1, ≥ 20 ms 0/)
})

t.test('a real profile of this process: a 30 ms busy loop is one long turn under this test', async (t) => {
  const s = new Session()
  s.connect()
  await s.post('Profiler.enable')
  await s.post('Profiler.setSamplingInterval', { interval: 250 })
  await s.post('Profiler.start')
  await new Promise<void>((r) => setTimeout(r, 20))
  await new Promise<void>((r) =>
    setTimeout(() => {
      const end = performance.now() + 30
      while (performance.now() < end) {
        /* busy: one turn of the event loop */
      }
      r()
    }, 1),
  )
  await new Promise<void>((r) => setTimeout(r, 20))
  const { profile: p } = await s.post('Profiler.stop')
  s.disconnect()
  const l = longTurns(p as unknown as CpuProfile, 5)
  t.ok(l.count >= 1, `${l.count} long turn(s)`)
  t.ok(l.maxMs >= 25, `the longest ${l.maxMs.toFixed(1)} ms`)
  t.match(l.outermost.map((x) => x.site).join('\n'), /long-turns\.test/, 'attributed to this test file')
})
