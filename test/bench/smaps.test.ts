import t from 'tap'
import { classifySmaps, formatRssWhere, parseSmaps, rssWhere } from '../../bench/helpers/smaps.js'

/** A mapping's header and the figures smaps prints under it (only Rss matters here). */
const map = (range: string, perms: string, path: string, rssKb: number): string =>
  `${range} ${perms} 00000000 00:00 0 ${path}\nSize:               4 kB\nRss:        ${rssKb} kB\nPss:        ${rssKb} kB\nVmFlags: rd wr mr mw me ac sd\n`

// Taken from a node process's smaps, trimmed: V8 pages (256 KB, away from the mmap area), a glibc thread arena
// (64 MB-aligned rw start + PROT_NONE rest = 64 MB), a thread stack with its guard page, the brk heap, files.
const FIXTURE = [
  map('00400000-04a00000', 'r-xp', '/usr/bin/node', 30_000),
  map('0565d000-05689000', 'rw-p', '[heap]', 176),
  map('cab6d40000-cab6d80000', 'rw-p', '', 256),
  map('341c6c40000-341c6c80000', 'rw-p', '', 200),
  map('7f0348000000-7f0348021000', 'rw-p', '', 132),
  map('7f0348021000-7f034c000000', '---p', '', 0),
  map('7f0328000000-7f0328002000', 'rw-p', '', 8), // aligned but not an arena: the PROT_NONE after it is 4 KB
  map('7f0328002000-7f0328003000', '---p', '', 0),
  map('7f034c1f9000-7f034c1fa000', '---p', '', 0),
  map('7f034c1fa000-7f034c9fa000', 'rw-p', '', 40),
  map('7f0350000000-7f0350100000', 'r--p', '/usr/lib/x86_64-linux-gnu/libc.so.6', 1_376),
  map('7f0351000000-7f0351200000', 'r-xp', '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node', 1_800),
  map('7f0352000000-7f0352008000', 'rw-s', '/tmp/koplus-bench-x/koplus.sqlite-shm', 32),
  map('7ffc1a000000-7ffc1a021000', 'rw-p', '[stack]', 60),
  map('7ffc1a100000-7ffc1a102000', 'r-xp', '[vdso]', 8),
].join('')

t.test('parses every mapping with its address range, permissions, path and RSS', async (t) => {
  const maps = parseSmaps(FIXTURE)
  t.equal(maps.length, 15)
  t.same(maps[1], { start: 0x565d000, end: 0x5689000, perms: 'rw-p', path: '[heap]', rss: 176 * 1024 })
  t.equal(maps[2].path, '', 'anonymous')
  t.equal(maps[11].path, '/app/node_modules/better-sqlite3/build/Release/better_sqlite3.node')
})

t.test('classifies RSS: V8 heap as given, malloc main and thread arenas, other anonymous, code, files', async (t) => {
  const kb = 1024
  const w = classifySmaps(parseSmaps(FIXTURE), 400 * kb)
  t.equal(w.total, (30_000 + 176 + 256 + 200 + 132 + 8 + 40 + 1_376 + 1_800 + 32 + 60 + 8) * kb)
  t.equal(w.mallocMain, 176 * kb)
  t.equal(w.arenaCount, 1, 'only the 64 MB reservation is an arena')
  t.equal(w.mallocArenas, 132 * kb)
  t.equal(w.v8Heap, 400 * kb)
  t.equal(w.otherAnonymous, (256 + 200 + 8 + 40 - 400) * kb)
  t.equal(w.code, (30_000 + 1_376 + 1_800) * kb, 'node, libc and the better-sqlite3 addon')
  t.equal(w.files, 32 * kb, 'the SQLite WAL index')
  t.equal(w.stackAndKernel, 68 * kb)
  t.equal(classifySmaps(parseSmaps(FIXTURE), 10_000 * kb).v8Heap, 504 * kb, 'V8 is at most the anonymous RSS')
  t.match(
    formatRssWhere(w),
    /^V8 heap 0\.4 MB · malloc 0\.3 MB \(\[heap\] 0\.2, 1 thread arenas 0\.1\) · other anonymous 0\.1 MB/,
  )
})

t.test('text that is not smaps is refused with a clear error; an empty one is no mapping', async (t) => {
  t.throws(() => parseSmaps('Rss: 4 kB\n'), /before any mapping/)
  t.throws(() => parseSmaps('hello\nworld\n'), /no mapping header/)
  t.same(parseSmaps(''), [])
})

t.test("this process's own smaps adds up to its RSS (Linux)", { skip: process.platform !== 'linux' }, async (t) => {
  const w = rssWhere(0)
  t.ok(w)
  const rss = process.memoryUsage().rss
  t.ok(Math.abs(w!.total - rss) < rss * 0.2, `smaps total ${w!.total} near RSS ${rss}`)
  t.ok(w!.code > 0, 'the node binary is mapped')
})
