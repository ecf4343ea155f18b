/**
 * Issue 13 item 2, end to end: the built koplus daemon (its own process, dist/) against the FreeSWITCH simulator
 * over TCP on 127.0.0.1, with thousands of callers waiting. The simulator runs with FreeSWITCH's Event Socket
 * delivery rule on (eslPollMs 20: mod_event_socket.c read_packet sends queued events when its listener wakes — its
 * 20 ms poll or a byte from the client; src/simulator/event-delivery.ts) and the daemon with its usual LF wake-ups.
 *
 * One queue (5000, the bench rig's: no announcements, music on hold, longest idle, wrap-up 0) and A agents whose
 * phones answer after 20 ms and hang up `talk` after the bridge, with talk = A / R: the agents free at about R per
 * second. Fill: callers arrive at FILL_RATE/s until W wait. Measurement: callers arrive at R/s for MEASURE_MS, so
 * about W keep waiting (first in, first out).
 *
 * Prints per size W:
 *   - arrival → first command: the caller's CHANNEL_PARK sent → the daemon's answer received (the arrival's cost);
 *   - agent free → agent ring: the agent leg's CHANNEL_HANGUP sent → the originate of the next caller to that agent
 *     received. With W waiting a new caller is rung only after the W ahead of it; the ring that follows an agent
 *     coming free is the daemon's part of arrival → ring (what a caller arriving to a free agent measures in
 *     `npm run bench -- event-path`);
 *   - the daemon's event-loop lateness (monitorEventLoopDelay, beyond its 5 ms tick), CPU, and memory per waiting
 *     caller, sampled after a full collection in the daemon (the child runs with --expose-gc) once it has caught up
 *     with the fill (settle):
 *       from empty: RSS and heap growth from the empty queue to W waiting, divided by the number waiting. It also
 *       counts what traffic grows whatever the number waiting (the young generation growing to its 2 × 16 MB
 *       semi-spaces, old-space pages and malloc's high-water from the fill's peak);
 *       marginal: the growth from MARGINAL_FROM (2,000) to W waiting in the same process under the same traffic,
 *       divided by the callers added: what one more waiting caller costs;
 *     and beside them without a forced collection (what the last scavenge left: garbage, not what a caller holds),
 *     and "RSS, where" from /proc/<pid>/smaps (./helpers/smaps.ts: V8 heap, malloc arenas, other anonymous, code).
 * And once, first: memory per logged-in agent, the daemon's heap and RSS after a collection with A agents against
 * 1 agent, divided by A − 1: at rest (once V8 has given back the young generation the start-up grew, ~15–35 s after
 * the rebuild: the figure) and right after the first rebuild.
 *
 * Run: npm run bench -- scale-daemon
 *   (DAEMON_SCALE_SIZES=2000,5000  DAEMON_SCALE_AGENTS=200  DAEMON_SCALE_RATE=100  DAEMON_SCALE_MEASURE_MS=15000
 *    DAEMON_SCALE_FILL_RATE=500  DAEMON_SCALE_MARGINAL_FROM=2000 to change; DAEMON_SCALE_ONLY=agents: only the
 *    memory per agent (=callers: only the sizes); DAEMON_SCALE_HEAP_SNAPSHOT=<dir>: heap snapshots of the daemon
 *    with 1 and A agents at rest, and empty and at W waiting, written into <dir>, to see what holds the memory:
 *    `node dist/bench/helpers/heap-diff.js a.heapsnapshot b.heapsnapshot --per N` compares two by constructor;
 *    DAEMON_SCALE_ALLOC_PROFILE=<dir>: V8's sampling heap profile of the daemon over the measurement, every
 *    allocation counted whether collected or not, written into <dir> and summarised per ESL event: where the
 *    allocation that drives the collections comes from; bench/helpers/alloc-profile.ts; with
 *    DAEMON_SCALE_ALLOC_SURVIVORS=1 only what outlived a scavenge: the promotion behind the mark-compacts;
 *    DAEMON_SCALE_CPU_PROFILE=<dir>: V8's CPU profile of the daemon over the measurement, written into <dir>, and
 *    what its event loop's turns of 5 ms or more ran (bench/helpers/long-turns.ts): what makes the lateness)
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { startIdleProbe } from './helpers/idle-probe.js'
import { formatAllocations, summarizeAllocations, type ProfileNode } from './helpers/alloc-profile.js'
import { formatLongTurns, longTurns, type CpuProfile } from './helpers/long-turns.js'
import { placeCaller } from './helpers/callers.js'
import type { SimEventInfo } from './helpers/sim-probe.js'
import type { ChildStats } from './helpers/daemon-child.js'
import { formatRssWhere } from './helpers/smaps.js'
import { BenchRig, sleep } from './helpers/rig.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'
import { epochMs } from './helpers/clock.js'

const num = (name: string, dflt: number): number => Number(process.env[name] ?? dflt)
const SIZES = (process.env.DAEMON_SCALE_SIZES ?? '2000,5000').split(',').map(Number)
const AGENTS = num('DAEMON_SCALE_AGENTS', 200)
const RATE = num('DAEMON_SCALE_RATE', 100)
const MEASURE_MS = num('DAEMON_SCALE_MEASURE_MS', 15_000)
const FILL_RATE = num('DAEMON_SCALE_FILL_RATE', 500)
const ANSWER_MS = 20
const ESL_POLL_MS = 20
/** A bound on the fill: a host that cannot keep up stops here and says so. */
const FILL_LIMIT_MS = num('DAEMON_SCALE_FILL_LIMIT_MS', 120_000)
const HEAP_SNAPSHOT_DIR = process.env.DAEMON_SCALE_HEAP_SNAPSHOT
const ALLOC_PROFILE_DIR = process.env.DAEMON_SCALE_ALLOC_PROFILE
const ALLOC_SURVIVORS = process.env.DAEMON_SCALE_ALLOC_SURVIVORS === '1'
const CPU_PROFILE_DIR = process.env.DAEMON_SCALE_CPU_PROFILE
/** DAEMON_SCALE_ONLY=agents: only the memory per agent; =callers: only the sizes. */
const ONLY = process.env.DAEMON_SCALE_ONLY
/** At rest: the young generation given back (below this many resident bytes), waited for at most this long. */
const REST_NEW_SPACE = 2 * 1024 * 1024
const REST_LIMIT_MS = num('DAEMON_SCALE_REST_LIMIT_MS', 90_000)
/** The smaller size of the marginal cost per waiting caller (0: none); used when below W. */
const MARGINAL_FROM = num('DAEMON_SCALE_MARGINAL_FROM', 2000)
/** The daemon has caught up when it uses less than this share of a core (see settle). */
const SETTLED_CPU = 0.6

/** The daemon's young generation (new space) in resident bytes. */
const newSpace = (s: ChildStats): number => s.heapSpaces.new_space?.physical ?? 0

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`
const header = (ev: SimEventInfo['ev'], name: string): string | undefined => ev.headers.find(([k]) => k === name)?.[1]

/** Places callers at `perSec` (in 10 ms ticks) while `more()` says so; resolves when it stops. */
async function arrivals(rig: BenchRig, perSec: number, more: () => boolean, onPlace: (uuid: string) => void) {
  const t0 = performance.now()
  let placed = 0
  while (more()) {
    const due = Math.floor(((performance.now() - t0) / 1000) * perSec)
    while (placed < due && more()) {
      placed++
      onPlace(placeCaller(rig).uuid)
    }
    await sleep(10)
  }
  return placed
}

/**
 * Before a memory sample after the fill: 1 s, then until the daemon has caught up — its write queue drained and
 * under SETTLED_CPU of a core over half a second (the calls still flowing cost ~30 %; a backlog of events and
 * commands runs it near 100 %) — at most 15 s. Else the sample counts the fill's backlog (write jobs, ESL
 * commands awaiting their replies, decoded events), not the callers.
 */
async function settle(rig: BenchRig): Promise<{ ms: number; settled: boolean }> {
  await sleep(1000)
  const t0 = performance.now()
  let a = await rig.stats()
  for (;;) {
    await sleep(500)
    const b = await rig.stats()
    const cpu = (b.cpuUserUs + b.cpuSystemUs - a.cpuUserUs - a.cpuSystemUs) / 1000 / 500
    if (b.storeQueued === 0 && cpu < SETTLED_CPU) return { ms: performance.now() - t0 + 1000, settled: true }
    if (performance.now() - t0 > 15_000) return { ms: performance.now() - t0 + 1000, settled: false }
    a = b
  }
}

async function runSize(waitingTarget: number): Promise<void> {
  const talkMs = Math.max(50, Math.round((AGENTS / RATE) * 1000) - ANSWER_MS)
  const rig = await BenchRig.start({
    agents: AGENTS,
    eslPollMs: ESL_POLL_MS,
    phone: { answerAfterMs: ANSWER_MS },
    probes: false,
  })
  const simLoop = monitorEventLoopDelay({ resolution: 5 })
  const idle = startIdleProbe(process.env.BENCH_DAEMON_CPUS)
  const waiting = new Set<string>()
  const arrivedAt = new Map<string, number>()
  const rungAfter: number[] = []
  let measuring = false
  try {
    rig.probe.onEvent = ({ ev }) => {
      if (ev.name === 'CHANNEL_BRIDGE') {
        const caller = header(ev, 'Bridge-A-Unique-ID')
        const leg = header(ev, 'Bridge-B-Unique-ID')
        if (caller) waiting.delete(caller)
        if (leg)
          setTimeout(() => {
            const call = rig.sim.call(leg)
            if (call && call.state !== 'hungup') rig.sim.hangup(call.channel, 'NORMAL_CLEARING')
          }, talkMs)
      } else if (ev.name === 'CHANNEL_HANGUP' && ev.uuid) waiting.delete(ev.uuid)
    }
    rig.probe.onOriginate = (o) => {
      const at = arrivedAt.get(o.callId)
      if (measuring && at !== undefined) rungAfter.push(o.at - at)
    }
    const before = await rig.stats({ gc: true })
    const beforeNoGc = await rig.stats()
    if (HEAP_SNAPSHOT_DIR)
      console.log(`heap snapshot of the daemon: ${await rig.heapSnapshot(HEAP_SNAPSHOT_DIR, 'empty')}`)

    // Fill: until W wait (bounded in time).
    // On the way, a sample at MARGINAL_FROM waiting (the fill paused for it): the marginal cost of a caller is
    // the difference to W, in the same process under the same traffic.
    const fillStart = performance.now()
    let fillEnd = fillStart + FILL_LIMIT_MS
    const fill = (upTo: number): Promise<number> =>
      arrivals(
        rig,
        FILL_RATE,
        () => waiting.size < upTo && performance.now() < fillEnd,
        (u) => waiting.add(u),
      )
    let mid: { waiting: number; stats: ChildStats; settled: boolean } | undefined
    let midMs = 0
    if (MARGINAL_FROM > 0 && MARGINAL_FROM < waitingTarget) {
      await fill(MARGINAL_FROM)
      const paused = performance.now()
      const st = await settle(rig)
      mid = { stats: await rig.stats({ gc: true }), waiting: waiting.size, settled: st.settled }
      midMs = performance.now() - paused
      fillEnd += midMs
    }
    await fill(waitingTarget)
    const fillSec = (performance.now() - fillStart - midMs) / 1000
    const reached = waiting.size
    const settledAtW = (await settle(rig)).settled
    const filledNoGc = await rig.stats()
    const filled = await rig.stats({ gc: true })
    const waitingAtSample = waiting.size
    if (HEAP_SNAPSHOT_DIR)
      console.log(
        `heap snapshot of the daemon: ${await rig.heapSnapshot(HEAP_SNAPSHOT_DIR, `${waitingAtSample}-waiting`)}`,
      )

    // Measurement: R arrivals per second, agents freeing at about the same rate.
    rig.probe.reset()
    await rig.reset()
    simLoop.enable()
    await idle.reset()
    const simCpu0 = process.cpuUsage()
    if (ALLOC_PROFILE_DIR) await rig.allocStart({ survivors: ALLOC_SURVIVORS })
    if (CPU_PROFILE_DIR) await rig.cpuStart()
    measuring = true
    const atStart = waiting.size
    const t0 = performance.now()
    let rssPeak = filled.rss
    const peak = setInterval(() => {
      rig.stats().then(
        (s) => (rssPeak = Math.max(rssPeak, s.rss)),
        () => undefined, // a starved daemon answers late: the peak is a sample
      )
    }, 1000)
    const placed = await arrivals(
      rig,
      RATE,
      () => performance.now() - t0 < MEASURE_MS,
      (u) => {
        waiting.add(u)
        arrivedAt.set(u, epochMs())
      },
    )
    clearInterval(peak)
    measuring = false
    const secs = (performance.now() - t0) / 1000
    const d = await rig.stats()
    const floor = await idle.read()
    const allocFile = ALLOC_PROFILE_DIR
      ? await rig.allocStop(join(ALLOC_PROFILE_DIR, `koplus-daemon-${waitingTarget}-waiting.heapprofile`))
      : undefined
    const cpuFile = CPU_PROFILE_DIR
      ? await rig.cpuStop(join(CPU_PROFILE_DIR, `koplus-daemon-${waitingTarget}-waiting.cpuprofile`))
      : undefined
    const simCpu = process.cpuUsage(simCpu0)
    simLoop.disable()
    const p = rig.probe

    console.log(
      `\n${waitingTarget.toLocaleString('en')} waiting: ${AGENTS} agents (answer ${ANSWER_MS} ms, talk ${talkMs} ms), ${RATE} arrivals/s`,
    )
    console.log(
      `fill: ${reached.toLocaleString('en')} waiting after ${fillSec.toFixed(1)} s at up to ${FILL_RATE} arrivals/s` +
        (reached < waitingTarget ? `  — STOPPED at the ${FILL_LIMIT_MS / 1000} s limit: the host did not keep up` : ''),
    )
    console.log(
      `measured ${secs.toFixed(1)} s: ${placed} arrivals, ${(p.bridges / secs).toFixed(0)} bridged/s, waiting ${atStart} → ${waiting.size}; ` +
        `${(p.eventsToDaemon / secs).toFixed(0)} ESL events/s to the daemon`,
    )
    const lag = (k: Parameters<typeof p.lags.get>[0]): number[] => p.lags.get(k) ?? []
    console.log(
      formatSummary('  arrival → first command (answer)', summarize(lag('caller parked → first command (answer)'))),
    )
    console.log(
      formatSummary(
        '  agent free → agent ring (next caller)',
        summarize(lag('agent hung up → next originate to that agent')),
      ),
    )
    console.log(
      formatSummary('  agent answered → bridge command', summarize(lag('agent answered → first command (bridge)'))),
    )
    if (rungAfter.length)
      console.log(
        formatSummary(
          '  arrival → ring of callers arrived meanwhile (= wait)',
          summarize(rungAfter.map((x) => x / 1000)),
          2,
          's',
        ),
      )
    else console.log(`  (no caller who arrived during the measurement was rung yet: the ${atStart} ahead come first)`)
    const late = (x: number): string => Math.max(0, x - 5).toFixed(2)
    const cpuMs = (d.cpuUserUs + d.cpuSystemUs - filled.cpuUserUs - filled.cpuSystemUs) / 1000
    console.log(
      `daemon: event-loop lateness (beyond its 5 ms tick) p50 ${late(d.loopDelay.p50)} ms, p99 ${late(d.loopDelay.p99)} ms, max ${late(d.loopDelay.max)} ms; ` +
        `CPU ${((cpuMs / (secs * 1000)) * 100).toFixed(0)} % of a core, engine ${((d.engineMs / (secs * 1000)) * 100).toFixed(1)} % / SQLite ${((d.persistMs / (secs * 1000)) * 100).toFixed(1)} % of the wall time`,
    )
    console.log(`  garbage collection on the daemon's main thread: ${gcLine(d.gcPauses, secs)}`)
    const lt = d.lateTicks
    console.log(
      `  5 ms ticks more than 5 ms late: ${lt.late} of ${lt.ticks} (${((lt.late / Math.max(1, lt.ticks)) * 100).toFixed(2)} %), ${lt.gc} of them with a GC pause ≥ 2 ms inside`,
    )
    console.log(
      `host floor: an idle Node process ${process.env.BENCH_DAEMON_CPUS ? `on the daemon's CPUs (${process.env.BENCH_DAEMON_CPUS})` : 'beside them'}, event-loop lateness (beyond its 5 ms tick) p50 ${late(floor.p50)} ms, p99 ${late(floor.p99)} ms, max ${late(floor.max)} ms`,
    )
    const perType = Object.entries(d.engineByType)
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 5)
      .map(([k, v]) => `${k} ${((v.ms / (d.handled[k] ?? 1)) * 1000).toFixed(0)} µs (max ${v.max.toFixed(2)} ms)`)
    console.log(`  engine step, mean by event: ${perType.join(', ')}`)
    const kb = (b: number): string => `${(b / Math.max(1, waitingAtSample) / 1024).toFixed(2)} KB`
    console.log(
      `  memory after gc: RSS ${mb(filled.rss)} (peak ${mb(rssPeak)}), heap ${mb(filled.heapUsed)}; per waiting caller from empty (${waitingAtSample} waiting) heap ${kb(filled.heapUsed - before.heapUsed)}, RSS ${kb(filled.rss - before.rss)}${settledAtW ? '' : ' (NOT SETTLED: the daemon was still behind after 15 s, the sample counts its backlog)'}`,
    )
    if (mid) {
      const n = waitingAtSample - mid.waiting
      const per = (b: number): string => `${(b / Math.max(1, n) / 1024).toFixed(2)} KB`
      console.log(
        `  per waiting caller, marginal (the same run, ${mid.waiting} → ${waitingAtSample} waiting, after gc): heap ${per(filled.heapUsed - mid.stats.heapUsed)}, RSS ${per(filled.rss - mid.stats.rss)} ` +
          `${mid.settled && settledAtW ? '' : '(NOT SETTLED: the daemon was still behind, the samples count its backlog) '}— what one more waiting caller costs once calls flow; the figure from empty above also counts what traffic grows whatever the number waiting (young generation ${mb(newSpace(before))} empty, ${mb(newSpace(mid.stats))} at ${mid.waiting}, ${mb(newSpace(filled))} at ${waitingAtSample})`,
      )
    }
    if (before.where && filled.where) {
      console.log(`  RSS, where, empty: ${formatRssWhere(before.where)}`)
      if (mid?.stats.where) console.log(`  RSS, where, ${mid.waiting} waiting: ${formatRssWhere(mid.stats.where)}`)
      console.log(`  RSS, where, ${waitingAtSample} waiting: ${formatRssWhere(filled.where)}`)
    }
    console.log(
      `  memory after gc, where: heap total ${mb(filled.heapTotal)} (empty ${mb(before.heapTotal)}), external ${mb(filled.external)} (empty ${mb(before.external)}), RSS beyond the heap ${mb(filled.rss - filled.heapTotal)} (empty ${mb(before.rss - before.heapTotal)})`,
    )
    console.log(
      `  memory without a forced gc: heap ${mb(filledNoGc.heapUsed)}; per waiting caller heap ${kb(filledNoGc.heapUsed - beforeNoGc.heapUsed)}, RSS ${kb(filledNoGc.rss - beforeNoGc.rss)}`,
    )
    console.log(
      `  store write queue: ${((d.storeWritten - filled.storeWritten) / secs).toFixed(0)} jobs/s in ${((d.storeCommits - filled.storeCommits) / secs).toFixed(0)} transactions/s, ${d.storeQueued} queued at the end`,
    )
    const cp = d.checkpoints
    if (cp)
      console.log(
        `  SQLite WAL checkpoints on the worker thread: ${cp.checkpoints} (${cp.restarts} RESTART), WAL at most ${cp.maxWalPages} pages, now ${cp.walPages}, longest ${cp.maxMs.toFixed(1)} ms${cp.lastError ? `, last error: ${cp.lastError}` : ''}`,
      )
    if (allocFile) {
      const events = p.eventsToDaemon
      const summary = summarizeAllocations((JSON.parse(readFileSync(allocFile, 'utf8')) as { head: ProfileNode }).head)
      console.log(
        `  ${ALLOC_SURVIVORS ? 'allocation that outlived a scavenge' : 'allocation'} during the measurement (${allocFile}), per ESL event sent to the daemon:`,
      )
      for (const l of formatAllocations(summary, 15, Math.max(1, events), '/event')) console.log(l)
    }
    if (cpuFile) {
      console.log(`  CPU profile of the daemon during the measurement (${cpuFile}):`)
      const profile = JSON.parse(readFileSync(cpuFile, 'utf8')) as CpuProfile
      for (const l of formatLongTurns(longTurns(profile, 5), 12)) console.log(l)
    }
    console.log(
      `simulator + harness process: CPU ${(((simCpu.user + simCpu.system) / 1000 / (secs * 1000)) * 100).toFixed(0)} % of a core, event-loop lateness p99 ${Math.max(0, simLoop.percentile(99) / 1e6 - 5).toFixed(2)} ms`,
    )
  } finally {
    idle.stop()
    await rig.stop()
  }
}

/** GC pauses by kind: how many a second, p99 and longest (ms). */
function gcLine(pauses: Record<string, number[]>, secs: number): string {
  const parts = Object.entries(pauses)
    .sort((a, b) => b[1].reduce((x, y) => x + y, 0) - a[1].reduce((x, y) => x + y, 0))
    .map(([kind, ms]) => {
      const s = summarize(ms)
      return `${kind} ${(ms.length / secs).toFixed(1)}/s p99 ${s.p99.toFixed(1)} max ${s.max.toFixed(1)} ms`
    })
  const total = Object.values(pauses)
    .flat()
    .reduce((x, y) => x + y, 0)
  return `${((total / (secs * 1000)) * 100).toFixed(1)} % of the wall time; ${parts.join('; ') || 'none'}`
}

/** One size; a daemon too starved to answer the rig's requests (10 s) is reported, and the next size still runs. */
async function tryRunSize(w: number): Promise<void> {
  try {
    await runSize(w)
  } catch (err) {
    console.log(`\n${w.toLocaleString('en')} waiting: not measured — ${(err as Error).message} (${hostLine()})`)
  }
}

/**
 * The daemon's memory with `agents` logged in (and their phones registered), after gc: right after its first
 * rebuild, and at rest — once V8 has given back the young generation the start-up grew (its memory reducer does
 * when the daemon allocates little: ~15–35 s after the rebuild), bounded by REST_LIMIT_MS.
 * DAEMON_SCALE_HEAP_SNAPSHOT=<dir>: a heap snapshot of the daemon at rest too.
 */
async function memoryAtRest(agents: number): Promise<{ rebuilt: ChildStats; rest: ChildStats; waitedMs: number }> {
  const rig = await BenchRig.start({
    agents,
    eslPollMs: ESL_POLL_MS,
    phone: { answerAfterMs: ANSWER_MS },
    probes: false,
  })
  try {
    await sleep(500)
    const rebuilt = await rig.stats({ gc: true })
    const t0 = performance.now()
    while (newSpace(await rig.stats()) > REST_NEW_SPACE && performance.now() - t0 < REST_LIMIT_MS) await sleep(1000)
    const waitedMs = performance.now() - t0
    const rest = await rig.stats({ gc: true })
    if (HEAP_SNAPSHOT_DIR)
      console.log(`heap snapshot of the daemon: ${await rig.heapSnapshot(HEAP_SNAPSHOT_DIR, `${agents}-agents`)}`)
    return { rebuilt, rest, waitedMs }
  } finally {
    await rig.stop()
  }
}

/**
 * Memory per logged-in agent: A agents against 1, after gc, divided by A − 1 — at rest (the figure), and right
 * after the rebuild (the young generation as the start-up left it: grown by the work of loading A agents, given
 * back later; not memory an agent holds).
 */
async function agentMemory(): Promise<void> {
  const one = await memoryAtRest(1)
  const all = await memoryAtRest(AGENTS)
  const kb = (b: number): string => `${(b / (AGENTS - 1) / 1024).toFixed(2)} KB`
  const s = (w: number): string => `${(w / 1000).toFixed(0)} s`
  console.log(
    `memory per logged-in agent (${AGENTS} against 1, phones registered, after gc), at rest (young generation given back by V8 ${s(one.waitedMs)} / ${s(all.waitedMs)} after the rebuild): ` +
      `heap ${kb(all.rest.heapUsed - one.rest.heapUsed)}, RSS ${kb(all.rest.rss - one.rest.rss)}`,
  )
  console.log(
    `  right after the rebuild: heap ${kb(all.rebuilt.heapUsed - one.rebuilt.heapUsed)}, RSS ${kb(all.rebuilt.rss - one.rebuilt.rss)} ` +
      `(young generation ${mb(newSpace(one.rebuilt))} / ${mb(newSpace(all.rebuilt))}: grown by the start-up's work, given back at rest)`,
  )
  for (const [n, m] of [
    [1, one],
    [AGENTS, all],
  ] as const)
    if (m.rest.where) console.log(`  RSS, where, ${n} agent(s) at rest: ${formatRssWhere(m.rest.where)}`)
}

export default async function (): Promise<void> {
  console.log(
    `koplus at scale: daemon process (dist/) ↔ FreeSWITCH simulator over TCP 127.0.0.1, Event Socket delivery rule ON (eslPollMs ${ESL_POLL_MS}, mod_event_socket read_packet), the daemon's LF wake-ups on`,
  )
  console.log(hostLine())
  if (AGENTS > 1 && ONLY !== 'callers') await agentMemory()
  if (ONLY !== 'agents') for (const w of SIZES) await tryRunSize(w)
  console.log(`\n${hostLine()} (at the end)`)
}
