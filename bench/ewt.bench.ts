/**
 * Wait-estimate accuracy on simulated busy days (bench/sim/ewt-day.ts): our
 * WaitEstimator against the estimate Asterisk's app_queue would announce for the same callers
 * at the same moments (on entry when no agent is free, then every 60 s while queued), scored
 * against the wait that actually remained when the caller was answered.
 *
 * Scenario A: five seeded days, arrivals ×1.2 the default profile, dedicated agents.
 * Scenario B: five seeded days, agents shared with other queues (25 % of the time an agent
 * coming free first takes another queue's call), arrivals scaled to a similar load.
 *
 * Run: npx tsc -p tsconfig.json && node dist/bench/run.js ewt
 */
import {
  accuracy,
  simulateDay,
  type Accuracy,
  type DaySimulationOptions,
  type ScoredAnnouncement,
} from './sim/ewt-day.js'
import { roundWaitMinutes } from '../src/core/speech/phrases.js'

/** What the caller hears, back in seconds: "less than a minute" counts as 30 s. */
function asHeard(seconds: number | undefined): number | undefined {
  if (seconds === undefined) return undefined
  const r = roundWaitMinutes(seconds)
  return r === 'less-than-a-minute' ? 30 : r === 'more-than-cap' ? seconds : r * 60
}

const fmt = (a: Accuracy) =>
  `MAE ${a.maeS.toFixed(1).padStart(5)} s   within ±60 s ${(100 * a.within60).toFixed(1).padStart(5)} %   ` +
  `bias ${a.biasS >= 0 ? '+' : ''}${a.biasS.toFixed(1)} s   (n=${a.n})`

function scenario(title: string, seeds: number[], opts: DaySimulationOptions): void {
  const t0 = performance.now()
  const all: ScoredAnnouncement[] = []
  let calls = 0
  let answered = 0
  let abandoned = 0
  let immediate = 0
  let unscored = 0
  let waitSum = 0
  for (const seed of seeds) {
    const r = simulateDay({ ...opts, seed })
    all.push(...r.announcements)
    calls += r.calls
    answered += r.answered
    abandoned += r.abandoned
    immediate += r.immediate
    unscored += r.unscoredAnnouncements
    waitSum += r.meanWaitS * r.answered
  }
  const ms = performance.now() - t0
  const spoke = all.filter((a) => a.ours !== undefined)
  const entry = spoke.filter((a) => a.entry)
  console.log(`\n--- ${title} ---`)
  console.log(
    `${seeds.length} days: ${calls} calls, ${answered} answered (${immediate} without queueing), ` +
      `${abandoned} abandoned; mean wait of answered ${(waitSum / answered).toFixed(0)} s`,
  )
  console.log(
    `announcements scored (caller later answered): ${all.length}; ours silent (no basis yet) on ` +
      `${all.length - spoke.length}; announcements to callers who abandoned (unscored): ${unscored}`,
  )
  console.log('all announcements where ours spoke (entry + every 60 s):')
  console.log(`  ours                            ${fmt(accuracy(spoke, (a) => a.ours))}`)
  console.log(`  Asterisk max(0, holdtime−waited) ${fmt(accuracy(spoke, (a) => a.asterisk))}`)
  console.log(`  Asterisk |holdtime−waited| as coded ${fmt(accuracy(spoke, (a) => a.asteriskAbs))}`)
  console.log(`  ours as heard (rounded phrase) ${fmt(accuracy(spoke, (a) => asHeard(a.ours)))}`)
  console.log('on entry only:')
  console.log(`  ours                            ${fmt(accuracy(entry, (a) => a.ours))}`)
  console.log(`  Asterisk max(0, holdtime−waited) ${fmt(accuracy(entry, (a) => a.asterisk))}`)
  console.log(`run time ${ms.toFixed(0)} ms`)
}

export default async function (): Promise<void> {
  const seeds = [1, 2, 3, 4, 5]
  scenario('A: busy day, dedicated agents', seeds, { arrivalScale: 1.2 })
  scenario('B: busy day, agents shared with other queues (25 %)', seeds, { arrivalScale: 0.9, otherQueueShare: 0.25 })
}
