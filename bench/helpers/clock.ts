/**
 * Sub-millisecond wall-clock time shared by the benchmark process and the daemon child: `Date.now()` has 1 ms
 * resolution, too coarse for latencies of a few hundred microseconds. `performance.timeOrigin` is the process
 * start on the wall clock, so values from two processes on one host are comparable (to within tens of µs).
 */
import { performance } from 'node:perf_hooks'

/** Epoch milliseconds with sub-millisecond precision. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now()
}
