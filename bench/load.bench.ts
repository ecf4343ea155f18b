/**
 * Load, end to end: the real koplus daemon (own process) against the FreeSWITCH simulator over TCP on 127.0.0.1,
 * with many callers waiting, for a bounded time on the real clock (about 25 s of measurement in all; bounded in
 * callers too). It stops by itself.
 *
 * Phase A "call centre": 20 agents answering after 1–3 s, talking 2–5 s, wrap-up 0; 200 callers arrive at once
 * and every caller who ends is replaced, so about 200 wait throughout. Agent capacity bounds the call rate here.
 * Phase B "saturation": 100 agents answering after 10–50 ms, talking 50–250 ms, wrap-up 0; 300 callers kept in the
 * system — to see how far the daemon (and the simulator) go before event handling lags.
 *
 * Figures per phase: calls handled per second (callers who were connected and ended), ESL events per second sent
 * to the daemon (its subscription), event-processing lag (simulator sent an event → the daemon's first command in
 * response arrived at the simulator, for every stimulus of the kinds in ./helpers/sim-probe.ts), the daemon
 * process's CPU and RSS and event-loop delay, and the simulator process's CPU (the other side of the socket).
 *
 * Run: sh bench/helpers/build.sh && node /tmp/koplus-bench-dist/bench/run.js load   (from the repository root)
 */
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { Prng } from '../src/core/ewt/prng.js'
import { placeCaller } from './helpers/callers.js'
import type { ChildStats } from './helpers/daemon-child.js'
import { BenchRig, sleep } from './helpers/rig.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'

interface Phase {
  title: string
  agents: number
  callers: number
  answerMs: [number, number]
  talkMs: [number, number]
  measureMs: number
  /** Upper bound on callers placed in the phase (burst included). */
  maxCallers: number
}

const PHASES: Phase[] = [
  {
    title: 'A. call centre: 20 agents (answer 1–3 s, talk 2–5 s, wrap-up 0), ~200 callers waiting',
    agents: 20,
    callers: 200,
    answerMs: [1000, 3000],
    talkMs: [2000, 5000],
    measureMs: 15_000,
    maxCallers: 2_000,
  },
  {
    title: 'B. saturation: 100 agents (answer 10–50 ms, talk 50–250 ms, wrap-up 0), 300 callers in the system',
    agents: 100,
    callers: 300,
    answerMs: [10, 50],
    talkMs: [50, 250],
    measureMs: 10_000,
    maxCallers: 20_000,
  },
]

const mb = (b: number): string => `${(b / 1024 / 1024).toFixed(1)} MB`

async function runPhase(ph: Phase, seed: number): Promise<void> {
  const rng = new Prng(seed)
  const rig = await BenchRig.start({
    agents: ph.agents,
    queue: { ringTimeSec: 30 },
    phone: { answerAfterMs: ph.answerMs[0] },
  })
  const simLoop = monitorEventLoopDelay({ resolution: 5 })
  let refill = true
  try {
    // Each agent leg gets a fresh random answer time, set just before the simulator creates it; the talk time
    // runs from the bridge (not from the answer, so a slow bridge does not turn into a failed offer), then the
    // agent hangs up.
    rig.probe.onOriginate = (o) => {
      for (const u of o.users)
        rig.sim.endpoint(u, { registered: true, answerAfterMs: Math.round(rng.uniform(...ph.answerMs)) })
    }
    rig.probe.onEvent = ({ ev }) => {
      if (ev.name !== 'CHANNEL_BRIDGE') return
      const leg = ev.headers.find(([k]) => k === 'Bridge-B-Unique-ID')?.[1]
      if (!leg) return
      setTimeout(
        () => {
          const call = rig.sim.call(leg)
          if (call && call.state !== 'hungup') rig.sim.hangup(call.channel, 'NORMAL_CLEARING')
        },
        Math.round(rng.uniform(...ph.talkMs)),
      )
    }
    let placed = 0
    const place = (): void => {
      if (!refill || placed >= ph.maxCallers) return
      placed++
      const c = placeCaller(rig)
      void c.waitForState('hungup', 120_000).then(
        () => setImmediate(place),
        () => undefined,
      )
    }

    // The burst: every caller arrives at once.
    const b0 = await rig.stats()
    const burstStart = Date.now()
    for (let i = 0; i < ph.callers; i++) place()
    await rig.sim.waitFor(
      () => (rig.probe.lags.get('caller parked → first command (answer)')?.length ?? 0) >= ph.callers,
      20_000,
      'every burst caller answered',
    )
    const burstMs = Date.now() - burstStart
    const burstLag = summarize(rig.probe.lags.get('caller parked → first command (answer)') ?? [])
    const b1 = await rig.stats()
    const arrived = b1.engineByType['call-arrived']
    const burstEngine =
      arrived && b1.handled['call-arrived']
        ? `engine ${(arrived.ms / b1.handled['call-arrived']).toFixed(3)} ms per arrival (max ${arrived.max.toFixed(2)} ms)`
        : ''
    const burstCpuMs = (b1.cpuUserUs + b1.cpuSystemUs - b0.cpuUserUs - b0.cpuSystemUs) / 1000
    await sleep(500)

    // Measurement.
    rig.probe.reset()
    await rig.reset()
    simLoop.enable()
    const simCpu0 = process.cpuUsage()
    const d0 = await rig.stats()
    const t0 = Date.now()
    let rssPeak = d0.rss
    let queuedPeak = d0.storeQueued
    const end = t0 + ph.measureMs
    while (Date.now() < end) {
      await sleep(500)
      const s = await rig.stats()
      rssPeak = Math.max(rssPeak, s.rss)
      queuedPeak = Math.max(queuedPeak, s.storeQueued)
    }
    const d1: ChildStats = await rig.stats()
    const secs = (Date.now() - t0) / 1000
    const simCpu = process.cpuUsage(simCpu0)
    simLoop.disable()
    refill = false
    const p = rig.probe

    console.log(`\n${ph.title}`)
    console.log(
      `burst: ${ph.callers} callers arriving at once were all answered within ${burstMs} ms; daemon CPU ${burstCpuMs.toFixed(0)} ms for it (${((burstCpuMs / ph.callers) * 1000).toFixed(0)} µs per arrival, incl. the offers made meanwhile); ${burstEngine}`,
    )
    console.log(formatSummary('  burst: caller parked → first command (answer)', burstLag))
    console.log(`measured ${secs.toFixed(1)} s (real clock); callers placed in the phase: ${placed}`)
    console.log(
      `calls handled:   ${(p.callerHangups / secs).toFixed(1)} /s completed (connected, talked, ended), ${(p.bridges / secs).toFixed(1)} /s bridged, ${(p.originates.length / secs).toFixed(1)} originates/s`,
    )
    const handledCore = Object.values(d1.handled).reduce((a, b) => a + b, 0)
    console.log(
      `ESL events:      ${(p.eventsToDaemon / secs).toFixed(0)} /s sent to the daemon (its subscription); ${(handledCore / secs).toFixed(0)} core events/s reached the engine`,
    )
    const mix = (m: Iterable<[string, number]>): string =>
      [...m]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 7)
        .map(([k, n]) => `${k} ${(n / secs).toFixed(0)}`)
        .join(', ')
    console.log(`  ESL event mix /s: ${mix(p.eventsByName)}`)
    console.log(`  core event mix /s: ${mix(Object.entries(d1.handled))}`)
    const cpuMs = (d1.cpuUserUs + d1.cpuSystemUs - d0.cpuUserUs - d0.cpuSystemUs) / 1000
    console.log(
      `daemon process:  CPU ${((cpuMs / (secs * 1000)) * 100).toFixed(1)} % of one core (${((cpuMs / Math.max(1, p.eventsToDaemon)) * 1000).toFixed(0)} µs per ESL event), ` +
        `wall time in engine ${((d1.engineMs / (secs * 1000)) * 100).toFixed(1)} % / in store jobs ${((d1.persistMs / (secs * 1000)) * 100).toFixed(1)} %, event-loop utilisation ${(d1.elu * 100).toFixed(0)} %, RSS ${mb(d1.rss)} (peak ${mb(rssPeak)}), heap ${mb(d1.heapUsed)}`,
    )
    const perType = Object.entries(d1.engineByType)
      .sort((a, b) => b[1].ms - a[1].ms)
      .slice(0, 5)
      .map(([k, v]) => `${k} ${((v.ms / (d1.handled[k] ?? 1)) * 1000).toFixed(0)} µs (max ${v.max.toFixed(2)} ms)`)
    console.log(`  engine step, mean by event: ${perType.join(', ')}`)
    console.log(`daemon CPU per completed call: ${(cpuMs / Math.max(1, p.callerHangups)).toFixed(2)} ms`)
    // Whether the store keeps up: a queue that only grows means its writes fall further behind the calls.
    console.log(
      `store (${rig.store}) write queue: ${((d1.storeWritten - d0.storeWritten) / secs).toFixed(0)} jobs/s written; ${d0.storeQueued} queued at the start, ${d1.storeQueued} at the end, peak ${queuedPeak} (sampled every 0.5 s)`,
    )
    // monitorEventLoopDelay's samples include its own 5 ms tick: the lateness is the excess over it.
    const late = (x: number): string => Math.max(0, x - 5).toFixed(2)
    console.log(
      `daemon event-loop lateness (beyond a 5 ms tick): p50 ${late(d1.loopDelay.p50)} ms, p99 ${late(d1.loopDelay.p99)} ms, max ${late(d1.loopDelay.max)} ms`,
    )
    console.log(
      `simulator process (FreeSWITCH stand-in + this harness): CPU ${(((simCpu.user + simCpu.system) / 1000 / (secs * 1000)) * 100).toFixed(1)} % of one core, ` +
        `event-loop lateness p99 ${Math.max(0, simLoop.percentile(99) / 1e6 - 5).toFixed(2)} ms, max ${Math.max(0, simLoop.max / 1e6 - 5).toFixed(2)} ms`,
    )
    console.log('event-processing lag (simulator sent event → daemon command in response arrived at the simulator):')
    for (const [kind, v] of p.lags) console.log(formatSummary(`  ${kind}`, summarize(v)))
  } finally {
    refill = false
    await rig.stop()
  }
}

export default async function (): Promise<void> {
  console.log('koplus under load: real daemon process ↔ FreeSWITCH simulator over TCP 127.0.0.1')
  console.log(hostLine())
  let seed = 1
  for (const ph of PHASES) await runPhase(ph, seed++)
  console.log(`\n${hostLine()} (at the end)`)
}
