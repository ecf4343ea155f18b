/**
 * Compares two V8 heap snapshots (.heapsnapshot, as `rig.heapSnapshot(dir, label)` or `v8.writeHeapSnapshot()`
 * write them) by constructor / type: the count of objects and their self size in each, biggest differences first.
 * What an agent or a waiting caller holds is the difference between a snapshot with few and one with many.
 *
 *   node dist/bench/helpers/heap-diff.js a.heapsnapshot b.heapsnapshot [--top 30] [--per 1999]
 *
 * `--per N` also prints each difference divided by N (e.g. the agents added between the two snapshots).
 *
 * Grouping is Chrome DevTools' "Summary" view: objects and native objects by their constructor's name, closures as
 * `(closure)`, every kind of string as `(string)`, and the other node types as `(<type>)` (`(array)` are V8's
 * internal arrays: an object's out-of-line properties and elements, a Map's or Set's table, …; `(code)`,
 * `(hidden)`, `(object shape)`, …). The format is V8's: `snapshot.meta.node_fields` names the fields of each node in
 * the flat `nodes` array, `node_types[0]` the type names, and a node's name is an index into `strings`.
 */
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

/** The parts of a .heapsnapshot this reads. */
export interface HeapSnapshotJson {
  snapshot: { meta: { node_fields: string[]; node_types: unknown[] } }
  nodes: number[]
  strings: string[]
}

/** Count and self size of one group. */
export interface GroupTotal {
  count: number
  size: number
}

/** One row of a comparison: the group in a, in b, and b − a. */
export interface GroupDiff {
  key: string
  a: GroupTotal
  b: GroupTotal
  countDelta: number
  sizeDelta: number
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string'])

/** The group a node belongs to (Chrome DevTools' summary key). */
export function groupKey(type: string, name: string): string {
  if (type === 'object' || type === 'native') return name || '(anonymous object)'
  if (STRING_TYPES.has(type)) return '(string)'
  return `(${type})`
}

/** Totals by group of one snapshot; throws a clear error for text that is no V8 heap snapshot. */
export function summarize(snap: HeapSnapshotJson): Map<string, GroupTotal> {
  const meta = snap?.snapshot?.meta
  if (!meta || !Array.isArray(meta.node_fields) || !Array.isArray(snap.nodes) || !Array.isArray(snap.strings))
    throw new Error('not a V8 heap snapshot (no snapshot.meta.node_fields, nodes or strings)')
  const fields = meta.node_fields
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const typeNames = meta.node_types[0]
  if (typeAt < 0 || nameAt < 0 || sizeAt < 0 || !Array.isArray(typeNames))
    throw new Error('not a V8 heap snapshot (node_fields lacks type, name or self_size)')
  if (snap.nodes.length % width !== 0)
    throw new Error(`truncated heap snapshot: ${snap.nodes.length} node values, not a multiple of ${width}`)
  const out = new Map<string, GroupTotal>()
  const nodes = snap.nodes
  for (let i = 0; i < nodes.length; i += width) {
    const type = String(typeNames[nodes[i + typeAt]] ?? 'unknown')
    const key = groupKey(type, snap.strings[nodes[i + nameAt]] ?? '')
    const g = out.get(key)
    if (g) {
      g.count++
      g.size += nodes[i + sizeAt]
    } else out.set(key, { count: 1, size: nodes[i + sizeAt] })
  }
  return out
}

/** b − a by group, the biggest size difference (either sign) first. */
export function diff(a: Map<string, GroupTotal>, b: Map<string, GroupTotal>): GroupDiff[] {
  const none: GroupTotal = { count: 0, size: 0 }
  const keys = new Set([...a.keys(), ...b.keys()])
  return [...keys]
    .map((key) => {
      const x = a.get(key) ?? none
      const y = b.get(key) ?? none
      return { key, a: x, b: y, countDelta: y.count - x.count, sizeDelta: y.size - x.size }
    })
    .filter((d) => d.countDelta !== 0 || d.sizeDelta !== 0)
    .sort((p, q) => Math.abs(q.sizeDelta) - Math.abs(p.sizeDelta) || p.key.localeCompare(q.key))
}

const signed = (n: number, digits = 0): string => (n > 0 ? '+' : '') + n.toFixed(digits)

/** The comparison as a text table (the `top` biggest rows and the total); `per` divides the differences. */
export function formatDiff(rows: GroupDiff[], opts: { top?: number; per?: number } = {}): string {
  const top = opts.top ?? 30
  const per = opts.per && opts.per > 0 ? opts.per : undefined
  const head = [
    'Δ self size',
    'Δ count',
    'size a',
    'size b',
    'count a',
    'count b',
    ...(per ? [`Δ B / ${per}`, `Δ n / ${per}`] : []),
    'constructor / type',
  ]
  const line = (r: GroupDiff): string[] => [
    signed(r.sizeDelta),
    signed(r.countDelta),
    String(r.a.size),
    String(r.b.size),
    String(r.a.count),
    String(r.b.count),
    ...(per ? [signed(r.sizeDelta / per, 1), signed(r.countDelta / per, 2)] : []),
    r.key,
  ]
  const total = rows.reduce(
    (t, r) => ({
      key: '(total)',
      a: { count: t.a.count + r.a.count, size: t.a.size + r.a.size },
      b: { count: t.b.count + r.b.count, size: t.b.size + r.b.size },
      countDelta: t.countDelta + r.countDelta,
      sizeDelta: t.sizeDelta + r.sizeDelta,
    }),
    { key: '(total)', a: { count: 0, size: 0 }, b: { count: 0, size: 0 }, countDelta: 0, sizeDelta: 0 },
  )
  const table = [head, ...rows.slice(0, top).map(line), line(total)]
  const widths = head.map((_, i) => Math.max(...table.map((r) => r[i].length)))
  const last = head.length - 1
  const text = table.map((r) => r.map((c, i) => (i === last ? c : c.padStart(widths[i]))).join('  '))
  const more =
    rows.length > top ? [`(${rows.length - top} more groups differ; the total counts only those that differ)`] : []
  return [...text, ...more].join('\n')
}

function readSnapshot(path: string): Map<string, GroupTotal> {
  let json: HeapSnapshotJson
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as HeapSnapshotJson
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err })
  }
  try {
    return summarize(json)
  } catch (err) {
    throw new Error(`${path}: ${(err as Error).message}`, { cause: err })
  }
}

/** The command line: `heap-diff a b [--top N] [--per N]`. */
export function main(argv: string[]): number {
  const files: string[] = []
  const opts: { top?: number; per?: number } = {}
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--top' || arg === '--per') {
      const n = Number(argv[++i])
      if (!Number.isFinite(n) || n <= 0) {
        console.error(`${arg} needs a positive number`)
        return 2
      }
      opts[arg === '--top' ? 'top' : 'per'] = n
    } else files.push(arg)
  }
  if (files.length !== 2) {
    console.error('usage: node dist/bench/helpers/heap-diff.js a.heapsnapshot b.heapsnapshot [--top N] [--per N]')
    return 2
  }
  try {
    console.log(`b − a: a = ${files[0]}, b = ${files[1]}; self sizes in bytes`)
    console.log(formatDiff(diff(readSnapshot(files[0]), readSnapshot(files[1])), opts))
    return 0
  } catch (err) {
    console.error((err as Error).message)
    return 1
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) process.exitCode = main(process.argv.slice(2))
