/**
 * Issue 13 item 2, the engine alone: 50 queues, 2,000 agents logged in, 1k / 5k / 10k callers waiting, 200
 * arrivals/s and agents freeing at the same rate (bench/sim/scale-world.ts), on a virtual clock.
 *
 * Prints: the cost of one engine step (CallCenter.handle) per event type, p50 / p99, at each size — the per-event
 * cost must not grow with the number waiting; the cost of CallCenter.status() (the live picture behind the status
 * API, the wallboard and /metrics) at each size; event-loop lateness p99 with the 10k scenario played in real time;
 * memory per waiting caller and per logged-in agent (heap and RSS delta / count).
 *
 * Run: npm run bench -- scale       (SCALE_SIZES=1000,5000,10000 SCALE_MEASURE_MS=20000 to change)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { CallCenter } from '../src/core/engine/call-center.js'
import type { Command } from '../src/core/commands.js'
import { KoplusMetrics } from '../src/api/metrics.js'
import { hostLine, percentile } from './helpers/stats.js'
import { DOMAIN, SCALE_DEFAULTS, scaleConfig, scaleWorld, type ScaleWorld, T0 } from './sim/scale-world.js'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const sizes = (process.env.SCALE_SIZES ?? '1000,5000,10000').split(',').map(Number)
const measureMs = Number(process.env.SCALE_MEASURE_MS ?? SCALE_DEFAULTS.measureMs)

const ms = (x: number): string => (Number.isFinite(x) ? x.toFixed(3) : '—')

/** Per-event cost at one size: kind → sorted costs (ms). */
interface RequestCosts {
  statusMs: number[]
  jsonMs: number[]
  jsonBytes: number
  metricsMs: number[]
}

/** Per request at this size: the engine's snapshot (status API, wallboard stream), its JSON, a /metrics scrape. */
async function requestCosts(cc: CallCenter, now: number): Promise<RequestCosts> {
  const metrics = new KoplusMetrics({ defaultMetrics: false })
  metrics.bindSource({ status: () => cc.status(now, { callers: false }), eslConnected: () => true })
  const r: RequestCosts = { statusMs: [], jsonMs: [], jsonBytes: 0, metricsMs: [] }
  for (let i = 0; i < 20; i++) {
    let s = performance.now()
    const st = cc.status(now)
    r.statusMs.push(performance.now() - s)
    s = performance.now()
    r.jsonBytes = JSON.stringify(st).length
    r.jsonMs.push(performance.now() - s)
    s = performance.now()
    await metrics.render()
    r.metricsMs.push(performance.now() - s)
  }
  for (const l of [r.statusMs, r.jsonMs, r.metricsMs]) l.sort((a, b) => a - b)
  return r
}

async function measureSize(
  waiting: number,
): Promise<{ costs: Map<string, number[]>; waitingAt: [number, number]; req: RequestCosts; events: number }> {
  const w = scaleWorld({ ...SCALE_DEFAULTS, waiting, measureMs })
  w.runUntil(w.measureFrom - 1)
  w.scheduleMeasurement()
  const atStart = w.waiting()
  const costs = new Map<string, number[]>()
  const events = w.runUntil(w.measureFrom + measureMs, (kind, cost) => {
    let list = costs.get(kind)
    if (!list) costs.set(kind, (list = []))
    list.push(cost)
  })
  for (const l of costs.values()) l.sort((a, b) => a - b)
  const req = await requestCosts(w.cc, w.measureFrom + measureMs)
  return { costs, waitingAt: [atStart, w.waiting()], req, events }
}

/**
 * The 10k scenario's measurement played against the real clock: how late the event loop runs. `w` absent: the same
 * loop with no engine work, the host's own share of the lateness (other processes, the scheduler).
 */
async function lateness(
  w: ScaleWorld | undefined,
  realMs: number,
): Promise<{ p50: number; p99: number; max: number; events: number; cpuMs: number }> {
  const h = monitorEventLoopDelay({ resolution: 1 })
  const start = performance.now()
  const cpu0 = process.cpuUsage()
  let events = 0
  h.enable()
  while (performance.now() - start < realMs) {
    if (w) events += w.runUntil(w.measureFrom + (performance.now() - start))
    await new Promise((r) => setTimeout(r, 1))
  }
  h.disable()
  const cpu = process.cpuUsage(cpu0)
  return {
    p50: h.percentile(50) / 1e6,
    p99: h.percentile(99) / 1e6,
    max: h.max / 1e6,
    events,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }
}

function heapAndRss(): { heap: number; rss: number } {
  gc()
  gc()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

/** Engine memory: per logged-in agent (config + session), then per waiting caller (agents paused, so all wait). */
function memory(agents: number, callers: number): void {
  const cfg = scaleConfig({ queues: SCALE_DEFAULTS.queues, agents })
  const before = heapAndRss()
  const cc = new CallCenter()
  cc.handle({ type: 'config', config: cfg }, T0)
  for (const a of cfg.agents) {
    cc.handle({ type: 'registration', sipUser: a.sipUser, domain: DOMAIN, registered: true }, T0)
    cc.handle({ type: 'agent-login', agentId: a.id, source: 'system' }, T0)
    cc.handle({ type: 'agent-pause', agentId: a.id, paused: true, reason: 'bench', source: 'api' }, T0)
  }
  const withAgents = heapAndRss()
  let kept: Command[] = []
  for (let i = 0; i < callers; i++) {
    const now = T0 + 1000 + i
    const callId = `m${i}`
    const out = cc.handle(
      {
        type: 'call-arrived',
        callId,
        queueNumber: String(5000 + (i % SCALE_DEFAULTS.queues)),
        tenantDomain: DOMAIN,
        callerNumber: `07${i}`,
        callerName: '',
      },
      now,
    )
    const play = out.find((c): c is Extract<Command, { type: 'play' }> => c.type === 'play')
    if (play) kept = cc.handle({ type: 'prompt-finished', callId, token: play.token, interrupted: false }, now)
  }
  const withCallers = heapAndRss()
  const waiting = cc.status(T0 + 1000 + callers).queues.reduce((n, q) => n + q.waiting, 0)
  const kb = (b: number, n: number): string => `${(b / n / 1024).toFixed(2)} KB`
  console.log(`\nmemory (engine alone; the config's agent records count toward the agents), after gc:`)
  console.log(
    `  per logged-in agent (${agents}): heap ${kb(withAgents.heap - before.heap, agents)}, RSS ${kb(withAgents.rss - before.rss, agents)}   (target < 2 KB)`,
  )
  console.log(
    `  per waiting caller (${waiting} waiting): heap ${kb(withCallers.heap - withAgents.heap, waiting)}, RSS ${kb(withCallers.rss - withAgents.rss, waiting)}   (target < 4 KB)`,
  )
  void kept
}

export default async function scaleBench(): Promise<void> {
  console.log(hostLine())
  // First, in a fresh heap: the later runs leave RSS behind that would hide the deltas.
  memory(SCALE_DEFAULTS.agents, Math.max(...sizes))
  console.log(
    `\n${SCALE_DEFAULTS.queues} queues, ${SCALE_DEFAULTS.agents} agents (2 queues each), ${SCALE_DEFAULTS.ratePerSec} arrivals/s and frees/s, ${measureMs / 1000} s measured per size (virtual clock)`,
  )
  const results: ({ n: number } & Awaited<ReturnType<typeof measureSize>>)[] = []
  for (const n of sizes) results.push({ n, ...(await measureSize(n)) })
  const kinds = [...new Set(results.flatMap((r) => [...r.costs.keys()]))].sort()
  console.log(`\nengine step cost per event type, ms: p50 / p99 (count) at each number waiting`)
  console.log(`| event | ${results.map((r) => `${r.n.toLocaleString('en')} waiting`).join(' | ')} |`)
  console.log(`|---|${results.map(() => '---').join('|')}|`)
  for (const k of kinds) {
    const cells = results.map((r) => {
      const l = r.costs.get(k) ?? []
      return l.length ? `${ms(percentile(l, 50))} / ${ms(percentile(l, 99))} (${l.length})` : '—'
    })
    console.log(`| ${k} | ${cells.join(' | ')} |`)
  }
  const all = (r: (typeof results)[number]): number[] => [...r.costs.values()].flat().sort((a, b) => a - b)
  console.log(
    `| all events | ${results.map((r) => `${ms(percentile(all(r), 50))} / ${ms(percentile(all(r), 99))} (${r.events})`).join(' | ')} |`,
  )
  const busy = (r: (typeof results)[number]): string =>
    `${(all(r).reduce((a, b) => a + b, 0) / (measureMs / 1000)).toFixed(0)} ms`
  console.log(
    `| engine time per second of the day (events/s) | ${results.map((r) => `${busy(r)} (${Math.round(r.events / (measureMs / 1000))})`).join(' | ')} |`,
  )
  console.log(`| waiting at start → end | ${results.map((r) => `${r.waitingAt[0]} → ${r.waitingAt[1]}`).join(' | ')} |`)
  const med = (l: number[]): string => ms(percentile(l, 50))
  console.log(`\ncost per request, ms (median of 20)`)
  console.log(`| request | ${results.map((r) => `${r.n.toLocaleString('en')} waiting`).join(' | ')} |`)
  console.log(`|---|${results.map(() => '---').join('|')}|`)
  console.log(`| engine snapshot, status() | ${results.map((r) => med(r.req.statusMs)).join(' | ')} |`)
  console.log(
    `| its JSON (status API body, one SSE event) | ${results.map((r) => `${med(r.req.jsonMs)} (${(r.req.jsonBytes / 1024).toFixed(0)} KB)`).join(' | ')} |`,
  )
  console.log(`| /metrics scrape (snapshot + render) | ${results.map((r) => med(r.req.metricsMs)).join(' | ')} |`)
  const biggest = Math.max(...sizes)
  const realMs = Number(process.env.SCALE_REALTIME_MS ?? 10_000)
  const w = scaleWorld({ ...SCALE_DEFAULTS, waiting: biggest, measureMs: realMs })
  w.runUntil(w.measureFrom - 1)
  w.scheduleMeasurement()
  gc()
  const idle = await lateness(undefined, realMs)
  const late = await lateness(w, realMs)
  const sec = realMs / 1000
  console.log(
    `\nevent-loop lateness, ${biggest.toLocaleString('en')} waiting played in real time for ${sec} s (${late.events} events, CPU ${(late.cpuMs / sec).toFixed(0)} ms/s): p50 ${ms(late.p50)} ms, p99 ${ms(late.p99)} ms (target < 5), max ${ms(late.max)} ms`,
  )
  console.log(
    `  the same loop without the engine, just before (the host's share): p50 ${ms(idle.p50)} ms, p99 ${ms(idle.p99)} ms, max ${ms(idle.max)} ms (CPU ${(idle.cpuMs / sec).toFixed(0)} ms/s)`,
  )
  console.log(hostLine())
}

if (import.meta.url === `file://${process.argv[1]}`) await scaleBench()
