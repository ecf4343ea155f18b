/**
 * A day of a busy call centre through the pure core on virtual time: 20 agents, 5 queues (longest-idle,
 * ring-parallel, skills), 10,000 calls in 10 hours, with no-answers, busy agents, mobile confirmations,
 * abandonments, pauses, logouts and unregistrations. Prints events/s through CallCenter.handle and the wall time.
 */
import { runDay } from './sim/engine-day.js'

export default async function coreBench(): Promise<void> {
  const started = performance.now()
  const r = runDay({
    seed: 2026,
    queues: 5,
    agents: 20,
    calls: 10_000,
    dayMs: 10 * 3600_000,
    queuesPerAgent: 2,
    mobileShare: 0.2,
    voicemailProb: 0.2,
    busyProb: 0.03,
    noAnswerProb: 0.05,
    patienceMeanSec: 300,
    talkMeanSec: 40,
    agentActionMeanSec: 120,
    settings: {
      periodicPrompt: 'queue-periodic',
      periodicIntervalSec: 45,
      announcePosition: true,
      positionIntervalSec: 60,
      announceWait: true,
    },
  })
  const wallMs = performance.now() - started
  const perSec = (n: number, ms: number): string => Math.round((n / ms) * 1000).toLocaleString('en')
  console.log(
    `simulated ${(r.simulatedMs / 3600_000).toFixed(1)} h: ${r.arrived} calls, ${r.answered} answered, ${r.abandoned} abandoned`,
  )
  console.log(`${r.events.toLocaleString('en')} events → ${r.commands.toLocaleString('en')} commands`)
  console.log(`engine: ${r.engineMs.toFixed(0)} ms in handle() = ${perSec(r.events, r.engineMs)} events/s`)
  console.log(`wall time (engine + simulated world): ${wallMs.toFixed(0)} ms = ${perSec(r.events, wallMs)} events/s`)
}

// Run directly: node dist/bench/core.bench.js
if (import.meta.url === `file://${process.argv[1]}`) await coreBench()
