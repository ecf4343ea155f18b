/**
 * Issue 13 item 4, recovery: the real daemon (own process) against the FreeSWITCH simulator over TCP on 127.0.0.1,
 * with N live calls — 70 % waiting, 10 % ringing an agent, 20 % talking — killed with SIGKILL and started again on
 * the same database. Prints, for N = 100 and 1,000:
 * - reading FreeSWITCH's channels (`show channels as json` + one `uuid_dump` per channel) over one ESL connection,
 *   one round trip each (as before) and pipelined (src/freeswitch/adapter/pipelined.ts), per 100 and per N calls;
 * - the restart: new ESL connection accepted → the daemon's rebuild done (its first `whenRebuilt`, by its own clock
 *   moved onto ours), and process spawn → rebuild done; also when this process read the daemon's 'ready' (later:
 *   this process runs the simulator, which first carries out the rebuild's commands);
 * - where the daemon's rebuild went (its `lastRebuild`: registrations, ESL fetch, parse, reconcile, and the one
 *   engine step with its commands split into core and commands);
 * - then that every caller is still there (none hung up, the talking still bridged).
 * Bounded: at most 1,000 calls, about a minute in all; everything stops by itself.
 *
 * Run: npm run bench -- recovery        (RECOVERY_SIZES=100,1000 to change)
 */
import { EslClient } from '../src/freeswitch/esl/client.js'
import { readLiveChannels } from '../src/freeswitch/adapter/restore.js'
import type { SimCall } from '../src/simulator/simulator.js'
import { placeCaller } from './helpers/callers.js'
import { agentExtension, BenchRig } from './helpers/rig.js'
import { hostLine } from './helpers/stats.js'

const sizes = (process.env.RECOVERY_SIZES ?? '100,1000').split(',').map(Number)

async function readTimes(
  port: number,
  now: number,
): Promise<{ sequentialMs: number; pipelinedMs: number; calls: number }> {
  const client = new EslClient({
    host: '127.0.0.1',
    port,
    password: 'ClueCon',
    events: [],
    reconnect: false,
    commandTimeoutMs: 60_000,
  })
  await client.connect()
  try {
    let t = performance.now()
    const seq = await readLiveChannels(client, now, undefined, 1)
    const sequentialMs = performance.now() - t
    t = performance.now()
    const pip = await readLiveChannels(client, now)
    const pipelinedMs = performance.now() - t
    if (seq.calls.size !== pip.calls.size) throw new Error(`reads differ: ${seq.calls.size} vs ${pip.calls.size} calls`)
    return { sequentialMs, pipelinedMs, calls: pip.calls.size }
  } finally {
    await client.close()
  }
}

async function runSize(n: number): Promise<void> {
  const talking = Math.round(n * 0.2)
  const ringing = Math.round(n * 0.1)
  const agents = talking + ringing
  // The first `talking` agents answer and talk on; the others never answer within the (long) ring time.
  const rig = await BenchRig.start({ agents, queue: { ringTimeSec: 300 }, phone: { answerAfterMs: 20 } })
  try {
    for (let i = talking; i < agents; i++) rig.sim.endpoint(agentExtension(i), { registered: true, neverAnswer: true })
    const calls: SimCall[] = []
    for (let i = 0; i < n; i++) {
      calls.push(placeCaller(rig))
      // Spread the arrivals a little: 50 at a time.
      if (i % 50 === 49)
        await rig.sim.waitFor(() => calls.every((c) => !!c.variable('koplus_seq')), 30_000, 'callers in the queue')
    }
    await rig.sim.waitFor(() => calls.every((c) => !!c.variable('koplus_seq')), 30_000, 'every caller in the queue')
    await rig.sim.waitFor(
      () => calls.filter((c) => c.state === 'bridged').length === talking,
      30_000,
      `${talking} talking`,
    )
    const ringingLegs = (): number =>
      rig.sim
        .channels()
        .filter(
          (ch) =>
            ch.variables.get('koplus_role') === 'agent' && ch.answerState !== 'answered' && ch.answerState !== 'hangup',
        ).length
    await rig.sim.waitFor(() => ringingLegs() === ringing, 30_000, `${ringing} ringing`)
    const reads = await readTimes(rig.eslPort, Date.now())
    const per100 = (ms: number): string => `${((ms / reads.calls) * 100).toFixed(1)} ms per 100 calls`
    console.log(
      `\n${n} live calls (${n - talking - ringing} waiting, ${ringing} ringing, ${talking} talking), ${rig.sim.channels().length} channels:`,
    )
    console.log(
      `  read FreeSWITCH, one round trip per uuid_dump: ${reads.sequentialMs.toFixed(0)} ms (${per100(reads.sequentialMs)})`,
    )
    console.log(
      `  read FreeSWITCH, pipelined uuid_dumps:        ${reads.pipelinedMs.toFixed(0)} ms (${per100(reads.pipelinedMs)})`,
    )
    const r = await rig.restart()
    console.log(
      `  restart (SIGKILL, new process), by the daemon's clock: ESL connection accepted → rebuild done ${r.connectToDoneMs.toFixed(0)} ms (${per100(r.connectToDoneMs)}); spawn → rebuild done ${r.spawnToDoneMs.toFixed(0)} ms`,
    )
    console.log(
      `  the same as this process read the daemon's 'ready' (it runs the simulator too, busy with the rebuild's commands): ${r.connectToReadyMs.toFixed(0)} ms; spawn → 'ready' ${r.spawnToReadyMs.toFixed(0)} ms`,
    )
    const stats = await rig.stats()
    const rb = stats.rebuild
    if (rb) {
      // The engine's share of the dispatch: center.handle timed in the daemon process (daemon-child.ts).
      const core = (stats.engineByType['calls-restored']?.ms ?? 0) + (stats.engineByType['call-arrived']?.ms ?? 0)
      const phase = (label: string, ms: number): string =>
        `${label} ${ms.toFixed(1)} ms (${((ms / rb.calls) * 100).toFixed(1)} per 100)`
      console.log(
        `  rebuild in the daemon, ${rb.calls} calls of ${rb.channels} channels, ${rb.totalMs.toFixed(0)} ms from 'ready': ` +
          [
            phase('registrations', rb.registrationsMs),
            phase('ESL fetch', rb.fetchMs),
            phase('parse', rb.parseMs),
            phase('reconcile', rb.reconcileMs),
            phase('core', core),
            phase('commands', Math.max(0, rb.dispatchMs - core)),
          ].join(', '),
      )
      console.log(
        `  engine steps at the rebuild: ${Object.entries(stats.handled)
          .filter(([k]) => k === 'calls-restored' || k === 'call-arrived')
          .map(([k, v]) => `${v} ${k}`)
          .join(', ')}`,
      )
    }
    const hungUp = calls.filter((c) => c.state === 'hungup').length
    const bridged = calls.filter((c) => c.state === 'bridged').length
    await rig.sim.waitFor(() => ringingLegs() === ringing, 10_000, 'the lost offers made again').catch(() => undefined)
    console.log(
      `  after: ${hungUp} callers hung up (0 expected), ${bridged} still talking (${talking} expected), ${ringingLegs()} ringing again (${ringing} expected)`,
    )
  } finally {
    await rig.stop()
  }
}

export default async function recoveryBench(): Promise<void> {
  console.log(hostLine())
  for (const n of sizes) await runSize(n)
  console.log(hostLine())
}

if (import.meta.url === `file://${process.argv[1]}`) await recoveryBench()
