/**
 * Tracks `sendmsg call-command: execute` requests until the application really ends.
 *
 * We send our own `Event-UUID`; FreeSWITCH stores it as the channel's app_uuid and every
 * CHANNEL_EXECUTE / CHANNEL_EXECUTE_COMPLETE of that execution carries it as `Application-UUID`
 * (inbound-sendmsg). With a `loops` header FreeSWITCH runs the application in a loop
 * (switch_ivr.c, switch_ivr_parse_event), firing one CHANNEL_EXECUTE / EXECUTE_COMPLETE pair per
 * round with the same Application-UUID (inbound-moh-break: rounds 1, 2, 3 of `loops: -1`). The
 * loop stops after `loops` rounds, when the channel is no longer ready, when CF_STOP_BROADCAST
 * was set (uuid_break / uuid_break all while the sendmsg runs) or when a round took < 500 ms.
 * No event marks the end of the loop itself, so a round's EXECUTE_COMPLETE is taken as final when:
 *  - the execution has no loops (or loops = 1), or current_loop >= total_loops;
 *  - the round's PLAYBACK_STOP said `Playback-Status: break` and no DTMF arrived in the round
 *    (a uuid_break: inbound-moh-break round 3, inbound-sip-caller, inbound-real-sip-agent;
 *    a DTMF terminator also gives `break` but does not end the loop);
 *  - the round lasted clearly under 500 ms by Event-Date-Timestamp (< 460 ms, as the
 *    timestamps move in 20 ms steps).
 * Otherwise it is held as "possibly final" and settled by the next event on that channel that
 * is not the next round's CHANNEL_EXECUTE (e.g. the next application, a park, a hang-up).
 */
import type { Clock, TimerHandle } from '../../util/clock.js'
import type { EslEvent } from './event.js'
import { EslChannelGoneError, EslTimeoutError } from './errors.js'

/** What an execute() settles with: the application's response and its last EXECUTE_COMPLETE. */
export interface ExecutionResult {
  response: string
  event?: EslEvent
}

/**
 * Called once when an execution ends: with its result, or with the error that ended it (the channel hung up, the
 * connection was lost, the sendmsg failed, the timeout).
 */
export type ExecutionDone = (err: Error | undefined, result?: ExecutionResult) => void

interface Execution {
  channel: string
  appUuid: string
  loops: number
  done: ExecutionDone
  timer: TimerHandle | undefined
  /** Event-Date-Timestamp (µs) of the current round's CHANNEL_EXECUTE. */
  roundStart: number | undefined
  roundBreak: boolean
  roundDtmf: boolean
  /** An EXECUTE_COMPLETE that ends the execution unless another round starts. */
  possiblyFinal: EslEvent | undefined
}

const SHORT_ROUND_US = 460_000

/**
 * Calls an execution's `done` in a microtask, as a promise's handlers run: after the listeners of the event that
 * ended it (the adapter reads a CHANNEL_EXECUTE_COMPLETE itself before it learns its prompt finished).
 */
function finish(ex: Execution, err: Error | undefined, result?: ExecutionResult): void {
  queueMicrotask(() => ex.done(err, result))
}

function timestamp(ev: EslEvent): number | undefined {
  const v = ev.get('Event-Date-Timestamp')
  const n = v === undefined ? NaN : Number(v)
  return Number.isFinite(n) ? n : undefined
}

export class ExecutionTracker {
  /**
   * Executions by channel UUID, in the order they were sent: the execution itself while it is the only one on its
   * channel (hold music on a waiting caller, nearly always), an array from the second. An array per channel was
   * ~200 bytes of heap per waiting caller (bench/scale-daemon heap snapshots, issue 13).
   */
  #byChannel = new Map<string, Execution | Execution[]>()
  readonly #clock: Clock

  constructor(clock: Clock) {
    this.#clock = clock
  }

  /** Number of executions not yet settled. */
  get size(): number {
    let n = 0
    for (const l of this.#byChannel.values()) n += Array.isArray(l) ? l.length : 1
    return n
  }

  /**
   * Registers an execution before its sendmsg is written. `loops` as sent (1 if none);
   * `timeoutMs` > 0 rejects with EslTimeoutError if it has not ended by then.
   */
  register(
    channel: string,
    appUuid: string,
    loops: number,
    label: string,
    timeoutMs?: number,
  ): Promise<ExecutionResult> {
    return new Promise<ExecutionResult>((resolve, reject) => {
      this.track(channel, appUuid, loops, label, timeoutMs, (err, result) => {
        if (err) reject(err)
        else resolve(result!)
      })
    })
  }

  /**
   * register() with a callback instead of a promise. A waiting caller's hold music is an execution that runs for
   * minutes: a promise with its resolving functions and the chain a caller hangs on it were ~400 bytes of heap
   * per waiting caller (issue 13, bench/scale-daemon heap snapshots); the callback is one closure.
   */
  track(
    channel: string,
    appUuid: string,
    loops: number,
    label: string,
    timeoutMs: number | undefined,
    done: ExecutionDone,
  ): void {
    const ex: Execution = {
      channel,
      appUuid,
      loops,
      done,
      timer: undefined,
      roundStart: undefined,
      roundBreak: false,
      roundDtmf: false,
      possiblyFinal: undefined,
    }
    if (timeoutMs !== undefined && timeoutMs > 0) {
      ex.timer = this.#clock.setTimeout(() => {
        ex.timer = undefined
        if (this.#remove(ex)) finish(ex, new EslTimeoutError(label, timeoutMs))
      }, timeoutMs)
    }
    const had = this.#byChannel.get(channel)
    if (had === undefined) this.#byChannel.set(channel, ex)
    else if (Array.isArray(had)) had.push(ex)
    else this.#byChannel.set(channel, [had, ex])
  }

  /** Rejects an execution with `err` (its sendmsg failed), unless it has settled already. */
  fail(channel: string, appUuid: string, err: Error): void {
    const ex = this.#find(channel, appUuid)
    if (ex && this.#remove(ex)) finish(ex, err)
  }

  #find(channel: string, appUuid: string): Execution | undefined {
    const had = this.#byChannel.get(channel)
    if (had === undefined) return undefined
    if (!Array.isArray(had)) return had.appUuid === appUuid ? had : undefined
    return had.find((e) => e.appUuid === appUuid)
  }

  /** Feeds one event; settles the executions it ends. */
  onEvent(ev: EslEvent): void {
    const channel = ev.uuid
    if (channel === undefined) return
    const had = this.#byChannel.get(channel)
    if (had === undefined) return
    const appUuid = ev.get('Application-UUID')
    if (!Array.isArray(had)) {
      this.#onEventFor(had, ev, channel, appUuid)
      return
    }
    for (const ex of [...had]) this.#onEventFor(ex, ev, channel, appUuid)
  }

  #onEventFor(ex: Execution, ev: EslEvent, channel: string, appUuid: string | undefined): void {
    if (ex.possiblyFinal && !(ev.name === 'CHANNEL_EXECUTE' && appUuid === ex.appUuid)) {
      this.#settle(ex, ex.possiblyFinal)
      return
    }
    switch (ev.name) {
      case 'CHANNEL_EXECUTE':
        if (appUuid === ex.appUuid) {
          ex.possiblyFinal = undefined
          ex.roundStart = timestamp(ev)
          ex.roundBreak = false
          ex.roundDtmf = false
        }
        break
      case 'PLAYBACK_STOP':
        if (ex.roundStart !== undefined && ev.get('Playback-Status') === 'break') ex.roundBreak = true
        break
      case 'DTMF':
        if (ex.roundStart !== undefined) ex.roundDtmf = true
        break
      case 'CHANNEL_EXECUTE_COMPLETE':
        if (appUuid === ex.appUuid) {
          if (this.#isFinalRound(ex, ev)) this.#settle(ex, ev)
          else ex.possiblyFinal = ev
        }
        break
      case 'CHANNEL_HANGUP':
        if (this.#remove(ex)) finish(ex, new EslChannelGoneError(channel, ev.get('Hangup-Cause')))
        break
    }
  }

  /** Rejects every execution (connection lost). */
  flush(err: Error): void {
    const all = [...this.#byChannel.values()].flat()
    this.#byChannel.clear()
    for (const ex of all) {
      this.#clock.clearTimeout(ex.timer)
      finish(ex, err)
    }
  }

  #isFinalRound(ex: Execution, complete: EslEvent): boolean {
    if (ex.loops === 1 || ex.loops === 0) return true
    const current = Number(complete.variable('current_loop'))
    const total = Number(complete.variable('total_loops') ?? ex.loops)
    if (Number.isFinite(current) && Number.isFinite(total) && total > 0 && current >= total) return true
    if (ex.roundBreak && !ex.roundDtmf) return true
    const end = timestamp(complete)
    if (ex.roundStart !== undefined && end !== undefined && end - ex.roundStart < SHORT_ROUND_US) return true
    return false
  }

  #settle(ex: Execution, complete: EslEvent): void {
    if (this.#remove(ex))
      finish(ex, undefined, { response: complete.get('Application-Response') ?? '', event: complete })
  }

  #remove(ex: Execution): boolean {
    const had = this.#byChannel.get(ex.channel)
    if (had === undefined) return false
    if (!Array.isArray(had)) {
      if (had !== ex) return false
      this.#byChannel.delete(ex.channel)
    } else {
      const i = had.indexOf(ex)
      if (i === -1) return false
      had.splice(i, 1)
      if (had.length === 1) this.#byChannel.set(ex.channel, had[0])
    }
    this.#clock.clearTimeout(ex.timer)
    return true
  }
}
