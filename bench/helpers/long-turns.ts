/**
 * Reads a V8 CPU profile (.cpuprofile: what `rig.cpuStop` writes, the inspector's Profiler.stop) and says what the
 * event loop's long turns ran. Node marks the loop's waits as `(idle)` samples, so a turn is a run of samples that are
 * not idle; one longer than `longMs` (5: the scale bench's tick) delays every timer due meanwhile.
 *
 * A sample stands for the time until the next one. Where that time is much longer than the sampling interval (more
 * than 4 intervals here), the process was off the CPU or the sampler was late: the time is counted as "unsampled"
 * (on a busy 2-core host, the other processes'), not against the function that happened to be on the stack.
 *
 * Prints the time in long turns by the outermost koplus function on the stack (which of our callbacks the turn ran:
 * a slice of ESL frames, a store commit, a timer), by the innermost one, and by the function on top of the stack.
 *
 * Run: node dist/bench/helpers/long-turns.js <file.cpuprofile> [longMs=5] [top=15]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface CpuProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }
  children?: number[]
}

export interface CpuProfile {
  nodes: CpuProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

export interface TurnSite {
  site: string
  ms: number
}

export interface LongTurns {
  /** The profile's span and the time in any turn (not idle), ms. */
  wallMs: number
  busyMs: number
  /** Turns at least longMs long: how many, their total and longest, ms. */
  longMs: number
  count: number
  totalMs: number
  maxMs: number
  /** Time inside long turns between samples much further apart than the interval (off the CPU), ms. */
  unsampledMs: number
  /** Long turns by length: [5, 10), [10, 20), [20, ∞) ms for longMs 5 (×1, ×2, ×4 of longMs). */
  byLength: [number, number, number]
  outermost: TurnSite[]
  innermost: TurnSite[]
  self: TurnSite[]
}

const IDLE = '(idle)'
const UNSAMPLED = '(unsampled: off the CPU)'

const where = (f: CpuProfileNode['callFrame']): string => {
  const file = f.url.replace(/^file:\/\/.*\/(?=(src|bench|test)\/)/, '').replace(/^file:\/\/.*\/node_modules\//, '')
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : '(native)'}`
}
const isOurs = (url: string): boolean =>
  url.startsWith('file://') && !url.includes('/node_modules/') && /\/(src|bench)\//.test(url)

function sorted(m: Map<string, number>): TurnSite[] {
  return [...m].map(([site, ms]) => ({ site, ms })).sort((a, b) => b.ms - a.ms)
}

/** Cuts the profile into turns and sums what the long ones ran. */
export function longTurns(profile: CpuProfile, longMs = 5): LongTurns {
  const byId = new Map<number, CpuProfileNode>()
  const parent = new Map<number, number>()
  for (const n of profile.nodes) {
    byId.set(n.id, n)
    for (const c of n.children ?? []) parent.set(c, n.id)
  }
  // Per node: self site, innermost and outermost koplus frames (computed once per node, not per sample).
  const sites = new Map<number, { self: string; inner: string; outer: string; idle: boolean }>()
  const siteOf = (id: number): { self: string; inner: string; outer: string; idle: boolean } => {
    const known = sites.get(id)
    if (known) return known
    const n = byId.get(id)
    const self = n ? where(n.callFrame) : '(unknown)'
    let inner: string | undefined
    let outer: string | undefined
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const f = byId.get(at)?.callFrame
      if (f && isOurs(f.url)) {
        inner ??= where(f)
        outer = where(f)
      }
    }
    const s = {
      self,
      inner: inner ?? '(no koplus frame)',
      outer: outer ?? '(no koplus frame)',
      idle: n?.callFrame.functionName === IDLE,
    }
    sites.set(id, s)
    return s
  }

  const { samples, timeDeltas } = profile
  const times: number[] = new Array<number>(samples.length)
  let t = profile.startTime
  for (let i = 0; i < samples.length; i++) times[i] = t += timeDeltas[i] ?? 0
  // The sampling interval: the median gap between samples.
  const gaps = times.slice(1).map((x, i) => x - (times[i] ?? x))
  gaps.sort((a, b) => a - b)
  const interval = gaps[Math.floor(gaps.length / 2)] ?? 0
  const offCpu = interval * 4

  const outer = new Map<string, number>()
  const inner = new Map<string, number>()
  const self = new Map<string, number>()
  const add = (m: Map<string, number>, k: string, us: number): void => void m.set(k, (m.get(k) ?? 0) + us)
  const out: LongTurns = {
    wallMs: (profile.endTime - profile.startTime) / 1000,
    busyMs: 0,
    longMs,
    count: 0,
    totalMs: 0,
    maxMs: 0,
    unsampledMs: 0,
    byLength: [0, 0, 0],
    outermost: [],
    innermost: [],
    self: [],
  }
  let i = 0
  while (i < samples.length) {
    if (siteOf(samples[i] ?? 0).idle) {
      i++
      continue
    }
    let j = i
    while (j < samples.length && !siteOf(samples[j] ?? 0).idle) j++
    // The turn runs from sample i to the first idle sample (or the profile's end).
    const end = j < samples.length ? (times[j] ?? 0) : profile.endTime
    const us = end - (times[i] ?? 0)
    out.busyMs += us / 1000
    if (us >= longMs * 1000) {
      out.count++
      out.totalMs += us / 1000
      out.maxMs = Math.max(out.maxMs, us / 1000)
      out.byLength[us < 2 * longMs * 1000 ? 0 : us < 4 * longMs * 1000 ? 1 : 2]++
      for (let k = i; k < j; k++) {
        const next = k + 1 < samples.length ? (times[k + 1] ?? end) : end
        const d = next - (times[k] ?? next)
        const s = siteOf(samples[k] ?? 0)
        if (d > offCpu) {
          // The part beyond one interval: the process was not running (or the sampler was late).
          out.unsampledMs += (d - interval) / 1000
          add(outer, UNSAMPLED, d - interval)
          add(inner, UNSAMPLED, d - interval)
          add(self, UNSAMPLED, d - interval)
        }
        const ran = Math.min(d, d > offCpu ? interval : d)
        add(outer, s.outer, ran)
        add(inner, s.inner, ran)
        add(self, s.self, ran)
      }
    }
    i = j
  }
  const ms = (m: Map<string, number>): TurnSite[] => sorted(m).map((x) => ({ site: x.site, ms: x.ms / 1000 }))
  out.outermost = ms(outer)
  out.innermost = ms(inner)
  out.self = ms(self)
  return out
}

/** Lines for a report; `perSecond`: the profile's span in seconds, to print ms a second. */
export function formatLongTurns(l: LongTurns, top: number): string[] {
  const secs = Math.max(1e-9, l.wallMs / 1000)
  const line = (x: TurnSite): string =>
    `    ${(x.ms / secs).toFixed(2).padStart(8)} ms/s ${((x.ms / Math.max(1e-9, l.totalMs)) * 100).toFixed(1).padStart(5)} %  ${x.site}`
  const n = l.longMs
  return [
    `  turns of the event loop ≥ ${n} ms: ${l.count} in ${secs.toFixed(1)} s (${(l.count / secs).toFixed(1)}/s; ${n}–${2 * n} ms ${l.byLength[0]}, ${2 * n}–${4 * n} ms ${l.byLength[1]}, ≥ ${4 * n} ms ${l.byLength[2]}), longest ${l.maxMs.toFixed(1)} ms; ${(l.totalMs / secs).toFixed(1)} ms/s in them, of which ${(l.unsampledMs / secs).toFixed(1)} ms/s off the CPU; busy ${((l.busyMs / Math.max(1e-9, l.wallMs)) * 100).toFixed(0)} % of the time`,
    '  time in those turns by the outermost koplus function (the callback the turn ran):',
    ...l.outermost.slice(0, top).map(line),
    '  by the innermost koplus function:',
    ...l.innermost.slice(0, top).map(line),
    '  by the function on top of the stack:',
    ...l.self.slice(0, top).map(line),
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: node dist/bench/helpers/long-turns.js <file.cpuprofile> [longMs=5] [top=15]')
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile
  for (const l of formatLongTurns(longTurns(profile, Number(process.argv[3] ?? 5)), Number(process.argv[4] ?? 15)))
    console.log(l)
}
