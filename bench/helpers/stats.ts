/**
 * Order statistics of latency samples (milliseconds) and their one-line print format, for the
 * end-to-end benchmarks (connect, load).
 */
import { cpus, loadavg } from 'node:os'

/** n, median, p90, p99 and max of a set of samples, in the samples' unit. */
export interface Summary {
  n: number
  median: number
  p90: number
  p99: number
  max: number
  mean: number
}

/** Nearest-rank percentile (p in 0..100) of an ascending array; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN
  const rank = Math.ceil((p / 100) * sorted.length)
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]
}

/** Summarises samples (any order). */
export function summarize(samples: readonly number[]): Summary {
  const s = [...samples].sort((a, b) => a - b)
  const mean = s.length ? s.reduce((x, y) => x + y, 0) / s.length : NaN
  return {
    n: s.length,
    median: percentile(s, 50),
    p90: percentile(s, 90),
    p99: percentile(s, 99),
    max: s.length ? s[s.length - 1] : NaN,
    mean,
  }
}

const f = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : '—').padStart(8)

/** `label  n=…  median … p90 … p99 … max … ms` with a fixed-width label. */
export function formatSummary(label: string, s: Summary, digits = 2, unit = 'ms'): string {
  return `${label.padEnd(52)} n=${String(s.n).padStart(5)}  median${f(s.median, digits)}  p90${f(s.p90, digits)}  p99${f(s.p99, digits)}  max${f(s.max, digits)} ${unit}`
}

/** CPUs and load average: the figures' tails depend on what else the host runs. */
export function hostLine(): string {
  const [l1, l5] = loadavg()
  return `host: ${cpus().length} CPUs, load average ${l1.toFixed(2)} (1 min) ${l5.toFixed(2)} (5 min), node ${process.version}`
}
