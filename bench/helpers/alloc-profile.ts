/**
 * Reads a V8 sampling heap profile (.heapprofile: what `rig.allocStop` writes, the inspector's
 * HeapProfiler.stopSampling) and says where the allocation went: bytes by allocating function (self), and by the
 * first koplus function on the stack (so `JSON.parse` or a Buffer's toString counts against the koplus code that
 * called it).
 *
 * Run: node dist/bench/helpers/alloc-profile.js <file.heapprofile> [top=25]
 */
import { readFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'

export interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber?: number }
  selfSize: number
  children: ProfileNode[]
}

export interface AllocSite {
  site: string
  bytes: number
}

export interface AllocSummary {
  total: number
  /** By the allocating function. */
  self: AllocSite[]
  /** By the innermost frame whose script is ours (not node:, not node_modules). */
  ours: AllocSite[]
}

const where = (f: ProfileNode['callFrame']): string => {
  const file = f.url.replace(/^file:\/\/.*\/(?=(src|bench|test)\/)/, '').replace(/^file:\/\/.*\/node_modules\//, '')
  return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : '(native)'}`
}
const isOurs = (url: string): boolean =>
  url.startsWith('file://') && !url.includes('/node_modules/') && /\/(src|bench)\//.test(url)

function sorted(m: Map<string, number>): AllocSite[] {
  return [...m].map(([site, bytes]) => ({ site, bytes })).sort((a, b) => b.bytes - a.bytes)
}

/** Walks the profile's call tree once. */
export function summarizeAllocations(head: ProfileNode): AllocSummary {
  const self = new Map<string, number>()
  const ours = new Map<string, number>()
  let total = 0
  const walk = (n: ProfileNode, our: string | undefined): void => {
    const here = isOurs(n.callFrame.url) ? where(n.callFrame) : our
    if (n.selfSize > 0) {
      total += n.selfSize
      const k = where(n.callFrame)
      self.set(k, (self.get(k) ?? 0) + n.selfSize)
      const o = here ?? '(no koplus frame)'
      ours.set(o, (ours.get(o) ?? 0) + n.selfSize)
    }
    for (const c of n.children) walk(c, here)
  }
  walk(head, undefined)
  return { total, self: sorted(self), ours: sorted(ours) }
}

/** Lines for a report: the top sites with their share, in bytes per `per` (e.g. per second or per event). */
export function formatAllocations(s: AllocSummary, top: number, per = 1, unit = ''): string[] {
  const kb = (b: number): string => `${(b / per / 1024).toFixed(1)} KB${unit}`
  const line = (x: AllocSite): string =>
    `    ${kb(x.bytes).padStart(14)} ${((x.bytes / Math.max(1, s.total)) * 100).toFixed(1).padStart(5)} %  ${x.site}`
  return [
    `  allocated (sampled): ${kb(s.total)}`,
    '  by allocating function:',
    ...s.self.slice(0, top).map(line),
    '  by the innermost koplus function on the stack:',
    ...s.ours.slice(0, top).map(line),
  ]
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2]
  if (!file) {
    console.error('usage: node dist/bench/helpers/alloc-profile.js <file.heapprofile> [top]')
    process.exit(2)
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode }
  for (const l of formatAllocations(summarizeAllocations(profile.head), Number(process.argv[3] ?? 25))) console.log(l)
}
