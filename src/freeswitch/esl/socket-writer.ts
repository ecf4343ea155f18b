/**
 * Writes to a socket respecting backpressure: once `write()` returns false, further data is
 * held here until the socket emits 'drain', so a burst of commands never piles up unbounded
 * in Node's socket buffer.
 *
 * Writes made in one turn of the event loop go out together: they are joined and handed to the socket once, on
 * `process.nextTick` (before any I/O, so no command waits longer than the code that issued it), in the order they
 * were made. A rebuild that sends 3,000 commands in one step then costs a few socket writes instead of 3,000
 * (issue 13, recovery: the per-write system call was a third of carrying out the rebuild's commands).
 */
import type { Socket } from 'node:net'

/** A batch this large (UTF-16 units, about bytes) goes to the socket at once, so backpressure still holds it back. */
const BATCH_LIMIT = 16 * 1024

export class SocketWriter {
  readonly #socket: Socket
  #queue: string[] = []
  #queuedBytes = 0
  #congested = false
  /** Writes of this turn, not yet handed to the socket (flushed on nextTick). */
  #batch: string[] = []
  #batchLength = 0
  #flushScheduled = false

  constructor(socket: Socket) {
    this.#socket = socket
    socket.on('drain', () => this.#onDrain())
  }

  /** True while waiting for 'drain'. */
  get congested(): boolean {
    return this.#congested
  }

  /** Bytes held here while the socket asks us to wait for 'drain' (not yet handed to it). */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  /** Queues `data` behind everything written before; it reaches the socket at the latest on the next tick. */
  write(data: string): void {
    this.#batch.push(data)
    this.#batchLength += data.length
    if (this.#batchLength >= BATCH_LIMIT) return this.flush()
    if (this.#flushScheduled) return
    this.#flushScheduled = true
    process.nextTick(() => {
      this.#flushScheduled = false
      this.flush()
    })
  }

  /** Hands this turn's writes to the socket now (e.g. before `end()`). */
  flush(): void {
    const batch = this.#batch
    if (batch.length === 0) return
    this.#batch = []
    this.#batchLength = 0
    const data = batch.length === 1 ? batch[0] : batch.join('')
    if (this.#congested) {
      this.#queue.push(data)
      this.#queuedBytes += Buffer.byteLength(data)
      return
    }
    if (this.#socket.destroyed) return
    if (!this.#socket.write(data)) this.#congested = true
  }

  /** Flushes, then half-closes the socket (`exit`: FreeSWITCH closes it after its reply). */
  end(): void {
    this.flush()
    this.#socket.end()
  }

  /** Drops anything not yet written (the connection is gone). */
  clear(): void {
    this.#batch = []
    this.#batchLength = 0
    this.#queue = []
    this.#queuedBytes = 0
  }

  #onDrain(): void {
    this.#congested = false
    let i = 0
    while (i < this.#queue.length && !this.#congested) {
      const data = this.#queue[i++]
      this.#queuedBytes -= Buffer.byteLength(data)
      if (!this.#socket.write(data)) this.#congested = true
    }
    this.#queue = i >= this.#queue.length ? [] : this.#queue.slice(i)
  }
}
