/**
 * Calls under a login flood (issue 9, abuse): the real daemon process (./helpers/daemon-child.ts, with its HTTP API)
 * against the FreeSWITCH simulator over TCP 127.0.0.1, callers placed one at a time, first with no other load and
 * then while a flood of logins with wrong passwords and ever new usernames hits the daemon's API:
 *
 *  A. unloaded;
 *  B. a flood from one address (the per-address limit answers most of it with 429, before any hashing);
 *  C. a flood from a new address for every login (X-Forwarded-For from the bench process, which the daemon trusts
 *     as its proxy here): the worst case, every login within the per-address limits, so only the cap on concurrent
 *     hashing stands between the flood and the CPU.
 *
 * Per phase: arrival → first command (the caller's CHANNEL_PARK sent by the simulator → the daemon's first command
 * on that channel, its answer) and arrival → ring (→ the agent leg's originate), median / p90 / p99 / max, and what
 * the flood got (logins answered 401 = hashed, 429 = refused before hashing). The aim (issue 9): under the flood,
 * arrival → first command stays within 2× its unloaded value.
 *
 * The flood runs in a process of its own at the lowest CPU priority (./helpers/login-flooder.ts): in the
 * simulator's process it would slow the simulator and be measured as the daemon's delay.
 *
 * Options (environment): N=<callers per phase> (default 150), FLOOD=<concurrent flooding clients> (default 20).
 * Run: sh bench/helpers/build.sh && node /tmp/koplus-bench-dist/bench/run.js login-flood
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { placeCaller } from './helpers/callers.js'
import type { FlooderSettings } from './helpers/login-flooder.js'
import { BenchRig, sleep } from './helpers/rig.js'
import { formatSummary, hostLine, summarize } from './helpers/stats.js'

const N = Number(process.env.N ?? 150)
const WARMUP = 10
const FLOOD = Number(process.env.FLOOD ?? 20)

interface Flood {
  stop(): Promise<{ sent: number; byStatus: Record<number, number>; ms: number }>
}

/** Start the flooder process (./helpers/login-flooder.ts) at the lowest CPU priority; resolves once it runs. */
async function flood(apiUrl: string, clients: number, newAddressEach: boolean): Promise<Flood> {
  const settings: FlooderSettings = { apiUrl, clients, newAddressEach }
  const script = fileURLToPath(new URL('./helpers/login-flooder.js', import.meta.url))
  const child = spawn('nice', ['-n', '19', process.execPath, script, JSON.stringify(settings)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject)
    child.once('exit', (code) => reject(new Error(`the flooder exited (${code})`)))
    child.on('message', (m: { type: string }) => {
      if (m.type === 'started') resolve()
    })
  })
  return {
    stop: () =>
      new Promise((resolve) => {
        child.on('message', (m: { type: string; sent: number; byStatus: Record<number, number>; ms: number }) => {
          if (m.type === 'result') resolve(m)
        })
        child.removeAllListeners('exit')
        child.send({ type: 'stop' })
      }),
  }
}

/** N callers one at a time; arrival → first command and → ring per caller. */
async function callers(rig: BenchRig): Promise<{ first: number[]; ring: number[]; missed: number }> {
  const ringAt = new Map<string, number>()
  rig.probe.onOriginate = (o) => {
    if (!ringAt.has(o.callId)) ringAt.set(o.callId, o.at)
  }
  rig.probe.lags.delete('caller parked → first command (answer)')
  const ids: string[] = []
  let missed = 0
  for (let i = 0; i < WARMUP + N; i++) {
    const call = placeCaller(rig)
    try {
      await call.waitForState('hungup', 20_000)
    } catch {
      missed++ // not answered, rung and ended within 20 s: counted apart, the run goes on
      call.hangup()
    }
    if (i >= WARMUP) ids.push(call.uuid)
    await sleep(5)
  }
  const first = (rig.probe.lags.get('caller parked → first command (answer)') ?? []).slice(WARMUP)
  const ring: number[] = []
  for (const id of ids) {
    const park = rig.probe.firstPark.get(id)
    const at = ringAt.get(id)
    if (park !== undefined && at !== undefined) ring.push(at - park)
  }
  return { first, ring, missed }
}

export default async function (): Promise<void> {
  console.log(
    'koplus calls under a login flood: real daemon process with its API ↔ FreeSWITCH simulator over TCP 127.0.0.1 (ms)',
  )
  console.log(hostLine())
  const rig = await BenchRig.start({
    agents: 2,
    phone: { answerAfterMs: 5, hangupAfterMs: 5 },
    api: { clientAddressHeader: 'x-forwarded-for' },
  })
  try {
    const apiUrl = rig.apiUrl!
    const results: { name: string; first: number[]; ring: number[]; missed: number; flood?: string }[] = []

    const a = await callers(rig)
    results.push({ name: 'A. unloaded', ...a })

    for (const [name, each] of [
      ['B. flood from one address', false],
      ['C. flood, a new address per login', true],
    ] as const) {
      const f = await flood(apiUrl, FLOOD, each)
      await sleep(300) // the flood is in full swing before the first caller
      const r = await callers(rig)
      const { sent, byStatus, ms } = await f.stop()
      const counts = Object.entries(byStatus)
        .map(([s, n]) => `${s === '0' ? 'failed' : s}: ${n}`)
        .join(', ')
      results.push({
        name,
        ...r,
        flood: `${FLOOD} clients, ${sent} logins in ${(ms / 1000).toFixed(1)} s (${Math.round((sent * 1000) / ms)}/s; ${counts})`,
      })
      await sleep(500)
    }

    const base = summarize(results[0].first)
    for (const r of results) {
      console.log(
        `\n${r.name}${r.flood ? ` — ${r.flood}` : ''} (${N} callers one at a time${r.missed ? `; ${r.missed} not through within 20 s` : ''})`,
      )
      const s = summarize(r.first)
      console.log(formatSummary('arrival → first command (park sent → answer in)', s))
      console.log(formatSummary('arrival → ring (park sent → originate in)', summarize(r.ring)))
      if (r !== results[0])
        console.log(
          `   median arrival → first command: ${(s.median / base.median).toFixed(2)}× unloaded; p90 ${(s.p90 / base.p90).toFixed(2)}× (aim: within 2×)`,
        )
    }
    const stats = await rig.stats()
    console.log(
      `\ndaemon event loop over the whole run: delay p50 ${stats.loopDelay.p50.toFixed(1)} ms, p99 ${stats.loopDelay.p99.toFixed(1)} ms, max ${stats.loopDelay.max.toFixed(1)} ms`,
    )
  } finally {
    await rig.stop()
  }
  console.log(`${hostLine()} (at the end)`)
}
