/** Reconnect delays: capped exponential back-off with jitter. */

export interface BackoffOptions {
  /** First delay, ms (default 250). */
  initialMs?: number
  /** Cap, ms (default 10000). */
  maxMs?: number
  /** Growth per attempt (default 2). */
  factor?: number
  /** Relative jitter, 0..1: the delay is scaled by a random factor in [1-jitter, 1+jitter] (default 0.2). */
  jitter?: number
}

const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, maxMs: 10_000, factor: 2, jitter: 0.2 }

/**
 * The delay before reconnect attempt `attempt` (1-based): min(maxMs, initialMs * factor^(attempt-1)),
 * then jittered by ±jitter. `random` returns a number in [0, 1).
 */
export function backoffDelay(attempt: number, opts: BackoffOptions = {}, random: () => number = Math.random): number {
  const o = { ...DEFAULT_BACKOFF, ...opts }
  const base = Math.min(o.maxMs, o.initialMs * Math.pow(o.factor, Math.max(0, attempt - 1)))
  const j = Math.min(1, Math.max(0, o.jitter))
  return Math.max(0, Math.round(base * (1 - j + 2 * j * random())))
}
