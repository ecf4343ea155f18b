/**
 * When a connection's queued events reach the socket: mod_event_socket's delivery rule, or at once.
 *
 * FreeSWITCH 1.10, mod_event_socket.c `read_packet` (the listener thread's loop):
 *  - events are only queued by the event handler (`switch_queue_trypush(l->event_queue, ...)`); they are written
 *    by the listener thread inside `read_packet`, in the branch `if (!*mbuf)`: only while no partial command is
 *    buffered;
 *  - each pass reads one byte with a non-blocking recv; with nothing to do it sleeps in
 *    `switch_poll(listener->pollfd, 1, &fdr, 20000)`: 20 ms, ended early by any byte from the client (an event
 *    being queued does not end it);
 *  - a `\r` or `\n` at the start of a command is read and dropped without a reply ("bah"), and the next pass,
 *    with an empty buffer, flushes the queue;
 *  - `api` commands run inline in that thread (no events go out meanwhile); after a command's reply
 *    `read_packet` is entered again and flushes the queue first.
 * Modelled here: the poll cycle restarts at every wake (a byte, a command done, a poll timeout); an event queued
 * while idle goes out at the next multiple of `pollMs` after the last wake, or as soon as the client sends a byte.
 * No timer runs while nothing is queued.
 */
import type { Clock, TimerHandle } from '../util/clock.js'

export class EventDelivery {
  /** The poll timeout (FreeSWITCH: 20 ms); 0 writes every event at once. */
  readonly pollMs: number
  readonly #clock: Clock
  readonly #write: (b: Buffer) => void
  /** Whether the listener thread could flush now (false while a command is partial or being run). */
  readonly #canFlush: () => boolean
  #queue: Buffer[] = []
  #lastWake: number
  #timer: TimerHandle | undefined
  #closed = false
  /** Listener wake-ups: poll timeouts that found events, and client bytes (diagnostics for benches). */
  wakes = 0

  constructor(clock: Clock, pollMs: number, write: (b: Buffer) => void, canFlush: () => boolean) {
    this.#clock = clock
    this.pollMs = Math.max(0, pollMs)
    this.#write = write
    this.#canFlush = canFlush
    this.#lastWake = clock.now()
  }

  /** Events waiting for the listener thread. */
  get queued(): number {
    return this.#queue.length
  }

  /** An event for this connection. */
  push(frame: Buffer): void {
    if (this.#closed) return
    if (this.pollMs === 0) {
      this.#write(frame)
      return
    }
    this.#queue.push(frame)
    this.#armPoll()
  }

  /**
   * The listener thread is awake with an empty command buffer (a byte arrived and was consumed, or a command was
   * answered): queued events go out now and the 20 ms poll starts over.
   */
  wake(): void {
    if (this.#closed || this.pollMs === 0) return
    this.wakes++
    this.#lastWake = this.#clock.now()
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#flush()
  }

  close(): void {
    this.#closed = true
    this.#queue = []
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  #flush(): void {
    if (!this.#canFlush() || this.#queue.length === 0) return
    const q = this.#queue
    this.#queue = []
    for (const f of q) this.#write(f)
  }

  /** The end of the poll the thread is sleeping in: the next multiple of pollMs after the last wake. */
  #armPoll(): void {
    if (this.#timer !== undefined) return
    const now = this.#clock.now()
    const cycles = Math.max(1, Math.ceil((now - this.#lastWake) / this.pollMs))
    const at = this.#lastWake + cycles * this.pollMs
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      this.#lastWake = at
      if (!this.#canFlush()) return // a command is partial or running: its end flushes (see wake())
      this.wakes++
      this.#flush()
    }, at - now)
  }
}
