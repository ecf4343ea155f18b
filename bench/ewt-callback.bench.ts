/**
 * The wait-estimate bench with callers choosing callback (issue 14): simulated busy days of one queue through the
 * pure engine (bench/sim/callback-day.ts) where 0 %, 20 % or 40 % of the callers press the callback key when it is
 * offered after the position message. Prints, per share:
 * - offers out of queue order (a later caller rung before an earlier one, callbacks included): the place is kept
 *   when this is 0;
 * - the accuracy of the estimates announced to the callers on hold (they count the virtual callers ahead of them);
 * - the accuracy of the time promised to callback callers ("we expect to call you in …") against request →
 *   connection.
 *
 * Run: npm run bench -- ewt-callback   (or `npm run bench -- ewt` with the estimator bench)
 */
import { simulateCallbackDay, type Scored } from './sim/callback-day.js'

function score(xs: Scored[]): string {
  if (xs.length === 0) return 'n=0'
  const err = xs.map((x) => x.estimateS - x.actualS)
  const mae = err.reduce((s, e) => s + Math.abs(e), 0) / err.length
  const bias = err.reduce((s, e) => s + e, 0) / err.length
  const within = err.filter((e) => Math.abs(e) <= 60).length / err.length
  return `MAE ${mae.toFixed(1).padStart(6)} s   within ±60 s ${(100 * within).toFixed(1).padStart(5)} %   bias ${bias >= 0 ? '+' : ''}${bias.toFixed(1)} s   (n=${xs.length})`
}

export default async function (): Promise<void> {
  const seeds = [1, 2, 3]
  for (const share of [0, 0.2, 0.4]) {
    const t0 = performance.now()
    let calls = 0
    let callbacks = 0
    let connected = 0
    let outOfOrder = 0
    const onHold: Scored[] = []
    const promised: Scored[] = []
    for (const seed of seeds) {
      const r = simulateCallbackDay({ seed, callbackShare: share, agents: 8, calls: 600, talkMeanSec: 300 })
      calls += r.calls
      callbacks += r.callbacks
      connected += r.connected
      outOfOrder += r.outOfOrder
      onHold.push(...r.onHold)
      promised.push(...r.promised)
    }
    console.log(
      `\n--- ${Math.round(share * 100)} % of callers choose callback (${seeds.length} days, 8 agents, 600 calls/day, talk 300 s) ---`,
    )
    console.log(
      `${calls} calls, ${callbacks} callbacks, ${connected} connected; offers out of queue order: ${outOfOrder}`,
    )
    console.log(`  estimates to callers on hold     ${score(onHold)}`)
    console.log(`  time promised to callbacks       ${score(promised)}`)
    console.log(`run time ${(performance.now() - t0).toFixed(0)} ms`)
  }
}
