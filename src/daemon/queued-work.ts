/**
 * Store work that must see every write the call path queued before it, and whose result the daemon awaits: the
 * reads of a configuration reload and of a rebuild, and the closing of orphan records. `run` queues `fn` as one job of
 * the store's write queue (store.writes, one transaction, in order after the event writes already queued) and
 * resolves with its result once the job has committed; it rejects when the job is given up (not retryable).
 *
 * `fn` must be idempotent: a retry whose first attempt did commit is skipped by the queue (exactly-once), and its
 * result is then lost; it is run once more in a transaction of its own to answer.
 */
import type { Store } from '../store/index.js'

interface Waiting {
  resolve(): void
  reject(err: unknown): void
}

export class QueuedWork {
  readonly #store: Store
  readonly #waiting = new Map<number, Waiting>()
  /** The last sequence number written or given up (jobs finish in order). */
  #done = 0
  readonly #settling: { seq: number; resolve(): void }[] = []

  constructor(store: Store) {
    this.#store = store
    store.writes.on('written', (seq: number) => {
      const w = this.#waiting.get(seq)
      this.#waiting.delete(seq)
      w?.resolve()
      this.#finished(seq)
    })
    store.writes.on('rejected', (seq: number, _label: string, err: unknown) => {
      const w = this.#waiting.get(seq)
      this.#waiting.delete(seq)
      w?.reject(err)
      this.#finished(seq)
    })
  }

  /** Resolves once the job `seq` of the write queue (and so every one before it) is written or given up. */
  settled(seq: number): Promise<void> {
    if (seq <= this.#done) return Promise.resolve()
    return new Promise((resolve) => this.#settling.push({ seq, resolve }))
  }

  #finished(seq: number): void {
    this.#done = Math.max(this.#done, seq)
    for (let i = this.#settling.length - 1; i >= 0; i--) {
      const s = this.#settling[i]
      if (s.seq > this.#done) continue
      this.#settling.splice(i, 1)
      s.resolve()
    }
  }

  /** Run fn on the repositories of one write-queue job; resolves with its result once committed. */
  run<T>(label: string, fn: (s: Store) => Promise<T>): Promise<T> {
    let result: { value: T } | undefined
    return new Promise<T>((resolve, reject) => {
      const seq = this.#store.writes.enqueue(label, async (tx) => {
        result = undefined
        result = { value: await fn(this.#store.within(tx)) }
      })
      this.#waiting.set(seq, {
        resolve: () => {
          if (result) resolve(result.value)
          else this.#store.tx(fn).then(resolve, reject)
        },
        reject,
      })
    })
  }
}
