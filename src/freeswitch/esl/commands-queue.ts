/**
 * Replies matched to commands. mod_event_socket handles one command at a time per connection
 * and answers each with exactly one command/reply or api/response frame, in order
 * (mod_event_socket.c, listener_run -> parse_command), so replies are matched FIFO.
 *
 * A command that times out keeps its place in the queue (marked abandoned): its late reply is
 * consumed and dropped rather than handed to the next command's caller.
 *
 * One timer for the whole queue, armed at the earliest deadline, not one per command: at thousands of commands a
 * second a timer each (closure, Node Timeout, the clock's bookkeeping) was a good part of what every command left
 * for the collector, and most of it outlived a scavenge while the reply was on its way (issue 13).
 */
import type { Clock, TimerHandle } from '../../util/clock.js'
import type { EslFrame } from './parser.js'
import { EslTimeoutError } from './errors.js'

interface Waiter {
  /** What to show in errors and logs (never holds the password). */
  label: string
  resolve: (frame: EslFrame) => void
  reject: (err: Error) => void
  /** Clock ms after which it is rejected (Infinity: no timeout), and the timeout it came from (for the error). */
  deadline: number
  timeoutMs: number
  abandoned: boolean
}

export class CommandsQueue {
  #waiting: Waiter[] = []
  #head = 0
  readonly #clock: Clock
  /** The one timer, and the deadline it is armed for (Infinity: none). */
  #timer: TimerHandle | undefined
  #timerAt = Infinity

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
      const limited = timeoutMs !== undefined && timeoutMs > 0
      const deadline = limited ? this.#clock.now() + timeoutMs : Infinity
      this.#waiting.push({ label, resolve, reject, deadline, timeoutMs: limited ? timeoutMs : 0, abandoned: false })
      if (deadline < this.#timerAt) this.#arm(deadline)
    })
  }

  #arm(at: number): void {
    this.#clock.clearTimeout(this.#timer)
    this.#timerAt = at
    this.#timer = this.#clock.setTimeout(() => this.#expire(), at - this.#clock.now())
  }

  /** Rejects every waiter past its deadline and arms the timer for the next one. */
  #expire(): void {
    this.#timer = undefined
    this.#timerAt = Infinity
    const now = this.#clock.now()
    let next = Infinity
    for (let i = this.#head; i < this.#waiting.length; i++) {
      const w = this.#waiting[i]
      if (w.abandoned) continue
      if (w.deadline <= now) {
        w.abandoned = true
        w.reject(new EslTimeoutError(w.label, w.timeoutMs))
      } else if (w.deadline < next) next = w.deadline
    }
    if (next < Infinity) this.#arm(next)
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
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
    this.#timerAt = Infinity
    for (const w of all) {
      if (!w.abandoned) {
        w.abandoned = true
        w.reject(err)
      }
    }
  }
}
