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
    const t = setTimeout(() => {
      this.#timers.delete(id)
      fn()
    }, Math.max(0, ms))
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
  /** Move time forward to `t`, firing due timers in order. */
  runUntil(t: number): void {
    for (;;) {
      let next: Pending | undefined
      for (const p of this.#pending) {
        if (p.at <= t && (!next || p.at < next.at || (p.at === next.at && p.seq < next.seq))) next = p
      }
      if (!next) break
      this.#pending = this.#pending.filter((p) => p !== next)
      this.#now = Math.max(this.#now, next.at)
      next.fn()
    }
    this.#now = Math.max(this.#now, t)
  }
}
