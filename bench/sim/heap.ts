/**
 * The event queue of the simulated days (engine-day.ts, ewt-day.ts): a binary min-heap ordered by time, then by
 * the order of insertion, so that events at the same instant run in the order they were scheduled.
 */
export interface Timed {
  at: number
  seq: number
}

export class MinHeap<T extends Timed> {
  readonly #a: T[] = []

  get size(): number {
    return this.#a.length
  }

  /** The first item, left in place. */
  peek(): T | undefined {
    return this.#a[0]
  }

  push(x: T): void {
    const a = this.#a
    a.push(x)
    let i = a.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (before(a[p], a[i])) break
      ;[a[p], a[i]] = [a[i], a[p]]
      i = p
    }
  }

  pop(): T | undefined {
    const a = this.#a
    if (a.length === 0) return undefined
    const top = a[0]
    const last = a.pop()!
    if (a.length > 0) {
      a[0] = last
      let i = 0
      for (;;) {
        const l = 2 * i + 1
        const r = l + 1
        let m = i
        if (l < a.length && before(a[l], a[m])) m = l
        if (r < a.length && before(a[r], a[m])) m = r
        if (m === i) break
        ;[a[m], a[i]] = [a[i], a[m]]
        i = m
      }
    }
    return top
  }
}

function before(x: Timed, y: Timed): boolean {
  return x.at < y.at || (x.at === y.at && x.seq < y.seq)
}
