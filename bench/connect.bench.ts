/**
 * Connect latency, end to end: the real koplus daemon (own process, ./helpers/daemon-child.ts) against the
 * FreeSWITCH simulator over TCP on 127.0.0.1. All times are taken at the simulator, i.e. on the switch's side of
 * the Event Socket, plus the daemon's engine-step instants for the breakdown.
 *
 * 1. Arrival → ring, agents free: from the caller's CHANNEL_PARK being written by the simulator to the agent
 *    leg's `originate` arriving at the simulator. The queue has no welcome or first message, so the engine
 *    answers, enters the caller in the queue and offers in ONE step (CallCenter#callArrived → #enterQueue →
 *    #dispatch); "queue entry → ring" is measured from the start of that engine step. The originate is the 6th
 *    ESL command the step sends (answer, playback moh, 3× uuid_setvar, bgapi originate), and the simulator
 *    handles commands in order, so the figure includes the switch's handling of the five before it.
 * 2. Agent free → ring, a caller waiting: (a) the agent hangs up (wrap-up 0): from the agent leg's CHANNEL_HANGUP
 *    being sent to the next originate; (b) wrap-up 1 s: from the scheduled wrap-up end (and from the timer
 *    actually firing) to the next originate.
 * Beside 2, the mod_callcenter polling model (not a measurement).
 *
 * Run: npx tsc -p tsconfig.json --outDir /tmp/koplus-bench-dist && node /tmp/koplus-bench-dist/bench/run.js connect
 * (from the repository root; the out dir needs node_modules and a {"type":"module"} package.json beside it, see
 * bench/helpers/README.md).
 */
import type { OfferProbe } from './helpers/daemon-child.js'
import { placeCaller } from './helpers/callers.js'
import { BenchRig, sleep } from './helpers/rig.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'

const WARMUP = 20
const N_ARRIVAL = Number(process.env.N ?? 300)
const N_HANGUP = Number(process.env.N ?? 300)
const N_WRAPUP = 80

/** Samples of several named series. */
class Series {
  readonly data = new Map<string, number[]>()
  add(name: string, v: number): void {
    let a = this.data.get(name)
    if (!a) this.data.set(name, (a = []))
    a.push(v)
  }
  print(digits = 2): void {
    for (const [name, v] of this.data) console.log(formatSummary(name, summarize(v), digits))
  }
}

/** 1. One caller at a time to a free agent. */
async function arrivalToRing(): Promise<void> {
  const rig = await BenchRig.start({ agents: 2, phone: { answerAfterMs: 5, hangupAfterMs: 5 } })
  const s = new Series()
  try {
    const byCall = new Map<string, number>()
    rig.probe.onOriginate = (o) => {
      if (!byCall.has(o.callId)) byCall.set(o.callId, o.at)
    }
    const measured: string[] = []
    for (let i = 0; i < WARMUP + N_ARRIVAL; i++) {
      const call = placeCaller(rig)
      await call.waitForState('hungup', 5000)
      if (i >= WARMUP) measured.push(call.uuid)
      await sleep(5)
    }
    const probes = new Map<string, OfferProbe>()
    for (const p of await rig.offerProbes())
      if (p.event === 'call-arrived' && !probes.has(p.callId)) probes.set(p.callId, p)
    let negative = 0
    for (const id of measured) {
      const park = rig.probe.firstPark.get(id)
      const ring = byCall.get(id)
      if (park === undefined || ring === undefined) throw new Error(`call ${id}: no park or no originate seen`)
      s.add('arrival → ring (CHANNEL_PARK sent → originate in)', ring - park)
      const p = probes.get(id)
      if (!p) throw new Error(`call ${id}: the engine step that offered it was not seen`)
      s.add('queue entry → ring (engine step start → originate in)', ring - p.start)
      s.add('  breakdown: CHANNEL_PARK sent → engine step start', p.start - park)
      s.add('  breakdown: engine step (answer+enter+offer)', p.end - p.start)
      if (p.afterSync !== undefined) {
        s.add('  breakdown: engine step end → commands carried out', p.afterSync - p.end)
        if (p.persistMs !== undefined) s.add('    of which store writes (queued: 0)', p.persistMs)
        s.add('  breakdown: commands carried out → originate in', ring - p.afterSync)
      }
      if (p.start < park) negative++
    }
    console.log(
      `\n1. Arrival → first agent ringing (agents free; no welcome / first message; ${N_ARRIVAL} callers one at a time after ${WARMUP} warm-up)`,
    )
    s.print()
    console.log(
      `   (daemon-process clock offset corrected: ${rig.clockOffsetMs.toFixed(3)} ms ± ${rig.clockErrorMs.toFixed(3)} ms; ` +
        `${negative} of ${measured.length} steps appear to start before their park was sent, i.e. within that error)`,
    )
  } finally {
    await rig.stop()
  }
}

/**
 * Keeps `waiting` callers in the queue: each caller who ends is replaced. Resolves when `done()` says so or after
 * `maxMs`.
 */
async function keepQueueFed(rig: BenchRig, waiting: number, done: () => boolean, maxMs: number): Promise<void> {
  const place = (): void => {
    const c = placeCaller(rig)
    void c.waitForState('hungup', maxMs + 10_000).then(
      () => {
        if (!done()) place()
      },
      () => undefined,
    )
  }
  for (let i = 0; i < waiting; i++) place()
  const end = Date.now() + maxMs
  while (!done() && Date.now() < end) await sleep(20)
  if (!done()) throw new Error('timed out before enough samples were collected')
  // Callers still in line are left to the rig's stop() (the simulator's close).
}

/** 2a. The agent hangs up (wrap-up 0) while callers wait. */
async function hangupToRing(): Promise<void> {
  const rig = await BenchRig.start({ agents: 1, phone: { answerAfterMs: 5, hangupAfterMs: 50 } })
  const s = new Series()
  try {
    await keepQueueFed(
      rig,
      3,
      () => (rig.probe.lags.get('agent hung up → next originate to that agent')?.length ?? 0) >= WARMUP + N_HANGUP,
      60_000,
    )
    const samples = rig.probe.lags.get('agent hung up → next originate to that agent')!.slice(WARMUP, WARMUP + N_HANGUP)
    for (const v of samples) s.add('agent hang-up → next ring (CHANNEL_HANGUP sent → originate in)', v)
    // Breakdown from the daemon's engine steps that offered after a leg-hungup.
    const probes = (await rig.offerProbes()).filter((p) => p.event === 'leg-hungup')
    const origByCall = new Map(rig.probe.originates.map((o) => [o.callId, o.at]))
    for (const p of probes.slice(WARMUP, WARMUP + N_HANGUP)) {
      const ring = origByCall.get(p.callId)
      if (ring !== undefined) s.add('  breakdown: engine step start → originate in', ring - p.start)
    }
    console.log(
      `\n2a. Agent hangs up (wrap-up 0), a caller waiting → next agent ringing (1 agent, ${N_HANGUP} hang-ups after ${WARMUP} warm-up)`,
    )
    s.print()
  } finally {
    await rig.stop()
  }
}

/** 2b. Wrap-up of 1 s ends while callers wait (8 agents, so the 1 s cycles overlap and samples come faster). */
async function wrapUpToRing(): Promise<void> {
  const agents = 8
  const warm = 8
  const rig = await BenchRig.start({ agents, queue: { wrapUpSec: 1 }, phone: { answerAfterMs: 5, hangupAfterMs: 100 } })
  const s = new Series()
  try {
    // The first `agents` originates are arrivals to free agents; every later one follows a wrap-up end.
    await keepQueueFed(rig, agents + 4, () => rig.probe.originates.length >= agents + warm + N_WRAPUP, 60_000)
    const ring = new Map(rig.probe.originates.map((o) => [o.callId, o.at]))
    const all = await rig.offerProbes()
    const failed = all.filter((p) => p.event !== 'timer:wrapup' && p.event !== 'call-arrived').length
    if (failed) console.log(`   (${failed} offers were re-made after a failed leg; not counted)`)
    const probes = all.filter((p) => p.event === 'timer:wrapup').slice(warm, warm + N_WRAPUP)
    for (const p of probes) {
      const at = ring.get(p.callId)
      if (at === undefined || p.scheduledAt === undefined) continue
      s.add('scheduled wrap-up end → ring (originate in)', at - p.scheduledAt)
      s.add('wrap-up timer fired (engine step start) → ring', at - p.start)
      s.add('  breakdown: timer lateness (step start − scheduled)', p.start - p.scheduledAt)
    }
    console.log(
      `\n2b. Wrap-up (1 s) ends, a caller waiting → next agent ringing (${agents} agents, ${N_WRAPUP} wrap-ups after ${warm} warm-up)`,
    )
    s.print()
  } finally {
    await rig.stop()
  }
}

/** What mod_callcenter's dispatch loop implies for "agent free → ring" (a model, not a measurement). */
function modCallcenterModel(): void {
  // mod_callcenter.c cc_agent_dispatch_thread_run: `while (globals.running == 1) { SELECT … FROM members …;
  // switch_yield(100000); }` — a waiting member is matched to a free agent only on the next 100 ms pass.
  // If the agent becomes free at a uniformly random instant, the wait is U(0, 100) ms.
  const u = (p: number): number => p * 100
  console.log(
    '\nReference — MODEL of mod_callcenter (not measured): agent free → ring waits for the next pass of the 100 ms',
  )
  console.log(
    'dispatch loop (mod_callcenter.c cc_agent_dispatch_thread_run, switch_yield(100000)); wait ~ U(0, 100 ms), plus',
  )
  console.log('its own SQL + originate time, which this model leaves out:')
  console.log(
    `${'mod_callcenter polling model U(0,100 ms)'.padEnd(52)} n=  model  median${u(0.5).toFixed(2).padStart(8)}  p90${u(0.9).toFixed(2).padStart(8)}  p99${u(0.99).toFixed(2).padStart(8)}  max${u(1).toFixed(2).padStart(8)} ms`,
  )
  console.log(
    'Note (model, from the same source): its agent query requires `last_bridge_end < (now_epoch_seconds - wrap_up_time)`,',
  )
  console.log(
    'whole seconds, so after a hang-up an agent is eligible only once the epoch second has moved past the hang-up second',
  )
  console.log('plus wrap_up_time: a further U(0, 1 s) on top of the polling, even with wrap_up_time = 0.')
}

export default async function (): Promise<void> {
  console.log('koplus connect latency: real daemon process ↔ FreeSWITCH simulator over TCP 127.0.0.1 (times in ms)')
  console.log(hostLine())
  console.log(`store: ${process.env.BENCH_STORE === 'postgres' ? 'PostgreSQL (BENCH_STORE=postgres)' : 'SQLite'}`)
  await arrivalToRing()
  await hangupToRing()
  await wrapUpToRing()
  modCallcenterModel()
  console.log(`\n${hostLine()} (at the end)`)
}
