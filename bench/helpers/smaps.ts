/**
 * Where a process's RSS goes, from Linux's /proc/<pid>/smaps (proc(5)): each mapping's header line
 * (`start-end perms offset dev inode [path]`) is followed by its figures, of which this reads `Rss:`.
 *
 * The kinds, told apart by what the kernel shows:
 * - `[heap]`: the brk heap, glibc malloc's main arena (the main thread's malloc: SQLite's page cache and
 *   statements, libuv, Node's C++ objects);
 * - glibc's thread arenas: each is an anonymous mapping of HEAP_MAX_SIZE (64 MB on 64-bit: 2 × DEFAULT_MMAP_
 *   THRESHOLD_MAX, glibc malloc/arena.c `new_heap`) aligned to that size, read-write up to what is in use and
 *   PROT_NONE (`---p`) beyond; a thread that mallocs (the libuv pool, a worker thread, V8's platform threads) gets one,
 *   up to MALLOC_ARENA_MAX (default 8 × cores);
 * - the V8 heap: anonymous too, and not told apart by its mappings (256 KB pages among other anonymous memory), so
 *   the caller passes V8's own figure (`v8.getHeapSpaceStatistics()`, physical_space_size summed) and the rest of
 *   the anonymous RSS is "other anonymous" (thread stacks, large mallocs mmapped on their own, Buffers' memory);
 * - `[stack]`, and other kernel-named mappings (`[vvar]`, `[vdso]`, `[anon:…]`);
 * - file mappings: the node binary and shared libraries (code and read-only data, shared with other processes
 *   running them), and other files (a SQLite `-shm` WAL index, a mapped database).
 */
import { readFileSync } from 'node:fs'

/** One mapping of smaps: its address range, permissions, path ('' = anonymous) and resident size in bytes. */
export interface Mapping {
  start: number
  end: number
  perms: string
  path: string
  rss: number
}

/** RSS by kind, in bytes. */
export interface RssWhere {
  total: number
  /** V8's heap: the figure passed in (resident pages of its spaces), at most the anonymous RSS. */
  v8Heap: number
  /** glibc malloc: the brk heap (main arena) and the thread arenas (with their count). */
  mallocMain: number
  mallocArenas: number
  arenaCount: number
  /** Anonymous memory that is neither V8's heap nor a malloc arena (stacks of threads, big mmapped mallocs, …). */
  otherAnonymous: number
  /** `[stack]` and other kernel-named mappings. */
  stackAndKernel: number
  /** The node binary and shared libraries (`.so`, `.node` addons). */
  code: number
  /** Other mapped files. */
  files: number
}

/** glibc's HEAP_MAX_SIZE on 64-bit: a thread arena's reservation and alignment. */
export const ARENA_SIZE = 64 * 1024 * 1024

const HEADER = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+ *(.*)$/
const RSS = /^Rss:\s+(\d+) kB/

/** The mappings of an smaps text; throws a clear error for text that is not smaps. */
export function parseSmaps(text: string): Mapping[] {
  const out: Mapping[] = []
  let cur: Mapping | undefined
  for (const line of text.split('\n')) {
    const h = HEADER.exec(line)
    if (h) {
      cur = { start: parseInt(h[1], 16), end: parseInt(h[2], 16), perms: h[3], path: h[4].trim(), rss: 0 }
      out.push(cur)
      continue
    }
    const r = RSS.exec(line)
    if (r) {
      if (!cur) throw new Error('not an smaps text: an Rss line before any mapping')
      cur.rss = Number(r[1]) * 1024
    }
  }
  if (text.trim() !== '' && out.length === 0) throw new Error('not an smaps text: no mapping header found')
  return out
}

const isCodePath = (p: string): boolean => /\.so(\.[\d.]+)?$/.test(p) || p.endsWith('.node') || /\/node$/.test(p)

/**
 * The anonymous mappings that are glibc thread arenas: a read-write start at a 64 MB-aligned address whose
 * mapping, with the PROT_NONE rest right after it, spans exactly 64 MB.
 */
function arenaStarts(maps: readonly Mapping[]): Set<number> {
  const out = new Set<number>()
  for (let i = 0; i < maps.length; i++) {
    const m = maps[i]
    if (m.path !== '' || m.start % ARENA_SIZE !== 0 || !m.perms.startsWith('rw')) continue
    let end = m.end
    const next = maps[i + 1]
    if (next && next.path === '' && next.start === m.end && next.perms.startsWith('---')) end = next.end
    if (end - m.start === ARENA_SIZE) out.add(m.start)
  }
  return out
}

/** RSS by kind; `v8Heap` is V8's resident heap (bytes), taken out of the anonymous memory. */
export function classifySmaps(maps: readonly Mapping[], v8Heap = 0): RssWhere {
  const arenas = arenaStarts(maps)
  const w: RssWhere = {
    total: 0,
    v8Heap: 0,
    mallocMain: 0,
    mallocArenas: 0,
    arenaCount: arenas.size,
    otherAnonymous: 0,
    stackAndKernel: 0,
    code: 0,
    files: 0,
  }
  let anonymous = 0
  for (const m of maps) {
    w.total += m.rss
    if (m.path === '[heap]') w.mallocMain += m.rss
    else if (m.path === '') {
      if (arenas.has(m.start)) w.mallocArenas += m.rss
      else anonymous += m.rss
    } else if (m.path.startsWith('[')) w.stackAndKernel += m.rss
    else if (isCodePath(m.path.replace(/ \(deleted\)$/, ''))) w.code += m.rss
    else w.files += m.rss
  }
  w.v8Heap = Math.min(v8Heap, anonymous)
  w.otherAnonymous = anonymous - w.v8Heap
  return w
}

/** The smaps of a process (default this one), classified; undefined where /proc is not readable (not Linux). */
export function rssWhere(v8Heap: number, pid: number | 'self' = 'self'): RssWhere | undefined {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8')
  } catch {
    return undefined
  }
  return classifySmaps(parseSmaps(text), v8Heap)
}

const mb = (b: number): string => (b / 1024 / 1024).toFixed(1)

/** One line: "V8 heap 53.1 MB · malloc 40.2 MB ([heap] 8.3, 3 thread arenas 31.9) · …". */
export function formatRssWhere(w: RssWhere): string {
  return (
    `V8 heap ${mb(w.v8Heap)} MB · malloc ${mb(w.mallocMain + w.mallocArenas)} MB ([heap] ${mb(w.mallocMain)}, ` +
    `${w.arenaCount} thread arenas ${mb(w.mallocArenas)}) · other anonymous ${mb(w.otherAnonymous)} MB · ` +
    `node and libraries ${mb(w.code)} MB · other files ${mb(w.files)} MB · stack and kernel ${mb(w.stackAndKernel)} MB ` +
    `(total ${mb(w.total)} MB)`
  )
}
