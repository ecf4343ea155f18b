/**
 * The waiting line of a queue without passes over it (issue 13: 10,000 callers waiting): a caller's place by binary
 * search on `seq` (the line is kept in seq order, insertInLine), and the longest-waiting caller's `joinedAt` from
 * a min-heap beside the line (the head of the line is not always the one waiting longest: a callback moved ahead
 * keeps its own joinedAt, callback.ts moveCallback).
 */
import type { CallerRt } from './engine-state.js'

/** 0-based index of `caller` in `line` (sorted by seq), -1 when it is not in it. O(log n). */
export function lineIndexOf(line: readonly CallerRt[], caller: CallerRt): number {
  let lo = 0
  let hi = line.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (line[mid].seq < caller.seq) lo = mid + 1
    else hi = mid
  }
  for (let i = lo; i < line.length && line[i].seq === caller.seq; i++) if (line[i] === caller) return i
  return -1
}

interface Entry {
  joinedAt: number
  caller: CallerRt
}

/**
 * The smallest joinedAt among the callers in a line. Entries of callers who left stay in the heap until they reach
 * its top (lazy deletion); the heap is rebuilt when they outnumber the callers in line.
 */
export class OldestInLine {
  #heap: Entry[] = []
  readonly #current = new Map<CallerRt, Entry>()

  get size(): number {
    return this.#current.size
  }

  add(caller: CallerRt): void {
    const e: Entry = { joinedAt: caller.joinedAt, caller }
    this.#current.set(caller, e)
    this.#push(e)
  }

  remove(caller: CallerRt): void {
    this.#current.delete(caller)
    if (this.#heap.length > 2 * this.#current.size + 32) {
      this.#heap = []
      for (const e of this.#current.values()) this.#push(e)
    }
  }

  /** The smallest joinedAt in line, undefined when the line is empty. */
  oldest(): number | undefined {
    const h = this.#heap
    while (h.length && this.#current.get(h[0].caller) !== h[0]) this.#pop()
    return h.length ? h[0].joinedAt : undefined
  }

  #push(e: Entry): void {
    const h = this.#heap
    h.push(e)
    let i = h.length - 1
    while (i > 0) {
      const p = (i - 1) >> 1
      if (h[p].joinedAt <= h[i].joinedAt) break
      ;[h[p], h[i]] = [h[i], h[p]]
      i = p
    }
  }

  #pop(): void {
    const h = this.#heap
    const last = h.pop()!
    if (h.length === 0) return
    h[0] = last
    let i = 0
    for (;;) {
      const l = 2 * i + 1
      const r = l + 1
      let m = i
      if (l < h.length && h[l].joinedAt < h[m].joinedAt) m = l
      if (r < h.length && h[r].joinedAt < h[m].joinedAt) m = r
      if (m === i) return
      ;[h[m], h[i]] = [h[i], h[m]]
      i = m
    }
  }
}
