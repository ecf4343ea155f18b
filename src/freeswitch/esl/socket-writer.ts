/**
 * Writes to a socket respecting backpressure: once `write()` returns false, further data is
 * held here until the socket emits 'drain', so a burst of commands never piles up unbounded
 * in Node's socket buffer.
 */
import type { Socket } from 'node:net'

export class SocketWriter {
  readonly #socket: Socket
  #queue: string[] = []
  #queuedBytes = 0
  #congested = false

  constructor(socket: Socket) {
    this.#socket = socket
    socket.on('drain', () => this.#onDrain())
  }

  /** True while waiting for 'drain'. */
  get congested(): boolean {
    return this.#congested
  }

  /** Bytes held here (not yet handed to the socket). */
  get queuedBytes(): number {
    return this.#queuedBytes
  }

  write(data: string): void {
    if (this.#congested) {
      this.#queue.push(data)
      this.#queuedBytes += Buffer.byteLength(data)
      return
    }
    if (!this.#socket.write(data)) this.#congested = true
  }

  /** Drops anything not yet written (the connection is gone). */
  clear(): void {
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
