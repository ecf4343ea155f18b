/**
 * Wake-ups for FreeSWITCH's Event Socket listener thread.
 *
 * mod_event_socket (1.10, mod_event_socket.c read_packet) sends the events queued for a listener only when its
 * thread runs: idle, it sleeps in `switch_poll(listener->pollfd, 1, &fdr, 20000)` on the client's socket, so an
 * event waits 0–20 ms before it is even written, unless a byte from the client ends the poll early. A lone LF is
 * read and thrown away without a reply (`if (*mbuf == '\r' || *mbuf == '\n') { /* bah *\/ ... continue; }`), and
 * the next pass, finding no partial command, flushes the event queue. So the client can cut the wait by writing
 * `\n` now and then.
 *
 * Policy (SwitchWaker):
 *  - while calls are live — a channel seen in an event and not yet hung up, or any channel event in the last
 *    `hotMs` — one LF every `intervalMs` (default 2 ms): an unsolicited event (a caller parks, an agent hangs up)
 *    then waits U(0, 2 ms) instead of U(0, 20 ms);
 *  - a command written counts as a wake-up (its bytes end the poll, and FreeSWITCH flushes its queue right after
 *    the reply), so the tick is skipped when a command went out within the interval;
 *  - quiet (no live channel, no channel event for `hotMs`): no timer and no byte at all; FreeSWITCH's own 20 ms
 *    poll is back, and the first event of a new call waits up to 20 ms.
 * Cost to FreeSWITCH per connection: at most 1000 / intervalMs bytes and extra listener wake-ups per second while
 * hot (250/s at 4 ms, beside the 50/s of its own idle polling), none when quiet.
 */
import type { Clock, TimerHandle } from '../../util/clock.js'

export interface WakeupOptions {
  /** Interval of the LF tick while calls are live, ms (default 2; 0 turns wake-ups off). */
  intervalMs?: number
  /** How long the tick goes on after the last channel event when no channel is known to be up, ms (default 10000). */
  hotMs?: number
}

let defaults: WakeupOptions = {}

/**
 * The wake-up options of clients created without `wakeups` (e.g. the daemon's, built inside startDaemon). For
 * benches that compare with and without wake-ups in a daemon process; applications pass `wakeups` instead.
 */
export function setDefaultWakeups(opts: WakeupOptions): void {
  defaults = { ...opts }
}

/** The options a client without its own `wakeups` uses. */
export function defaultWakeups(): WakeupOptions {
  return defaults
}

/** Events that show a channel up, and events that show it gone. */
const UP = new Set([
  'CHANNEL_CREATE',
  'CHANNEL_PARK',
  'CHANNEL_ANSWER',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_BRIDGE',
  'CHANNEL_ORIGINATE',
  'CHANNEL_OUTGOING',
])
const GONE = new Set(['CHANNEL_HANGUP', 'CHANNEL_HANGUP_COMPLETE', 'CHANNEL_DESTROY'])

/** Channels remembered at most (a safety bound: the set is cleared on every reconnection anyway). */
const MAX_LIVE = 100_000

export class SwitchWaker {
  readonly intervalMs: number
  readonly hotMs: number
  readonly #clock: Clock
  readonly #write: () => boolean
  readonly #live = new Set<string>()
  #timer: TimerHandle | undefined
  #lastWriteAt = -Infinity
  #lastActivityAt = -Infinity
  #running = false
  #sent = 0

  /** `write` sends one LF and returns false when it could not (not connected, or the socket is congested). */
  constructor(clock: Clock, opts: WakeupOptions, write: () => boolean) {
    this.#clock = clock
    this.intervalMs = Math.max(0, opts.intervalMs ?? 2)
    this.hotMs = Math.max(0, opts.hotMs ?? 10_000)
    this.#write = write
  }

  /** LF bytes written so far. */
  get sent(): number {
    return this.#sent
  }

  /** Channels currently believed up. */
  get liveChannels(): number {
    return this.#live.size
  }

  /** True while the tick runs. */
  get ticking(): boolean {
    return this.#timer !== undefined
  }

  /** The connection is ready: ticks may start. */
  start(): void {
    this.#running = true
    if (this.#hot()) this.#arm(this.intervalMs)
  }

  /** The connection is gone: no more ticks; what was live is unknown until events say so again. */
  stop(): void {
    this.#running = false
    this.#live.clear()
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /**
   * A command went out: its bytes woke FreeSWITCH as a LF would. A command of the owner's (`active`, not the
   * client's own idle probe) also means calls are being handled: it keeps the tick going like a channel event.
   */
  wroteCommand(active = true): void {
    const now = this.#clock.now()
    this.#lastWriteAt = now
    if (!active) return
    this.#lastActivityAt = now
    if (this.#running && this.intervalMs > 0 && this.#timer === undefined) this.#arm(this.intervalMs)
  }

  /** An event arrived; channel events keep the tick going (see the policy above). */
  onEvent(name: string, uuid: string | undefined): void {
    if (uuid === undefined) return
    // Only events of a channel that is up add it: events that follow a hang-up (EXECUTE_COMPLETE, UNBRIDGE,
    // HANGUP_COMPLETE, DESTROY…) must not bring a dead channel back.
    if (GONE.has(name)) this.#live.delete(uuid)
    else if (UP.has(name) && this.#live.size < MAX_LIVE) this.#live.add(uuid)
    this.#lastActivityAt = this.#clock.now()
    if (this.#running && this.intervalMs > 0 && this.#timer === undefined) this.#arm(this.intervalMs)
  }

  #hot(): boolean {
    return this.intervalMs > 0 && (this.#live.size > 0 || this.#clock.now() - this.#lastActivityAt < this.hotMs)
  }

  #arm(delayMs: number): void {
    this.#clock.clearTimeout(this.#timer)
    this.#timer = this.#clock.setTimeout(() => this.#tick(), Math.max(1, delayMs))
  }

  #tick(): void {
    this.#timer = undefined
    if (!this.#running || !this.#hot()) return
    const now = this.#clock.now()
    const since = now - this.#lastWriteAt
    if (since >= this.intervalMs) {
      if (this.#write()) {
        this.#sent++
        this.#lastWriteAt = now
      }
      this.#arm(this.intervalMs)
    } else {
      this.#arm(this.intervalMs - since)
    }
  }
}
