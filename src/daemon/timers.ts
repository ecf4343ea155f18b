/**
 * The core's named timers (`set-timer` / `clear-timer` commands) on the daemon's Clock. Setting a timer id again
 * replaces it; a fired timer is forgotten before its callback runs, so the callback may set it again.
 */
import type { Clock, TimerHandle } from '../util/clock.js'

/**
 * The longest delay Node's setTimeout takes (2^31 - 1 ms, ~24.8 days): a longer one fires after 1 ms with a
 * TimeoutOverflowWarning (Node docs, timers: "When delay is larger than 2147483647 … the delay will be set to 1").
 * A timer further away is armed for this long and re-armed for the rest — a join time a year ahead once made a
 * timer fire and re-arm every millisecond (issue 9).
 */
const MAX_TIMER_DELAY_MS = 2_147_483_647

export class TimerTable {
  readonly #clock: Clock
  readonly #fire: (id: string) => void
  readonly #timers = new Map<string, TimerHandle>()

  /** @param fire called with the timer id when it falls due (the daemon turns it into a `timer` core event) */
  constructor(clock: Clock, fire: (id: string) => void) {
    this.#clock = clock
    this.#fire = fire
  }

  /**
   * Arms timer `id` for the instant `at` (epoch ms); a time in the past fires on the next turn. It fires at `at` or
   * later by the clock, never before: Node's setTimeout may call back up to ~1 ms before Date.now() reaches the
   * instant (its timers run on a monotonic millisecond clock; about 1 in 10 timers here), and the core decides on
   * `now` (e.g. "has this caller waited the skills widening time?"), so an early timer is re-armed for the rest.
   */
  set(id: string, at: number): void {
    this.clear(id)
    this.#arm(id, at)
  }

  #arm(id: string, at: number): void {
    const handle = this.#clock.setTimeout(
      () => {
        if (this.#timers.get(id) !== handle) return
        if (this.#clock.now() < at) {
          this.#arm(id, at)
          return
        }
        this.#timers.delete(id)
        this.#fire(id)
      },
      Math.min(MAX_TIMER_DELAY_MS, Math.max(0, at - this.#clock.now())),
    )
    this.#timers.set(id, handle)
  }

  clear(id: string): void {
    const h = this.#timers.get(id)
    if (h) this.#clock.clearTimeout(h)
    this.#timers.delete(id)
  }

  /** Cancels every timer (shutdown). */
  clearAll(): void {
    for (const h of this.#timers.values()) this.#clock.clearTimeout(h)
    this.#timers.clear()
  }

  get size(): number {
    return this.#timers.size
  }
}
