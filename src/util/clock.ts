/**
 * One clock abstraction for the whole daemon, so that the core, the simulator and the
 * timers can run on virtual time in tests and benchmarks (days of traffic in seconds).
 */
export interface TimerHandle {
  readonly id: number
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number
  setTimeout(fn: () => void, ms: number): TimerHandle
  clearTimeout(handle: TimerHandle | undefined): void
}

/** Wall-clock time and Node's timers. */
export class RealClock implements Clock {
  #seq = 0
  #timers = new Map<number, NodeJS.Timeout>()
  now(): number {
    return Date.now()
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq
    const t = setTimeout(
      () => {
        this.#timers.delete(id)
        fn()
      },
      Math.max(0, ms),
    )
    t.unref?.()
    this.#timers.set(id, t)
    return { id }
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return
    const t = this.#timers.get(handle.id)
    if (t) clearTimeout(t)
    this.#timers.delete(handle.id)
  }
}

/** How many timers may fire at one virtual instant before VirtualClock.runUntil takes it for an endless loop. */
const MAX_FIRINGS_AT_ONE_INSTANT = 100_000

interface Pending {
  id: number
  at: number
  seq: number
  fn: () => void
}

/**
 * Virtual time: nothing happens until advance()/runUntil() is called. Timers fire in
 * order of due time, then of creation; a timer set while advancing fires in the same
 * advance if it falls due inside the window.
 */
export class VirtualClock implements Clock {
  #now: number
  #seq = 0
  #pending: Pending[] = []
  constructor(start = Date.UTC(2026, 10, 25, 8, 0, 0)) {
    this.#now = start
  }
  now(): number {
    return this.#now
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq
    this.#pending.push({ id, at: this.#now + Math.max(0, ms), seq: id, fn })
    return { id }
  }
  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return
    this.#pending = this.#pending.filter((p) => p.id !== handle.id)
  }
  /** Number of timers not yet fired. */
  get pendingCount(): number {
    return this.#pending.length
  }
  /** Time of the next due timer, or undefined. */
  nextDue(): number | undefined {
    let min: number | undefined
    for (const p of this.#pending) if (min === undefined || p.at < min) min = p.at
    return min
  }
  /** Move time forward by ms, firing every timer that falls due on the way. */
  advance(ms: number): void {
    this.runUntil(this.#now + ms)
  }
  /**
   * Move time forward to `t`, firing due timers in order. Throws after MAX_FIRINGS_AT_ONE_INSTANT timers fired
   * without time moving: a timer that re-arms itself for "now" would otherwise spin here for ever (on real time
   * the clock moves on and ends such a loop; on virtual time nothing does).
   */
  runUntil(t: number): void {
    let sameInstant = 0
    for (;;) {
      let next: Pending | undefined
      for (const p of this.#pending) {
        if (p.at <= t && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p
      }
      if (!next) break
      this.#pending = this.#pending.filter((p) => p !== next)
      sameInstant = next.at > this.#now ? 0 : sameInstant + 1
      if (sameInstant > MAX_FIRINGS_AT_ONE_INSTANT)
        throw new Error(
          `VirtualClock: ${sameInstant} timers fired at ${new Date(this.#now).toISOString()} without time moving (a timer re-arming itself for now?)`,
        )
      this.#now = Math.max(this.#now, next.at)
      next.fn()
    }
    this.#now = Math.max(this.#now, t)
  }
}
