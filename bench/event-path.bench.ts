/**
 * Time to offer on the real event path: the koplus daemon (own process) against the simulator with FreeSWITCH's
 * Event Socket delivery rule on (mod_event_socket.c read_packet: queued events are written only when the listener
 * thread wakes — its 20 ms poll, or a byte from the client; src/simulator/event-delivery.ts).
 *
 * Three runs, the same scenarios:
 *   - koplus with LF wake-ups every 2 ms (the ESL client's default, src/freeswitch/esl/wakeups.ts), rule on;
 *   - koplus without wake-ups, rule on: the 20 ms-poll baseline (what a real FreeSWITCH gives a plain client);
 *   - koplus, rule off (events at once): what the simulator used to report.
 * Figures, times taken on the simulator's side (the switch's) with sub-ms clocks:
 *   1. arrival → agent ring: the caller's CHANNEL_PARK queued → the agent leg's originate received (agents free);
 *   2. caller parks → first audio: CHANNEL_PARK queued → the caller's first PLAYBACK_START (music on hold);
 *   3. agent free → next offer: the agent leg's CHANNEL_HANGUP queued (wrap-up 0, callers waiting) → the next
 *      originate to that agent.
 * Then the cost to FreeSWITCH: LF bytes (= extra listener wake-ups) per second per connection while calls run,
 * and once quiet. Beside them, mod_callcenter's 100 ms dispatch poll as a model (not measured).
 *
 * Run: npm run bench -- event-path   (N=<samples per scenario>, default 200; WAKEUP_MS=<tick> to try another
 * interval than the client's default; ONLY=wake|baseline|reference to run one mode alone)
 */
import { placeCaller } from './helpers/callers.js'
import { BenchRig, sleep } from './helpers/rig.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'

const WARMUP = 20
const N = Number(process.env.N ?? 200)

interface Mode {
  label: string
  eslPollMs: number
  wakeupMs: number
}

const WAKEUP_MS = Number(process.env.WAKEUP_MS ?? 2)
const MODES: Mode[] = [
  {
    label: `koplus, LF wake-ups every ${WAKEUP_MS} ms, FreeSWITCH 20 ms poll rule`,
    eslPollMs: 20,
    wakeupMs: WAKEUP_MS,
  },
  { label: 'baseline: no wake-ups, FreeSWITCH 20 ms poll rule', eslPollMs: 20, wakeupMs: 0 },
  { label: 'reference: simulator without the rule (events at once)', eslPollMs: 0, wakeupMs: 0 },
]

type Row = { label: string; samples: number[] }

async function arrivals(
  mode: Mode,
): Promise<{ rows: Row[]; lfPerSecBusy: number; lfIdle?: { seconds: number; bytes: number } }> {
  // The agent hangs up 60 ms after answering: longer than the 20 ms poll can hold CHANNEL_ANSWER back, else every
  // offer fails (the leg is gone before the bridge) and the caller is re-offered for ever (connect.bench uses 5 ms).
  const rig = await BenchRig.start({
    agents: 2,
    eslPollMs: mode.eslPollMs,
    wakeupMs: mode.wakeupMs,
    phone: { answerAfterMs: 5, hangupAfterMs: 60 },
  })
  try {
    const ring = new Map<string, number>()
    const audio = new Map<string, number>()
    rig.probe.onOriginate = (o) => {
      if (!ring.has(o.callId)) ring.set(o.callId, o.at)
    }
    rig.probe.onEvent = ({ at, ev }) => {
      if (ev.name === 'PLAYBACK_START' && ev.uuid && !audio.has(ev.uuid)) audio.set(ev.uuid, at)
    }
    const measured: string[] = []
    const lf0 = rig.sim.eslStats.clientLfBytes
    const t0 = performance.now()
    for (let i = 0; i < WARMUP + N; i++) {
      const call = placeCaller(rig)
      await call.waitForState('hungup', 5000)
      if (i >= WARMUP) measured.push(call.uuid)
      await sleep(5)
    }
    const busySec = (performance.now() - t0) / 1000
    const lfPerSecBusy = (rig.sim.eslStats.clientLfBytes - lf0) / busySec
    const toRing: number[] = []
    const toAudio: number[] = []
    for (const id of measured) {
      const park = rig.probe.firstPark.get(id)
      const r = ring.get(id)
      const a = audio.get(id)
      if (park === undefined || r === undefined) throw new Error(`call ${id}: no park or no originate seen`)
      toRing.push(r - park)
      if (a !== undefined) toAudio.push(a - park)
    }
    let lfIdle: { seconds: number; bytes: number } | undefined
    if (mode.wakeupMs > 0) {
      // Quiet: no channel up; the tick stops hotMs (10 s) after the last channel event. Count what comes after.
      await sleep(10_500)
      const before = rig.sim.eslStats.clientLfBytes
      await sleep(3000)
      lfIdle = { seconds: 3, bytes: rig.sim.eslStats.clientLfBytes - before }
    }
    return {
      rows: [
        { label: '1. arrival → agent ring', samples: toRing },
        { label: '2. caller parks → first audio', samples: toAudio },
      ],
      lfPerSecBusy,
      lfIdle,
    }
  } finally {
    await rig.stop()
  }
}

async function agentFree(mode: Mode): Promise<Row> {
  const rig = await BenchRig.start({
    agents: 1,
    eslPollMs: mode.eslPollMs,
    wakeupMs: mode.wakeupMs,
    phone: { answerAfterMs: 5, hangupAfterMs: 50 },
  })
  const kind = 'agent hung up → next originate to that agent'
  try {
    const enough = (): boolean => (rig.probe.lags.get(kind)?.length ?? 0) >= WARMUP + N
    const place = (): void => {
      const c = placeCaller(rig)
      void c.waitForState('hungup', 120_000).then(
        () => {
          if (!enough()) place()
        },
        () => undefined,
      )
    }
    for (let i = 0; i < 3; i++) place()
    const end = Date.now() + 120_000
    while (!enough() && Date.now() < end) await sleep(20)
    if (!enough()) throw new Error('timed out before enough agent hang-ups were seen')
    return { label: '3. agent free → next offer', samples: rig.probe.lags.get(kind)!.slice(WARMUP, WARMUP + N) }
  } finally {
    await rig.stop()
  }
}

export default async function (): Promise<void> {
  console.log(
    'koplus event path: daemon process ↔ simulator with FreeSWITCH 1.10’s Event Socket delivery rule (times in ms)',
  )
  console.log(hostLine())
  const only = ['wake', 'baseline', 'reference'].indexOf(process.env.ONLY ?? '')
  for (const mode of only >= 0 ? [MODES[only]] : MODES) {
    console.log(`\n${mode.label}`)
    const a = await arrivals(mode)
    const f = await agentFree(mode)
    for (const r of [...a.rows, f]) console.log(formatSummary(`  ${r.label}`, summarize(r.samples)))
    if (mode.eslPollMs > 0) {
      console.log(
        `  cost: ${a.lfPerSecBusy.toFixed(0)} LF bytes/s (= extra listener wake-ups/s) on the daemon's connection while calls ran`,
      )
      if (a.lfIdle)
        console.log(
          `        ${a.lfIdle.bytes} LF bytes in ${a.lfIdle.seconds} s once quiet (no channel up, no channel event for 10 s)`,
        )
    }
  }
  // mod_callcenter.c cc_agent_dispatch_thread_run: one SELECT pass then switch_yield(100000): a waiting member meets
  // a free agent on the next 100 ms pass, U(0, 100 ms), before its originate; FreeSWITCH's own 20 ms poll on top
  // only for what reaches an ESL client. A model, not a measurement.
  const u = (p: number): string => (p * 100).toFixed(2).padStart(8)
  console.log(
    '\nReference — MODEL of mod_callcenter (not measured): agent free → ring waits for its 100 ms dispatch poll',
  )
  console.log(
    `${'  mod_callcenter 100 ms poll, U(0, 100 ms)'.padEnd(52)} n=  model  median${u(0.5)}  p90${u(0.9)}  p99${u(0.99)}  max${u(1)} ms`,
  )
  console.log('  (issue 13, real FreeSWITCH 1.10.12: mod_callcenter park → agent leg median 59 ms, p90 102 ms)')
  console.log(`\n${hostLine()} (at the end)`)
}
