/**
 * Handling a burst of ESL frames in slices, the event loop turning between them.
 *
 * mod_event_socket sends a listener's queued events when its thread wakes (read_packet in mod_event_socket.c: a
 * 20 ms poll, or a byte from the client), so under load they arrive in bursts: ~120 events in one read at 200
 * arrivals/s. Handled in one go, a burst held the daemon's event loop for several milliseconds: timers (ring
 * timeouts, prompts), the store's writes and HTTP requests waited behind it (issue 13, event-loop lateness).
 *
 * Frames are handled in order, always; a slice ends once it has run `sliceMs` and the rest waits for the next turn
 * of the loop (setImmediate: after the I/O and before the timers of the next round). While frames wait, reading is
 * held (`onHold`: the client pauses the socket) for those few milliseconds: the kernel's receive buffer keeps what
 * FreeSWITCH sends meanwhile and the next read takes it in one piece. Reading on between slices made many small
 * reads, each a 64 KB buffer that lives until the collector frees its Buffer, and glibc's heap grew from 19 to
 * 57 MB at 2,000 waiting callers (bench/scale-daemon, "RSS, where"). Frames read by a read already done queue
 * behind the rest.
 */
import { performance } from 'node:perf_hooks'
import type { EslFrame } from './parser.js'

let defaultSlice = 1

/**
 * The slice of clients created without their own `sliceMs` (default 1 ms). For benchmarks comparing settings (the
 * daemon creates its clients itself), like setDefaultWakeups.
 */
export function setDefaultSliceMs(ms: number): void {
  defaultSlice = Math.max(0, ms)
}

/** The slice a client without its own `sliceMs` uses. */
export function defaultSliceMs(): number {
  return defaultSlice
}

/** Handles one frame; false stops the slices (the connection is gone) and drops what is left. */
export type FrameHandler = (frame: EslFrame) => boolean

const NONE: EslFrame[] = []

export class FrameSlices {
  readonly #handle: FrameHandler
  readonly #sliceMs: number
  readonly #now: () => number
  readonly #onHold: ((held: boolean) => void) | undefined
  #held = false
  #queue: EslFrame[] = NONE
  #at = 0
  #scheduled = false

  /**
   * sliceMs 0: every burst is handled at once (no slicing). `now`: a monotonic ms clock (tests pass their own).
   * `onHold(true)` when frames are left for a later turn, `onHold(false)` once none are (to pause reading between).
   */
  constructor(
    handle: FrameHandler,
    sliceMs: number,
    opts: { now?: () => number; onHold?: (held: boolean) => void } = {},
  ) {
    this.#handle = handle
    this.#sliceMs = sliceMs
    this.#now = opts.now ?? (() => performance.now())
    this.#onHold = opts.onHold
  }

  /** Frames not handled yet. */
  get pending(): number {
    return this.#queue.length - this.#at
  }

  /** The frames of one read, in order: handled now, or after those still waiting. */
  push(frames: EslFrame[]): void {
    if (frames.length === 0) return
    if (this.pending > 0) {
      for (const f of frames) this.#queue.push(f)
      return
    }
    this.#queue = frames
    this.#at = 0
    this.#run(this.#sliceMs)
  }

  /** Handles everything still waiting, now (e.g. frames read before the socket closed). */
  drain(): void {
    this.#run(0)
  }

  /** Drops everything still waiting. */
  clear(): void {
    this.#queue = NONE
    this.#at = 0
    this.#hold(false)
  }

  #hold(held: boolean): void {
    if (this.#held === held) return
    this.#held = held
    this.#onHold?.(held)
  }

  #run(sliceMs: number): void {
    const q = this.#queue
    const start = sliceMs > 0 ? this.#now() : 0
    while (this.#at < q.length) {
      if (!this.#handle(q[this.#at++])) {
        this.clear()
        return
      }
      if (sliceMs > 0 && this.#at < q.length && this.#now() - start >= sliceMs) {
        this.#hold(true)
        if (!this.#scheduled) {
          this.#scheduled = true
          setImmediate(() => {
            this.#scheduled = false
            this.#run(this.#sliceMs)
          })
        }
        return
      }
    }
    if (this.#queue === q) this.clear()
  }
}
