/**
 * The koplus daemon in a process of its own for the end-to-end benchmarks, so that its CPU time, RSS and event
 * loop are measured apart from the FreeSWITCH simulator's (in production they are different processes too).
 * Started by ./daemon-process.ts: `node daemon-child.js '<ChildSettings JSON>'` with an IPC channel.
 *
 * It runs the real startDaemon (src/daemon/daemon.ts) unchanged; the only instrumentation is a wrapper around the
 * engine's `center.handle` (read-only: it times the call and looks at the commands returned) to learn when the
 * engine decided an offer — the "queue entry" instant, which no ESL traffic reveals.
 *
 * IPC (parent → child): {type:'stats', gc?} | {type:'probes'} | {type:'reset'} | {type:'stop'} | {type:'clock'} |
 * {type:'heap-snapshot', dir, label} | {type:'alloc-start'} | {type:'alloc-stop', path} | {type:'cpu-start'} | {type:'cpu-stop', path}. With gc the stats are sampled after a full collection (the child runs with --expose-gc).
 * IPC (child → parent): {type:'ready'}, and one reply of the same type to each request.
 */
import { dirname, join } from 'node:path'
import { constants, monitorEventLoopDelay, performance, PerformanceObserver } from 'node:perf_hooks'
import { getHeapSpaceStatistics, writeHeapSnapshot } from 'node:v8'
import { mkdirSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector/promises'
import { rssWhere, type RssWhere } from './smaps.js'
import pino from 'pino'
import type { Command } from '../../src/core/commands.js'
import type { CoreEvent } from '../../src/core/events.js'
import { startDaemon } from '../../src/daemon/daemon.js'
import { engineViewOf } from '../../src/api/engine-view.js'
import { ChangeNotifier, daemonLive } from '../../src/api/live.js'
import { startApiServer, type ApiServer } from '../../src/api/server.js'
import { epochMs } from './clock.js'
import { setDefaultWakeups } from '../../src/freeswitch/esl/wakeups.js'
import { setDefaultSliceMs } from '../../src/freeswitch/esl/frame-slices.js'
import type { RebuildFigures } from '../../src/daemon/freeswitch-link.js'
import type { CheckpointerStats } from '../../src/daemon/wal-checkpointer.js'

/** What the parent passes on the command line. */
export interface ChildSettings {
  databasePath: string
  /** database.url: the store on PostgreSQL (databasePath is then not used). */
  databaseUrl?: string
  port: number
  soundsDir: string
  /**
   * Also serve the HTTP API (127.0.0.1, any port; its URL comes with the 'ready' message), e.g. for the login
   * flood. `clientAddressHeader` as the config key api.clientAddressHeader (the bench process is the trusted proxy).
   */
  api?: { clientAddressHeader?: 'none' | 'x-forwarded-for' | 'x-real-ip' }
  /** The ESL client's LF wake-up interval, ms (0: none); default: the client's own default. */
  wakeupMs?: number
  /** Keep the offer probes for `offerProbes()` (default true); a bench that never drains them turns this off. */
  probes?: boolean
}

/** One engine step that produced an `originate` (an offer), timed in epoch ms with sub-ms precision. */
export interface OfferProbe {
  /** The core event that led to the offer: call-arrived, leg-hungup, timer, … */
  event: string
  /** The caller offered. */
  callId: string
  /** The agents rung. */
  agentIds: string[]
  /** Engine step start / end (the engine's decision — e.g. queue entry and offer — lies inside). */
  start: number
  end: number
  /** When the synchronous carrying-out of the step's commands had finished (a microtask after the step). */
  afterSync?: number
  /** For a `timer` event `wrapup:<agent>`: when the engine scheduled the wrap-up to end (epoch ms; ±1 ms, Date.now()). */
  scheduledAt?: number
  /** Time spent in the store (SQLite) between the step's end and afterSync: the persistence commands (ms). */
  persistMs?: number
}

/** Resource figures of the daemon process. */
export interface ChildStats {
  cpuUserUs: number
  cpuSystemUs: number
  rss: number
  heapUsed: number
  /** The V8 heap's size (used and free), and memory outside it (Buffers: external, arrayBuffers). */
  heapTotal: number
  external: number
  arrayBuffers: number
  /** The V8 heap by space (new_space, old_space, code_space, large_object_space, …): bytes. */
  heapSpaces: Record<string, { size: number; used: number; physical: number }>
  /** With gc: where the RSS is, from /proc/self/smaps (./smaps.ts; absent where /proc is not readable). */
  where?: RssWhere
  /** Core events handled by the engine, by type, since the last reset. */
  handled: Record<string, number>
  /** Total time inside center.handle since the last reset (ms, wall clock). */
  engineMs: number
  /** Engine time by core event type since the last reset: total and max of one step (ms, wall clock). */
  engineByType: Record<string, { ms: number; max: number }>
  /** Total time inside the store's repositories (SQLite) since the last reset (ms, wall clock). */
  persistMs: number
  /** Event-loop utilisation (0..1) since the last reset. */
  elu: number
  /** Event-loop delay since the last reset (ms). */
  loopDelay: { p50: number; p99: number; max: number }
  /** The main thread's GC pauses since the last reset, by kind (scavenge, mark-compact, incremental, …), ms. */
  gcPauses: Record<string, number[]>
  /** 5 ms ticks since the last reset, those more than 5 ms late, and of those the ones with a GC pause inside. */
  lateTicks: { ticks: number; late: number; gc: number }
  /** The store's write queue now: jobs waiting (incl. the one being written) and jobs committed since start. */
  storeQueued: number
  storeWritten: number
  /** Transactions committed by the write queue since start. */
  storeCommits: number
  /** Where the last rebuild from FreeSWITCH went (the first node's; bench/recovery). */
  rebuild?: RebuildFigures
  /** The SQLite WAL checkpoint worker's figures (src/daemon/wal-checkpointer.ts). */
  checkpoints?: CheckpointerStats
}

type Request =
  | { type: 'stats'; gc?: boolean }
  | { type: 'probes' }
  | { type: 'reset' }
  | { type: 'stop' }
  | { type: 'clock' }
  | { type: 'heap-snapshot'; dir: string; label: string }
  | { type: 'alloc-start'; survivors?: boolean }
  | { type: 'alloc-stop'; path: string }
  | { type: 'cpu-start' }
  | { type: 'cpu-stop'; path: string }

/**
 * V8's sampling heap profiler over the inspector, counting what was allocated, collected or not
 * (includeObjectsCollectedByMinor/MajorGC): where the allocation that drives the scavenges and mark-compacts comes
 * from. One sample per 16 KB allocated on average, so it costs little.
 */
let allocSession: Session | undefined
async function allocStart(survivors = false): Promise<void> {
  allocSession = new Session()
  allocSession.connect()
  await allocSession.post('HeapProfiler.enable')
  await allocSession.post('HeapProfiler.startSampling', {
    samplingInterval: 16 * 1024,
    includeObjectsCollectedByMajorGC: true,
    // survivors: only what outlived a scavenge (promoted, or still young at the end): what makes mark-compacts.
    includeObjectsCollectedByMinorGC: !survivors,
  })
}
async function allocStop(path: string): Promise<string> {
  if (!allocSession) throw new Error('alloc-stop without alloc-start')
  const { profile } = await allocSession.post('HeapProfiler.stopSampling')
  allocSession.disconnect()
  allocSession = undefined
  // The directory given by DAEMON_SCALE_ALLOC_PROFILE need not exist yet.
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(profile))
  return path
}

/**
 * V8's CPU profiler over the inspector, sampling every 250 µs: the samples carry their times, and the profiler marks
 * the event loop's waits as (idle), so ./long-turns.ts can cut the profile into turns and say what the long ones ran.
 */
let cpuSession: Session | undefined
async function cpuStart(): Promise<void> {
  cpuSession = new Session()
  cpuSession.connect()
  await cpuSession.post('Profiler.enable')
  await cpuSession.post('Profiler.setSamplingInterval', { interval: 250 })
  await cpuSession.post('Profiler.start')
}
async function cpuStop(path: string): Promise<string> {
  if (!cpuSession) throw new Error('cpu-stop without cpu-start')
  const { profile } = await cpuSession.post('Profiler.stop')
  cpuSession.disconnect()
  cpuSession = undefined
  mkdirSync(dirname(path), { recursive: true })
  writeFileSync(path, JSON.stringify(profile))
  return path
}

/**
 * A full, compacting collection before a memory sample (the rig starts this process with --expose-gc): without it
 * heapUsed and RSS count whatever garbage the last scavenges left, and per-caller figures read that garbage.
 */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) throw new Error('stats with gc: start the daemon child with --expose-gc')
  gc()
  gc()
}

const settings = JSON.parse(process.argv[2] ?? '{}') as ChildSettings
const send = (m: unknown): void => {
  process.send?.(m)
}

if (settings.wakeupMs !== undefined) setDefaultWakeups({ intervalMs: settings.wakeupMs })
// BENCH_ESL_SLICE_MS: the ESL client's slice for a burst of frames (src/freeswitch/esl/frame-slices.ts; 0: none).
if (process.env.BENCH_ESL_SLICE_MS) setDefaultSliceMs(Number(process.env.BENCH_ESL_SLICE_MS))
// BENCH_LOG=<file>: the daemon's log (pino, info and up) goes there, to see what it did during a bench; else silent.
const logFile = process.env.BENCH_LOG
const daemon = await startDaemon(
  {
    databasePath: settings.databasePath,
    ...(settings.databaseUrl ? { databaseUrl: settings.databaseUrl } : {}),
    soundsDir: settings.soundsDir,
    freeswitch: { host: '127.0.0.1', port: settings.port, password: 'ClueCon' },
  },
  {
    ...(logFile ? { logger: pino({ level: 'info' }, pino.destination(logFile)) } : {}),
    // BENCH_SQLITE_GROUP_MS / BENCH_SQLITE_SLICE_MS: the write queue's group-commit window and transaction slice
    // (src/store/write-queue.ts; defaults SQLITE_GROUP_MS and 4), to compare settings in the same minutes.
    storeOptions: {
      writeQueue: {
        ...(process.env.BENCH_SQLITE_GROUP_MS ? { groupMs: Number(process.env.BENCH_SQLITE_GROUP_MS) } : {}),
        ...(process.env.BENCH_SQLITE_SLICE_MS ? { sliceMs: Number(process.env.BENCH_SQLITE_SLICE_MS) } : {}),
      },
    },
  },
)

/**
 * Time spent in the store's write-queue jobs: the persistence of src/daemon/persist.ts, one job per event, written
 * after the event's FreeSWITCH commands (every job is wrapped with a timer; behaviour unchanged). The synchronous
 * SQLite work of a job runs on the event loop; PostgreSQL's is mostly waiting.
 */
let persistMs = 0
let persistBase = 0
const writes = daemon.store.writes
const enqueue = writes.enqueue.bind(writes)
writes.enqueue = (label, job) =>
  enqueue(label, async (tx, attempt) => {
    const t0 = performance.now()
    try {
      await job(tx, attempt)
    } finally {
      persistMs += performance.now() - t0
    }
  })

const probes: OfferProbe[] = []
const wrapUpEnds = new Map<string, number>()
let handled: Record<string, number> = {}
let engineByType: Record<string, { ms: number; max: number }> = {}
let engineMs = 0
const center = daemon.center
const original = center.handle.bind(center)
center.handle = (event: CoreEvent, now: number): Command[] => {
  const start = epochMs()
  const out = original(event, now)
  const end = epochMs()
  engineMs += end - start
  handled[event.type] = (handled[event.type] ?? 0) + 1
  const bt = (engineByType[event.type] ??= { ms: 0, max: 0 })
  bt.ms += end - start
  bt.max = Math.max(bt.max, end - start)
  for (const c of out) {
    // The engine's instant (Date.now() domain) moved onto the epochMs() clock, like every other probe time.
    if (c.type === 'set-timer' && c.id.startsWith('wrapup:')) wrapUpEnds.set(c.id, epochMs() + (c.at - Date.now()))
    if (c.type !== 'originate') continue
    const p: OfferProbe = { event: event.type, callId: c.callId, agentIds: c.legs.map((l) => l.agentId), start, end }
    if (event.type === 'timer') {
      p.event = `timer:${event.id.split(':')[0]}`
      const at = wrapUpEnds.get(event.id)
      if (at !== undefined) p.scheduledAt = at
    }
    if (settings.probes === false) continue
    probes.push(p)
    const base = persistMs
    queueMicrotask(() => {
      p.afterSync = epochMs()
      p.persistMs = persistMs - base
    })
  }
  if (event.type === 'timer') wrapUpEnds.delete(event.id)
  return out
}

// 5 ms sampling: finer costs the daemon process a timer wake-up every millisecond.
const eld = monitorEventLoopDelay({ resolution: 5 })
eld.enable()
/**
 * The main thread's garbage-collection pauses since the last reset, by kind (perf_hooks 'gc' entries: a scavenge,
 * a mark-compact's final pause, an incremental marking step), to tell the collector's share of the loop's lateness.
 */
const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'scavenge',
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'mark-compact',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weak callbacks',
}
let gcPauses: Record<string, number[]> = {}
/** The last GC pauses' [start, end] (performance.now() ms), to tell which late ticks a collection explains. */
const gcSpans: Array<[number, number]> = []
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const kind = GC_KINDS[(e as { detail?: { kind?: number } }).detail?.kind ?? -1] ?? 'other'
    ;(gcPauses[kind] ??= []).push(e.duration)
    gcSpans.push([e.startTime, e.startTime + e.duration])
    if (gcSpans.length > 4096) gcSpans.splice(0, 2048)
  }
}).observe({ entryTypes: ['gc'] })

/**
 * Late ticks: a 5 ms timer like monitorEventLoopDelay's, keeping each tick more than 5 ms late and whether a GC pause
 * of ≥ 2 ms fell inside its window (the collector's part of the lateness; the rest is our code or the host).
 */
let lateTicks = { late: 0, gc: 0, ticks: 0 }
let tickAt = performance.now()
const lateTimer = setInterval(() => {
  const now = performance.now()
  const late = now - tickAt - 5
  lateTicks.ticks++
  if (late > 5) {
    lateTicks.late++
    // The observer reports a pause after it ends: look at spans inside (tickAt, now].
    if (gcSpans.some(([a, b]) => b > tickAt && a < now && b - a >= 2)) lateTicks.gc++
  }
  tickAt = now
}, 5)
lateTimer.unref()
let eluBase = performance.eventLoopUtilization()

let api: ApiServer | undefined
if (settings.api) {
  api = await startApiServer({
    store: daemon.store,
    live: daemonLive(engineViewOf(daemon), new ChangeNotifier(), { watchMs: 0 }),
    now: () => daemon.clock.now(),
    promptDir: settings.databasePath + '.prompts',
    clientAddressHeader: settings.api.clientAddressHeader,
  })
}

await daemon.whenRebuilt()
// The daemon's own instant of the end of its first rebuild (epochMs), before anything else runs.
const doneAt = epochMs()
send({ type: 'ready', apiUrl: api?.url, doneAt })

// Keep the process alive while the parent is connected (the daemon's timers are unref'd).
const keepAlive = setInterval(() => undefined, 1 << 30)

/** The stats reply; with `gc` (sampled after a collection) also where the RSS is, from smaps. */
function sendStats(gc: boolean): void {
  const cpu = process.cpuUsage()
  const mem = process.memoryUsage()
  const stats: ChildStats = {
    cpuUserUs: cpu.user,
    cpuSystemUs: cpu.system,
    rss: mem.rss,
    heapUsed: mem.heapUsed,
    heapTotal: mem.heapTotal,
    external: mem.external,
    arrayBuffers: mem.arrayBuffers,
    heapSpaces: Object.fromEntries(
      getHeapSpaceStatistics().map((h) => [
        h.space_name,
        { size: h.space_size, used: h.space_used_size, physical: h.physical_space_size },
      ]),
    ),
    handled: { ...handled },
    engineMs,
    engineByType: structuredClone(engineByType),
    persistMs: persistMs - persistBase,
    elu: performance.eventLoopUtilization(eluBase).utilization,
    loopDelay: { p50: eld.percentile(50) / 1e6, p99: eld.percentile(99) / 1e6, max: eld.max / 1e6 },
    gcPauses: structuredClone(gcPauses),
    lateTicks: { ...lateTicks },
    storeQueued: writes.health().queued,
    storeWritten: writes.health().written,
    storeCommits: writes.commits,
  }
  if (gc) {
    const v8Heap = Object.values(stats.heapSpaces).reduce((sum, h) => sum + h.physical, 0)
    const where = rssWhere(v8Heap)
    if (where) stats.where = where
  }
  if (daemon.checkpointer) stats.checkpoints = daemon.checkpointer.stats
  const rebuild = daemon.freeswitch.nodes?.[0]?.lastRebuild
  if (rebuild) stats.rebuild = rebuild
  send({ type: 'stats', stats })
}

process.on('message', (m: Request) => {
  switch (m.type) {
    case 'stats': {
      if (!m.gc) {
        sendStats(false)
        return
      }
      // Collected, then again 300 ms later: V8 gives the pages a collection freed back to the system from a
      // background task, and RSS read at once still counted them (up to ~35 MB of "other anonymous").
      collectGarbage()
      setTimeout(() => {
        collectGarbage()
        sendStats(true)
      }, 300)
      return
    }
    case 'heap-snapshot': {
      // A heap snapshot of this process (after a collection), for finding what holds memory per call.
      collectGarbage()
      send({
        type: 'heap-snapshot',
        path: writeHeapSnapshot(join(m.dir, `koplus-daemon-${process.pid}-${m.label}.heapsnapshot`)),
      })
      return
    }
    case 'alloc-start':
      void allocStart(m.survivors).then(() => send({ type: 'alloc-start', ok: true }))
      return
    case 'alloc-stop':
      void allocStop(m.path).then((path) => send({ type: 'alloc-stop', path }))
      return
    case 'cpu-start':
      void cpuStart().then(() => send({ type: 'cpu-start', ok: true }))
      return
    case 'cpu-stop':
      void cpuStop(m.path).then((path) => send({ type: 'cpu-stop', path }))
      return
    case 'clock':
      send({ type: 'clock', now: epochMs() })
      return
    case 'probes':
      send({ type: 'probes', probes: probes.splice(0) })
      return
    case 'reset':
      handled = {}
      engineByType = {}
      engineMs = 0
      persistBase = persistMs
      eld.reset()
      gcPauses = {}
      lateTicks = { late: 0, gc: 0, ticks: 0 }
      eluBase = performance.eventLoopUtilization()
      send({ type: 'reset' })
      return
    case 'stop':
      clearInterval(keepAlive)
      void Promise.resolve(api?.close())
        .then(() => daemon.stop())
        .finally(() => {
          send({ type: 'stop' })
          process.exit(0)
        })
      return
  }
})
process.on('disconnect', () => {
  void daemon.stop().finally(() => process.exit(0))
})
