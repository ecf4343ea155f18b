/**
 * Replies matched to commands. mod_event_socket handles one command at a time per connection
 * and answers each with exactly one command/reply or api/response frame, in order
 * (mod_event_socket.c, listener_run -> parse_command), so replies are matched FIFO.
 *
 * A command that times out keeps its place in the queue (marked abandoned): its late reply is
 * consumed and dropped rather than handed to the next command's caller.
 */
import type { Clock, TimerHandle } from '../../util/clock.js'
import type { EslFrame } from './parser.js'
import { EslTimeoutError } from './errors.js'

interface Waiter {
  /** What to show in errors and logs (never holds the password). */
  label: string
  resolve: (frame: EslFrame) => void
  reject: (err: Error) => void
  timer: TimerHandle | undefined
  abandoned: boolean
}

export class CommandsQueue {
  #waiting: Waiter[] = []
  #head = 0
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Commands sent (or queued for sending) and not yet answered, including abandoned ones. */
  get length(): number {
    return this.#waiting.length - this.#head
  }

  /**
   * Registers the waiter of the next command; call it just before writing the command so the
   * reply can never arrive first. `timeoutMs` <= 0 or undefined means no timeout.
   */
  add(label: string, timeoutMs: number | undefined): Promise<EslFrame> {
    return new Promise<EslFrame>((resolve, reject) => {
      const w: Waiter = { label, resolve, reject, timer: undefined, abandoned: false }
      if (timeoutMs !== undefined && timeoutMs > 0) {
        w.timer = this.#clock.setTimeout(() => {
          w.timer = undefined
          if (w.abandoned) return
          w.abandoned = true
          reject(new EslTimeoutError(label, timeoutMs))
        }, timeoutMs)
      }
      this.#waiting.push(w)
    })
  }

  /**
   * Hands a reply frame to the oldest waiter. Returns false if no command was waiting (an
   * unsolicited reply); returns true also when the oldest waiter had timed out (reply dropped).
   */
  resolveNext(frame: EslFrame): boolean {
    if (this.#head >= this.#waiting.length) return false
    const w = this.#waiting[this.#head]
    this.#waiting[this.#head] = undefined as unknown as Waiter
    this.#head++
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head)
      this.#head = 0
    }
    this.#clock.clearTimeout(w.timer)
    if (!w.abandoned) {
      w.abandoned = true
      w.resolve(frame)
    }
    return true
  }

  /** Rejects every waiting command with `err` (connection lost) and empties the queue. */
  flush(err: Error): void {
    const all = this.#waiting.slice(this.#head)
    this.#waiting = []
    this.#head = 0
    for (const w of all) {
      this.#clock.clearTimeout(w.timer)
      if (!w.abandoned) {
        w.abandoned = true
        w.reject(err)
      }
    }
  }
}
