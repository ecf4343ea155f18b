/**
 * Estimated wait time (Q5) for one queue. Pure and clock-injected: every method takes the
 * time (ms since the epoch) from the caller; nothing reads a clock or sets a timer.
 *
 * ## Model
 * A caller at position p (1-based) is answered when enough agents have become free for
 * every caller ahead of them who stays, and then for them:
 *
 *     k = p − idleAgents                                  (callers to clear, itself included)
 *     stage j = k−1 … 0 (j callers still ahead): exponential at rate μ + j·α (+ α, see below)
 *     wait ≈ median(Σ stages) + ringTime                       (just ringTime when k ≤ 0)
 *
 * i.e. the queue ahead shrinks by agent releases (rate μ) and by callers ahead hanging up
 * (rate α each); the caller's own turn needs one more release (Erlang-A style). The estimate
 * is for a caller who stays until answered (which is whom it is announced to and scored
 * against): conditioning on the caller's own patience outlasting the wait adds α to every
 * stage's rate. The median of the sum is announced, not its mean, since the median minimises
 * the absolute error and the sum is right-skewed (gamma approximation).
 *
 * - `μ` = servingAgents × per-agent service rate. The per-agent rate is the observed one —
 *   service starts per serving-agent-second in the window, counted only while every serving
 *   agent was busy and callers waited (see recordState/recordServiceStart) — shrunk toward
 *   1 / (mean handle time: ring + talk + wrap-up) in the window, which weighs as 10 starts.
 *   With agents dedicated to the queue both agree; with agents who also serve other queues
 *   the observed rate is the lower, true one. Serving agents are the ones logged in and not
 *   paused *now*, so a change of staffing is reflected at once, not after a window of history.
 * - `α` = abandonment rate per waiting caller: abandons in the window divided by the time
 *   callers who left the queue in the window spent waiting (the maximum-likelihood rate for
 *   exponential patience). Callers ahead who hang up do not take an agent.
 * - `ringTime` = mean time from offering a call to its answer in the window.
 * - `idleAgents` = servingAgents − busyAgents (0 when busyAgents is not given).
 *
 * No basis → `undefined`: no serving agents, or no handle-time history at all.
 *
 * Compared with Asterisk's app_queue (one number per queue, holdtime := (3·old + new)/4 on each
 * answered call, announced as holdtime − time already waited — apps/app_queue.c
 * recalc_holdtime and say_position), this uses the caller's position and the current
 * staffing; bench/ewt.bench.ts measures the difference.
 */

import { Samples } from './samples.js'
import { stageSums } from './stage-sums.js'

/** Weight of the handle-time prior in the per-agent service rate, in pseudo service starts. */
const PRIOR_STARTS = 10

export interface WaitEstimatorOptions {
  /** Sliding window for handle times, service rate, abandonment rate and ring time (default 30 min). */
  windowMs?: number
  /**
   * Minimum samples for a windowed statistic; with fewer, the most recent `minSamples` ones
   * are used whatever their age (default 5).
   */
  minSamples?: number
  /** Samples kept per statistic whatever the window (bounds memory; default 2000). */
  maxSamples?: number
}

/** What an estimate was based on, for logs and `koplus stats ewt`. */
interface EstimateBasis {
  /** Mean handle time (talk + wrap-up) used, ms; undefined without history. */
  handleMs: number | undefined
  handleSamples: number
  /** Observed service starts per serving-agent-second while callers were queued, or undefined. */
  observedPerAgentRate: number | undefined
  /** Abandonment rate per waiting caller, per second (0 without history). */
  abandonRate: number
  /** Mean offer-to-answer time, ms (0 without history). */
  ringMs: number
}

export class WaitEstimator {
  readonly windowMs: number
  readonly minSamples: number
  readonly #handle: Samples
  readonly #ring: Samples
  readonly #served: Samples
  readonly #abandoned: Samples
  /** Service starts that happened while callers were queued behind the one served. */
  readonly #backloggedStarts: Samples
  /** Serving-agent-seconds spent with callers queued: one sample per interval, value = agent·ms. */
  readonly #backloggedAgentMs: Samples
  #staffing: { at: number; serving: number; busy: number; queued: number } | undefined
  /** Bumped by every record*; basis and rate are cached per (instant, version): an engine step estimates every
   * waiting caller at one instant, and each would otherwise rescan every sample in the window. */
  #version = 0
  #cache: { now: number; version: number; basis: EstimateBasis; rate?: number } | undefined

  constructor(opts: WaitEstimatorOptions = {}) {
    this.windowMs = opts.windowMs ?? 30 * 60_000
    this.minSamples = Math.max(1, opts.minSamples ?? 5)
    const max = opts.maxSamples ?? 2000
    this.#handle = new Samples(max)
    this.#ring = new Samples(max)
    this.#served = new Samples(max)
    this.#abandoned = new Samples(max)
    this.#backloggedStarts = new Samples(max)
    this.#backloggedAgentMs = new Samples(max * 4)
  }

  /**
   * The queue's staffing and length changed (or just: this is how it is at `at`). Call it
   * whenever an agent logs in/out, pauses, becomes busy or free, or a caller joins or
   * leaves; it lets the estimator measure the service rate per serving agent.
   */
  recordState(at: number, servingAgents: number, busyAgents: number, queuedCallers: number): void {
    this.#version++
    const prev = this.#staffing
    if (prev && at > prev.at && prev.queued > 0 && prev.busy >= prev.serving && prev.serving > 0) {
      // Every serving agent was busy and callers waited: agent time here is pure service capacity.
      this.#backloggedAgentMs.add(at, prev.serving * (at - prev.at))
    }
    this.#staffing = { at, serving: servingAgents, busy: busyAgents, queued: queuedCallers }
  }

  /**
   * A queued caller was offered to an agent (left the queue for an agent). `backlogged`: all
   * serving agents were busy just before (the start follows an agent coming free while callers
   * waited), so it measures how fast agents come free. Ignored unless recordState is in use.
   */
  recordServiceStart(at: number, backlogged = false): void {
    this.#version++
    // Only meaningful beside the agent time recordState accumulates.
    if (backlogged && this.#staffing !== undefined) this.#backloggedStarts.add(at, 1)
  }

  /** A caller was answered after waiting `waitedMs` in the queue; `ringMs`: offer-to-answer time. */
  recordAnswered(at: number, waitedMs: number, ringMs?: number): void {
    this.#version++
    this.#served.add(at, waitedMs)
    if (ringMs !== undefined && ringMs >= 0) this.#ring.add(at, ringMs)
  }

  /** An agent finished a call of this queue: `handleMs` = talk time + wrap-up time. */
  recordHandled(at: number, handleMs: number): void {
    this.#version++
    if (handleMs > 0) this.#handle.add(at, handleMs)
  }

  /** A caller hung up while waiting, after `waitedMs`. */
  recordAbandoned(at: number, waitedMs: number): void {
    this.#version++
    this.#abandoned.add(at, waitedMs)
  }

  /** The statistics an estimate at `now` is based on. */
  basis(now: number): EstimateBasis {
    const c = this.#cache
    if (c && c.now === now && c.version === this.#version) return c.basis
    const basis = this.#computeBasis(now)
    this.#cache = { now, version: this.#version, basis }
    return basis
  }

  #computeBasis(now: number): EstimateBasis {
    const since = now - this.windowMs
    const handle = this.#handle.recent(since, this.minSamples)
    const handleMs = handle.n ? handle.sum / handle.n : undefined
    const served = this.#served.recent(since, 0)
    const abandoned = this.#abandoned.recent(since, 0)
    const waitedMs = served.sum + abandoned.sum
    // Needs a few abandons before it counts: one early hang-up must not shrink every queue.
    const abandonRate = abandoned.n >= 2 && waitedMs > 0 ? abandoned.n / (waitedMs / 1000) : 0
    const ring = this.#ring.recent(since, this.minSamples)
    const ringMs = ring.n ? ring.sum / ring.n : 0
    let observedPerAgentRate: number | undefined
    const starts = this.#backloggedStarts.countSince(since)
    const agentMs = this.#backloggedAgentMs.recent(since, 0).sum
    if (starts >= this.minSamples && agentMs > 0) observedPerAgentRate = starts / (agentMs / 1000)
    return { handleMs, handleSamples: handle.n, observedPerAgentRate, abandonRate, ringMs }
  }

  /**
   * Service rate per serving agent, per second: the observed rate while every agent was busy
   * (starts / agent-seconds), shrunk toward 1 / handle time with PRIOR_STARTS pseudo-starts
   * (a gamma-prior posterior mean). With agents dedicated to this queue the two agree; with
   * agents shared between queues the observed rate is lower, and wins as evidence grows.
   */
  #perAgentRate(handleMs: number, now: number): number {
    const c = this.#cache
    if (c && c.now === now && c.version === this.#version && c.rate !== undefined) return c.rate
    const rate = this.#computePerAgentRate(handleMs, now)
    if (c && c.now === now && c.version === this.#version) c.rate = rate
    return rate
  }

  #computePerAgentRate(handleMs: number, now: number): number {
    const since = now - this.windowMs
    const starts = this.#backloggedStarts.countSince(since)
    const agentS = this.#backloggedAgentMs.recent(since, 0).sum / 1000
    return (starts + PRIOR_STARTS) / (agentS + (PRIOR_STARTS * handleMs) / 1000)
  }

  /**
   * Estimated seconds until the caller at `position` (1-based) is answered, or `undefined`
   * when there is no basis (no serving agents, or no handle-time history).
   *
   * @param servingAgents agents logged in to the queue and not paused (busy or not)
   * @param busyAgents    of those, agents on a call, being offered one, or in wrap-up
   */
  estimate(position: number, servingAgents: number, busyAgents: number | undefined, now: number): number | undefined {
    if (!(position >= 1) || !(servingAgents > 0)) return undefined
    const b = this.basis(now)
    if (b.handleMs === undefined) return undefined
    const idle = busyAgents === undefined ? 0 : Math.max(0, servingAgents - busyAgents)
    const ringS = b.ringMs / 1000
    const k = Math.ceil(position - idle)
    if (k <= 0) return ringS
    const perAgentRate = this.#perAgentRate(b.handleMs, now)
    const mu = servingAgents * perAgentRate
    const alpha = b.abandonRate
    // Stage j (j callers still ahead) ends at rate μ + j·α; the caller's own stage at rate μ.
    // Conditioning on the caller staying until answered (patience at rate α) tilts every
    // exponential stage by e^(−α·t), which adds α to its rate.
    // Σ over the k stages in constant time (stage-sums.ts): the estimate costs the same at position 10,000 as at 1.
    const { mean, variance } = stageSums(k, mu, alpha)
    // Announce the median rather than the mean (a sum of exponentials is right-skewed; the
    // median minimises the absolute error): gamma approximation median ≈ mean − var / (3·mean).
    const median = mean - variance / (3 * mean)
    return median + ringS
  }
}
