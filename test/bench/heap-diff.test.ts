import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { diff, formatDiff, groupKey, main, summarize, type HeapSnapshotJson } from '../../bench/helpers/heap-diff.js'

const TYPES = [
  'hidden',
  'array',
  'string',
  'object',
  'code',
  'closure',
  'regexp',
  'number',
  'native',
  'synthetic',
  'concatenated string',
  'sliced string',
]
const FIELDS = ['type', 'name', 'id', 'self_size', 'edge_count', 'trace_node_id', 'detachedness']

/** A tiny snapshot in V8's format: nodes as [type, name, self size]. */
function snapshot(nodes: [string, string, number][]): HeapSnapshotJson {
  const strings: string[] = []
  const str = (s: string): number => {
    const i = strings.indexOf(s)
    return i >= 0 ? i : strings.push(s) - 1
  }
  return {
    snapshot: {
      meta: { node_fields: FIELDS, node_types: [TYPES, 'string', 'number', 'number', 'number', 'number', 'number'] },
    },
    nodes: nodes.flatMap(([type, name, size], id) => [TYPES.indexOf(type), str(name), id * 2 + 1, size, 0, 0, 0]),
    strings,
  }
}

const one = snapshot([
  ['object', 'TrackedAgent', 144],
  ['object', 'Set', 32],
  ['array', '', 120],
  ['string', 'a-1', 24],
  ['closure', 'onEvent', 64],
])
const many = snapshot([
  ['object', 'TrackedAgent', 144],
  ['object', 'TrackedAgent', 144],
  ['object', 'TrackedAgent', 144],
  ['array', '', 120],
  ['array', '', 120],
  ['string', 'a-1', 24],
  ['sliced string', 'a-2', 32],
  ['concatenated string', 'a-3', 32],
  ['closure', 'onEvent', 64],
  ['native', 'system / JSArrayBufferData', 1000],
])

t.test(
  'groups as the DevTools summary does: objects by constructor, strings together, other types in brackets',
  async (t) => {
    t.equal(groupKey('object', 'Map'), 'Map')
    t.equal(groupKey('native', 'system / JSArrayBufferData'), 'system / JSArrayBufferData')
    t.equal(groupKey('sliced string', 'x'), '(string)')
    t.equal(groupKey('closure', 'f'), '(closure)')
    t.equal(groupKey('object', ''), '(anonymous object)')
    const s = summarize(many)
    t.same(s.get('TrackedAgent'), { count: 3, size: 432 })
    t.same(s.get('(string)'), { count: 3, size: 88 })
    t.same(s.get('(array)'), { count: 2, size: 240 })
  },
)

t.test('b − a by group, the biggest size difference first, unchanged groups left out', async (t) => {
  const rows = diff(summarize(one), summarize(many))
  t.same(
    rows.map((r) => [r.key, r.countDelta, r.sizeDelta]),
    [
      ['system / JSArrayBufferData', 1, 1000],
      ['TrackedAgent', 2, 288],
      ['(array)', 1, 120],
      ['(string)', 2, 64],
      ['Set', -1, -32],
    ],
  )
  const text = formatDiff(rows, { top: 2, per: 2 })
  t.match(text, /\+1000\s+\+1\s+0\s+1000\s+0\s+1\s+\+500\.0\s+\+0\.50\s+system \/ JSArrayBufferData/)
  t.match(text, /\+1440\s+\+5 .*\(total\)/, 'the total counts every group that differs, not only the top rows')
  t.match(text, /3 more groups differ/)
  t.notMatch(text, /Set$/m)
})

t.test('text that is no heap snapshot is refused with a clear error', async (t) => {
  t.throws(() => summarize({} as HeapSnapshotJson), /not a V8 heap snapshot/)
  const bad = snapshot([['object', 'X', 8]])
  bad.nodes.pop()
  t.throws(() => summarize(bad), /truncated heap snapshot/)
})

t.test('the command line reads two files', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'heap-diff-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const a = join(dir, 'a.heapsnapshot')
  const b = join(dir, 'b.heapsnapshot')
  writeFileSync(a, JSON.stringify(one))
  writeFileSync(b, JSON.stringify(many))
  const lines: string[] = []
  const errors: string[] = []
  const log = console.log
  const error = console.error
  console.log = (s: string) => lines.push(s)
  console.error = (s: string) => errors.push(s)
  try {
    t.equal(main([a, b, '--per', '2']), 0)
    t.equal(main([a]), 2, 'one file is a usage error')
    t.equal(main([a, join(dir, 'missing.heapsnapshot')]), 1)
    t.equal(main([a, b, '--top', 'x']), 2)
  } finally {
    console.log = log
    console.error = error
  }
  t.match(lines.join('\n'), /\+288\s+\+2 .*TrackedAgent/)
  t.match(errors.join('\n'), /usage:/)
  t.match(errors.join('\n'), /missing\.heapsnapshot: ENOENT/)
  t.match(errors.join('\n'), /--top needs a positive number/)
})
