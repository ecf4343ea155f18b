/**
 * The koplus Event Socket client: an inbound connection to mod_event_socket over node:net.
 *
 * Layers (one module each): parser.ts (framing), event.ts (event decoding), commands-queue.ts
 * (replies matched FIFO to commands), background-jobs.ts (bgapi), executions.ts (sendmsg
 * execute), subscriptions.ts (event/filter state replayed on reconnect), backoff.ts
 * (reconnect delays), socket-writer.ts (backpressure), wakeups.ts (LF wake-ups of FreeSWITCH's listener
 * thread while calls are live), errors.ts (named errors).
 *
 * Guarantees:
 *  - replies go to the command that asked, in order, even after a command timed out;
 *  - on a disconnect every pending command, bgapi job and execute is rejected with
 *    EslDisconnectedError; nothing is re-sent automatically (an originate never runs twice);
 *  - after every (re)connection the subscription and filters are replayed before 'ready';
 *  - a throwing or rejecting listener is caught and logged; it never breaks the client;
 *  - a frozen link (TCP open, nothing arriving) is noticed: after `idleProbeMs` without a byte the client sends
 *    one `api status` and, if no byte at all arrives within `idleProbeTimeoutMs`, drops the connection (pending
 *    commands are rejected as on any disconnect, never re-sent) and reconnects;
 *  - the password is written to the socket once per connection and never logged;
 *  - events outside the subscription are framed and dropped undecoded (peekEventName, `skippedEvents`).
 */
import { EventEmitter } from 'node:events'
import net from 'node:net'
import { randomUUID } from 'node:crypto'
import { pino, type Logger } from 'pino'
import { RealClock, type Clock, type TimerHandle } from '../../util/clock.js'
import { defaultSliceMs, FrameSlices } from './frame-slices.js'
import { EslParser, type EslFrame } from './parser.js'
import { eventFromFrame, peekEventName, peekLeadingEventName, type EslEvent } from './event.js'
import { CommandsQueue } from './commands-queue.js'
import { BackgroundJobs, type BgapiResult } from './background-jobs.js'
import { ExecutionTracker, type ExecutionDone, type ExecutionResult } from './executions.js'
import { Subscriptions } from './subscriptions.js'
import { SocketWriter } from './socket-writer.js'
import { backoffDelay, type BackoffOptions } from './backoff.js'
import { defaultWakeups, SwitchWaker, type WakeupOptions } from './wakeups.js'
import {
  EslAuthError,
  EslCommandError,
  EslConnectError,
  EslDisconnectedError,
  EslError,
  EslRudeRejectionError,
  EslTimeoutError,
} from './errors.js'

/** One read's buffer, per connection (Node's own reads take 64 KB at a time as well). */
const READ_BUFFER_BYTES = 64 * 1024

export interface EslClientOptions {
  host: string
  port: number
  password: string
  /** Event format of the subscription (default 'json'). */
  format?: 'json' | 'plain'
  /**
   * Events to subscribe to (default ['ALL']); remembered and replayed on reconnect before
   * 'ready'. The events the client needs itself (BACKGROUND_JOB, CHANNEL_EXECUTE,
   * CHANNEL_EXECUTE_COMPLETE, CHANNEL_HANGUP, PLAYBACK_STOP, DTMF) are always added.
   */
  events?: string[]
  /** TCP connect + wait for auth/request, ms (default 5000). */
  connectTimeoutMs?: number
  /** Wait for the reply to a command (api, bgapi, sendmsg, auth, event, filter), ms (default 10000). */
  commandTimeoutMs?: number
  /**
   * Liveness of a ready connection: after this many ms with no byte received, one `api status` probe is sent
   * (default 5000; 0: never probe). FreeSWITCH itself sends a HEARTBEAT event only every 20 s by default
   * (switch_core.c, heartbeat_callback: send_heartbeat(), rescheduled after runtime.event_heartbeat_interval,
   * `event-heartbeat-interval` in switch.conf.xml; older releases a fixed +20 s) and only to a listener subscribed
   * to HEARTBEAT, so the probe is what bounds detection on any config.
   */
  idleProbeMs?: number
  /** After a probe, how long to wait for any byte before the link is declared dead, ms (default 3000). */
  idleProbeTimeoutMs?: number
  /**
   * LF wake-ups of FreeSWITCH's listener thread while calls are live, so events are not held up to 20 ms by its
   * idle poll (wakeups.ts; default every 2 ms while hot, nothing when quiet; `{ intervalMs: 0 }` turns them off).
   */
  wakeups?: WakeupOptions
  /**
   * A burst of frames read at once is handled in slices of at most this many ms, the event loop turning between
   * them (frame-slices.ts; default 1; 0: a whole read at once).
   */
  sliceMs?: number
  /** Reconnect back-off (default on: 250 ms .. 10 s, x2, ±20 %); false: never reconnect. */
  reconnect?: false | BackoffOptions
  logger?: Logger
  /** Timers for timeouts and back-off (default RealClock; tests pass a VirtualClock). */
  clock?: Clock
}

/** Payload of 'reconnecting'. */
export interface EslReconnectingInfo {
  attempt: number
  delayMs: number
  reason: string
}

/** Payload of 'log' (a log/data frame, after `log <level>`). */
export interface EslLogData {
  level?: number
  headers: Record<string, string>
  text: string
}

/** The events an EslClient emits. */
export interface EslClientEvents {
  event: [EslEvent]
  ready: []
  disconnected: [Error | undefined]
  reconnecting: [EslReconnectingInfo]
  log: [EslLogData]
}

type State = 'idle' | 'connecting' | 'authenticating' | 'subscribing' | 'ready' | 'waiting' | 'closing' | 'closed'

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (e: Error) => void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (e: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

/** Rejects text that would break ESL framing (a newline ends a command line). */
function assertLine(value: string, what: string): void {
  if (/[\r\n]/.test(value)) throw new EslError('ESL_INVALID_COMMAND', `${what} must not contain a newline`)
}

function replyText(frame: EslFrame): string {
  return frame.headers['Reply-Text'] ?? frame.body?.toString('utf8') ?? ''
}

export class EslClient extends EventEmitter<EslClientEvents> {
  readonly #host: string
  readonly #port: number
  readonly #password: string
  readonly #address: string
  readonly #format: 'json' | 'plain'
  readonly #connectTimeoutMs: number
  readonly #commandTimeoutMs: number
  readonly #idleProbeMs: number
  readonly #idleProbeTimeoutMs: number
  readonly #reconnect: false | BackoffOptions
  readonly #log: Logger
  readonly #clock: Clock

  readonly #queue: CommandsQueue
  readonly #jobs: BackgroundJobs
  readonly #executions: ExecutionTracker
  readonly #subs: Subscriptions
  readonly #parser = new EslParser()
  readonly #waker: SwitchWaker

  #state: State = 'idle'
  #socket: net.Socket | undefined
  #writer: SocketWriter | undefined
  #failure: Error | undefined
  #attempt = 0
  #connectTimer: TimerHandle | undefined
  #reconnectTimer: TimerHandle | undefined
  #firstReady: Deferred | undefined
  #closed: Deferred | undefined
  #closeTimer: TimerHandle | undefined
  /** close() was called on a ready connection: 'disconnected' is still due when it closes. */
  #closingFromReady = false
  /** Clock time of the last chunk received, and a count of chunks (liveness, see #onIdle). */
  #lastRxAt = 0
  #rxChunks = 0
  /** The frames read on the current connection and not handled yet (frame-slices.ts). */
  #slices: FrameSlices | undefined
  /** The connection's read buffer (net onread): frames of one read point into it until the next read. */
  #readBuffer: Buffer | undefined
  readonly #sliceMs: number
  /** The socket this client destroyed itself (#fail, close): frames still waiting from it are dropped. */
  #destroyed: net.Socket | undefined
  #idleTimer: TimerHandle | undefined
  /** Idle probes sent since the client was made (diagnostics, logged at debug). */
  #probes = 0
  /** Event frames dropped undecoded because their name was not subscribed (diagnostics). */
  #skippedEvents = 0

  constructor(opts: EslClientOptions) {
    super()
    // The password goes on the auth line: a newline would let it inject commands.
    if (/[\r\n]/.test(opts.password))
      throw new EslError('ESL_INVALID_COMMAND', 'the ESL password must not contain a newline')
    this.#host = opts.host
    this.#port = opts.port
    this.#password = opts.password
    this.#address = `${opts.host}:${opts.port}`
    this.#format = opts.format ?? 'json'
    this.#connectTimeoutMs = opts.connectTimeoutMs ?? 5000
    this.#commandTimeoutMs = opts.commandTimeoutMs ?? 10_000
    this.#idleProbeMs = Math.max(0, opts.idleProbeMs ?? 5000)
    this.#idleProbeTimeoutMs = Math.max(1, opts.idleProbeTimeoutMs ?? 3000)
    this.#reconnect = opts.reconnect === undefined ? {} : opts.reconnect
    this.#clock = opts.clock ?? new RealClock()
    this.#sliceMs = Math.max(0, opts.sliceMs ?? defaultSliceMs())
    this.#log = (opts.logger ?? pino({ level: 'silent' })).child({ freeswitch: this.#address })
    this.#queue = new CommandsQueue(this.#clock)
    this.#jobs = new BackgroundJobs(this.#clock)
    this.#executions = new ExecutionTracker(this.#clock)
    this.#subs = new Subscriptions(opts.events ?? ['ALL'])
    this.#waker = new SwitchWaker(this.#clock, opts.wakeups ?? defaultWakeups(), () => {
      if (this.#state !== 'ready' || !this.#writer || this.#writer.congested) return false
      this.#writer.write('\n')
      return true
    })
  }

  /** LF wake-ups written so far, and whether they are ticking now (diagnostics). */
  get wakeups(): { sent: number; ticking: boolean; liveChannels: number } {
    return { sent: this.#waker.sent, ticking: this.#waker.ticking, liveChannels: this.#waker.liveChannels }
  }

  /** True between 'ready' and the next disconnect. */
  get ready(): boolean {
    return this.#state === 'ready'
  }

  /** Commands sent and not yet answered (diagnostics). */
  get pendingCommands(): number {
    return this.#queue.length
  }

  /** Idle probes (`api status` after a silence) sent so far (diagnostics). */
  get idleProbes(): number {
    return this.#probes
  }

  /** Event frames dropped without decoding: names outside the subscription (diagnostics). */
  get skippedEvents(): number {
    return this.#skippedEvents
  }

  /** Bytes held back because the socket asked us to wait for 'drain' (diagnostics). */
  get bufferedWriteBytes(): number {
    return this.#writer?.queuedBytes ?? 0
  }

  /**
   * Connects, authenticates, subscribes. Resolves on the first 'ready'. Rejects with
   * EslAuthError (final, never retried); with reconnect off, rejects with the first failure;
   * with reconnect on, keeps retrying and resolves once it succeeds (or rejects if close()
   * is called first).
   */
  connect(): Promise<void> {
    if (this.#state === 'ready') return Promise.resolve()
    if (this.#state === 'closing' || this.#state === 'closed') {
      return Promise.reject(new EslDisconnectedError('the ESL client was closed'))
    }
    this.#firstReady ??= deferred()
    const p = this.#firstReady.promise
    if (this.#state === 'idle') this.#open()
    return p
  }

  /** Sends `exit`, waits for FreeSWITCH to close the socket, and stops reconnecting. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return
    this.#clock.clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    const socket = this.#socket
    if (!socket) {
      this.#state = 'closed'
      this.#rejectFirstReady(new EslDisconnectedError('the ESL client was closed'))
      return
    }
    if (this.#state === 'closing') return this.#closed?.promise
    const wasReady = this.#state === 'ready'
    this.#closingFromReady = wasReady
    this.#state = 'closing'
    this.#closed = deferred()
    this.#closeTimer = this.#clock.setTimeout(() => this.#destroy(socket), this.#commandTimeoutMs)
    if (wasReady && this.#writer) {
      // The +OK bye reply is consumed in order; FreeSWITCH then closes the socket.
      this.#queue.add('exit', undefined).catch(() => undefined)
      this.#writer.write('exit\n\n')
      this.#writer.end()
    } else {
      this.#destroy(socket)
    }
    return this.#closed.promise
  }

  /** `api <command>`: the response body. Replies are strictly ordered. */
  async api(command: string, opts?: { timeoutMs?: number }): Promise<string> {
    assertLine(command, 'api command')
    const frame = await this.#send(`api ${command}`, `api ${command}\n\n`, opts?.timeoutMs ?? this.#commandTimeoutMs)
    if (frame.headers['Content-Type'] === 'command/reply') {
      const text = replyText(frame)
      if (text.startsWith('-ERR')) throw new EslCommandError(`api ${command}`, text)
      return text
    }
    return frame.body?.toString('utf8') ?? ''
  }

  /**
   * `bgapi <command>` with our own Job-UUID; settles with the BACKGROUND_JOB event's body.
   * `timeoutMs` bounds the command reply (default commandTimeoutMs) and, if given, also the
   * wait for the job's result (default: no limit; a disconnect rejects it).
   */
  async bgapi(command: string, opts?: { timeoutMs?: number }): Promise<BgapiResult> {
    assertLine(command, 'bgapi command')
    if (!this.#canSend(false)) throw this.#notConnected()
    const jobUuid = randomUUID()
    const label = `bgapi ${command}`
    const done = this.#jobs.register(jobUuid, label, opts?.timeoutMs)
    done.catch(() => undefined) // settled or handled below; avoid an unhandled rejection meanwhile
    let frame: EslFrame
    try {
      frame = await this.#send(
        label,
        `bgapi ${command}\nJob-UUID: ${jobUuid}\n\n`,
        opts?.timeoutMs ?? this.#commandTimeoutMs,
      )
    } catch (err) {
      this.#jobs.cancel(jobUuid)
      throw err
    }
    const text = replyText(frame)
    if (!text.startsWith('+OK')) {
      this.#jobs.cancel(jobUuid)
      throw new EslCommandError(label, text)
    }
    return done
  }

  /**
   * Runs a dialplan application on a channel (`sendmsg <uuid>` / `call-command: execute`) with
   * our own Event-UUID, and settles when that execution ends (CHANNEL_EXECUTE_COMPLETE with
   * a matching Application-UUID; with `loops`, when the loop ends: see executions.ts). Rejects
   * with EslChannelGoneError if the channel hangs up first, EslCommandError on -ERR,
   * EslTimeoutError after `timeoutMs` (default: none).
   */
  execute(
    uuid: string,
    app: string,
    arg?: string,
    opts?: { loops?: number; eventLock?: boolean; timeoutMs?: number },
  ): Promise<ExecutionResult> {
    return new Promise<ExecutionResult>((resolve, reject) =>
      this.executeThen(uuid, app, arg, opts, (err, result) => (err ? reject(err) : resolve(result!))),
    )
  }

  /**
   * execute() with a callback, called once (never synchronously): with the result, or the error execute() would
   * reject with. No promise is made: a waiting caller's hold music runs for minutes, and a promise and the chain
   * on it were ~400 bytes of heap per waiting caller (issue 13, bench/scale-daemon heap snapshots).
   */
  executeThen(
    uuid: string,
    app: string,
    arg: string | undefined,
    opts: { loops?: number; eventLock?: boolean; timeoutMs?: number } | undefined,
    done: ExecutionDone,
  ): void {
    let headers: Record<string, string>
    let body: string | undefined
    const eventUuid = randomUUID()
    try {
      assertLine(uuid, 'channel uuid')
      assertLine(app, 'application name')
      if (!this.#canSend(false)) throw this.#notConnected()
      headers = { 'call-command': 'execute', 'execute-app-name': app }
      if (arg !== undefined && arg !== '') {
        // A multi-line argument travels as a text/plain body (switch_ivr.c, switch_ivr_parse_event).
        if (/[\r\n]/.test(arg)) {
          headers['content-type'] = 'text/plain'
          body = arg
        } else headers['execute-app-arg'] = arg
      }
      if (opts?.eventLock !== false) headers['event-lock'] = 'true'
      headers['Event-UUID'] = eventUuid
      if (opts?.loops !== undefined) headers['loops'] = String(opts.loops)
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err))
      queueMicrotask(() => done(e))
      return
    }
    // A failed sendmsg ends the execution with the sendmsg's error.
    this.#executions.track(uuid, eventUuid, opts?.loops ?? 1, `execute ${app} on ${uuid}`, opts?.timeoutMs, done)
    this.sendmsg(uuid, headers, body).catch((err: unknown) =>
      this.#executions.fail(uuid, eventUuid, err instanceof Error ? err : new Error(String(err))),
    )
  }

  /** Raw `sendmsg <uuid>` with the given headers (and body); returns Reply-Text. */
  async sendmsg(uuid: string, headers: Record<string, string>, body?: string): Promise<string> {
    assertLine(uuid, 'channel uuid')
    let data = `sendmsg ${uuid}\n`
    for (const [k, v] of Object.entries(headers)) {
      assertLine(k, 'sendmsg header name')
      assertLine(v, `sendmsg header ${k}`)
      data += `${k}: ${v}\n`
    }
    data += body === undefined ? '\n' : `content-length: ${Buffer.byteLength(body)}\n\n${body}`
    const label = `sendmsg ${uuid}`
    const frame = await this.#send(label, data, this.#commandTimeoutMs)
    const text = replyText(frame)
    if (text.startsWith('-ERR')) throw new EslCommandError(label, text)
    return text
  }

  /** A raw ESL command line (e.g. 'filter Unique-ID x'); returns Reply-Text, throws on -ERR. */
  async command(line: string): Promise<string> {
    assertLine(line, 'command')
    return this.#simpleCommand(line, false)
  }

  /** Adds events to the subscription (remembered and replayed on every reconnect). */
  async subscribe(events: string[]): Promise<void> {
    for (const e of events) assertLine(e, 'event name')
    this.#subs.add(events)
    if (this.#canSend(true)) await this.#simpleCommand(this.#subs.eventCommand(this.#format), true)
  }

  /**
   * Adds an event filter (remembered and replayed). FreeSWITCH then sends only events that
   * match some filter, so the first filter also adds `Event-Name BACKGROUND_JOB` to keep
   * bgapi results flowing.
   */
  async filter(header: string, value: string): Promise<void> {
    assertLine(header, 'filter header')
    assertLine(value, 'filter value')
    const lines: string[] = []
    if (this.#subs.filters.length === 0 && this.#subs.addFilter('Event-Name', 'BACKGROUND_JOB')) {
      lines.push('filter Event-Name BACKGROUND_JOB')
    }
    if (this.#subs.addFilter(header, value)) lines.push(`filter ${header} ${value}`)
    if (!this.#canSend(true)) return
    await Promise.all(lines.map((l) => this.#simpleCommand(l, true)))
  }

  /** Event listeners run inside try/catch: a throwing or rejecting listener is logged, not fatal. */
  override emit<K extends keyof EslClientEvents>(eventName: K, ...args: EslClientEvents[K]): boolean {
    const listeners = this.rawListeners(eventName) as Array<(...a: unknown[]) => unknown>
    for (const l of listeners) {
      try {
        const r = l.apply(this, args)
        if (r && typeof (r as Promise<unknown>).then === 'function') {
          ;(r as Promise<unknown>).then(undefined, (err: unknown) =>
            this.#log.error({ err, listener: eventName }, 'ESL listener rejected'),
          )
        }
      } catch (err) {
        this.#log.error({ err, listener: eventName }, 'ESL listener threw')
      }
    }
    return listeners.length > 0
  }

  // ---------------------------------------------------------------- connection

  #open(): void {
    this.#state = 'connecting'
    this.#failure = undefined
    this.#parser.reset()
    this.#log.debug('connecting')
    // Every read lands in one buffer of this connection (net's `onread`), not in a new 64 KB buffer per read that
    // Node shrinks to the bytes read and frees when the collector gets to it: at 200 arrivals/s that churn of
    // native memory was what glibc's heap kept from the daemon's first minutes (bench/scale-daemon, "RSS, where").
    // The parser keeps nothing of a chunk, and the frames of one read are handled before the next read: the socket
    // is paused while frames wait (onHold below).
    const readBuffer = Buffer.allocUnsafeSlow(READ_BUFFER_BYTES)
    this.#readBuffer = readBuffer
    const socket = net.connect({
      host: this.#host,
      port: this.#port,
      onread: {
        buffer: readBuffer,
        callback: (bytes: number) => {
          this.#onData(socket, readBuffer.subarray(0, bytes))
          return true
        },
      },
    })
    this.#socket = socket
    this.#writer = new SocketWriter(socket)
    this.#slices = new FrameSlices(
      (frame) => {
        if (this.#socket !== socket || this.#destroyed === socket) return false
        this.#onFrame(socket, frame)
        return true
      },
      this.#sliceMs,
      {
        // Reading waits while a burst is being handled in slices (frame-slices.ts): one read afterwards, not many.
        onHold: (held) => {
          if (socket.destroyed) return
          if (held) socket.pause()
          else socket.resume()
        },
      },
    )
    socket.setNoDelay(true)
    this.#connectTimer = this.#clock.setTimeout(() => {
      this.#connectTimer = undefined
      if (this.#socket === socket && this.#state === 'connecting') {
        this.#fail(
          socket,
          new EslConnectError(
            'ESL_CONNECT_TIMEOUT',
            this.#address,
            `no auth/request within ${this.#connectTimeoutMs} ms`,
          ),
        )
      }
    }, this.#connectTimeoutMs)
    socket.on('connect', () => socket.setKeepAlive(true, 10_000))
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (this.#socket === socket) this.#failure ??= this.#socketError(err)
    })
    socket.on('close', () => this.#onClose(socket))
  }

  /** Records why the connection goes down and tears it down. */
  #fail(socket: net.Socket, err: Error): void {
    if (this.#socket !== socket) return
    this.#failure ??= err
    this.#destroy(socket)
  }

  #destroy(socket: net.Socket): void {
    this.#destroyed = socket
    socket.destroy()
  }

  #socketError(err: NodeJS.ErrnoException): Error {
    const code = err.code ?? ''
    if (this.#state === 'connecting') {
      if (code === 'ECONNREFUSED')
        return new EslConnectError('ESL_CONNECT_REFUSED', this.#address, 'connection refused', { cause: err })
      if (code === 'ETIMEDOUT')
        return new EslConnectError('ESL_CONNECT_TIMEOUT', this.#address, 'connect timed out', { cause: err })
      return new EslConnectError('ESL_HOST_UNREACHABLE', this.#address, `host unreachable (${code || err.message})`, {
        cause: err,
      })
    }
    return new EslDisconnectedError(`connection to FreeSWITCH ESL at ${this.#address} lost (${code || err.message})`, {
      cause: err,
    })
  }

  #onData(socket: net.Socket, chunk: Buffer): void {
    if (this.#socket !== socket) return
    this.#lastRxAt = this.#clock.now()
    this.#rxChunks++
    let frames: EslFrame[]
    try {
      frames = this.#parser.push(chunk)
    } catch (err) {
      this.#log.error({ err }, 'ESL framing error; dropping the connection')
      this.#fail(
        socket,
        new EslError(
          'ESL_PROTOCOL',
          `framing error from ${this.#address}: ${err instanceof Error ? err.message : String(err)}`,
          { cause: err },
        ),
      )
      return
    }
    this.#slices?.push(frames)
  }

  #onFrame(socket: net.Socket, frame: EslFrame): void {
    const type = frame.headers['Content-Type']
    switch (type) {
      case 'auth/request':
        this.#onAuthRequest(socket)
        return
      case 'command/reply':
      case 'api/response':
        // A reply's body is read by whoever awaits it, later than this read: it gets bytes of its own (the read
        // buffer is reused for the next read).
        if (!this.#queue.resolveNext(this.#owned(frame)))
          this.#log.warn({ type }, 'ESL reply with no command waiting; dropped')
        return
      case 'text/event-json':
      case 'text/event-plain': {
        // An event nobody asked for (e.g. one FreeSWITCH sends beside a named subscription) is framed, counted and
        // dropped without being decoded; its name is read from the body's bytes (peekEventName). A wanted event's
        // name is read from its first bytes only (peekLeadingEventName): the exact peek searches the whole body for
        // a later Event-Name, and decoding reads the last one anyway (checked below).
        const leading = peekLeadingEventName(frame)
        const wantedLeading = leading !== undefined && this.#subs.wants(leading)
        if (!wantedLeading) {
          const name = peekEventName(frame)
          if (name !== undefined && !this.#subs.wants(name)) {
            this.#skippedEvents++
            return
          }
        }
        const ev = eventFromFrame(frame)
        if (!ev) {
          this.#log.warn({ type, bytes: frame.body?.length ?? 0 }, 'undecodable ESL event dropped')
          return
        }
        if (wantedLeading && ev.name !== leading && !this.#subs.wants(ev.name)) {
          // A later Event-Name (the one decoding keeps) nobody asked for.
          this.#skippedEvents++
          return
        }
        this.#waker.onEvent(ev.name, ev.uuid)
        this.#jobs.onEvent(ev)
        this.#executions.onEvent(ev)
        this.emit('event', ev)
        return
      }
      case 'log/data': {
        const level = Number(frame.headers['Log-Level'])
        const data: EslLogData = { headers: frame.headers, text: frame.body?.toString('utf8') ?? '' }
        if (Number.isFinite(level)) data.level = level
        this.emit('log', data)
        return
      }
      case 'text/disconnect-notice':
        // A linger notice (outbound sockets) announces the channel hung up; the socket stays
        // open until FreeSWITCH sends the final notice and closes it (outbound-socket-linger2).
        if (frame.headers['Content-Disposition'] === 'linger') {
          this.#log.info({ lingerTime: frame.headers['Linger-Time'] }, 'ESL linger notice; socket stays open')
        } else {
          this.#log.info({ disposition: frame.headers['Content-Disposition'] }, 'ESL disconnect notice')
        }
        return
      case 'text/rude-rejection':
        this.#fail(socket, new EslRudeRejectionError(this.#address, frame.body?.toString('utf8') ?? ''))
        return
      default:
        this.#log.debug({ type }, 'unhandled ESL frame')
    }
  }

  /** The frame with a body of its own when its body is a view of the read buffer (a body over several reads is). */
  #owned(frame: EslFrame): EslFrame {
    const body = frame.body
    if (!body || body.buffer !== this.#readBuffer?.buffer) return frame
    return { headers: frame.headers, body: Buffer.from(body) }
  }

  #onAuthRequest(socket: net.Socket): void {
    if (this.#state !== 'connecting') {
      this.#log.warn('unexpected auth/request; ignored')
      return
    }
    this.#clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#state = 'authenticating'
    const reply = this.#queue.add('auth', this.#commandTimeoutMs)
    this.#writer?.write(`auth ${this.#password}\n\n`)
    reply.then(
      (frame) => {
        if (this.#socket !== socket) return
        const text = replyText(frame)
        if (text.startsWith('+OK')) this.#replaySubscriptions(socket)
        else {
          this.#log.error({ reply: text }, 'ESL authentication failed')
          this.#fail(socket, new EslAuthError(this.#address))
        }
      },
      (err: Error) => {
        if (err instanceof EslTimeoutError) this.#fail(socket, err)
      },
    )
  }

  #replaySubscriptions(socket: net.Socket): void {
    this.#state = 'subscribing'
    const lines = [this.#subs.eventCommand(this.#format), ...this.#subs.filterCommands()]
    const replies = lines.map((line) => {
      const p = this.#queue.add(line, this.#commandTimeoutMs)
      this.#writer?.write(`${line}\n\n`)
      return p.then((frame) => ({ line, text: replyText(frame) }))
    })
    Promise.all(replies).then(
      (results) => {
        if (this.#socket !== socket || this.#state !== 'subscribing') return
        for (const r of results) {
          if (!r.text.startsWith('+OK'))
            this.#log.warn({ command: r.line, reply: r.text }, 'ESL subscription command refused')
        }
        this.#state = 'ready'
        this.#attempt = 0
        this.#log.info('ESL connection ready')
        this.#lastRxAt = this.#clock.now()
        this.#armIdle(socket, this.#idleProbeMs)
        this.#waker.start()
        const first = this.#firstReady
        this.#firstReady = undefined
        this.emit('ready')
        first?.resolve()
      },
      (err: Error) => {
        if (err instanceof EslTimeoutError) this.#fail(socket, err)
      },
    )
  }

  #onClose(socket: net.Socket): void {
    if (this.#socket !== socket) return
    // Frames read before the close are handled first, as they would have been without slicing.
    this.#slices?.drain()
    this.#slices = undefined
    const wasReady = this.#state === 'ready'
    const closing = this.#state === 'closing'
    this.#socket = undefined
    this.#waker.stop()
    this.#writer?.clear()
    this.#writer = undefined
    this.#parser.reset()
    this.#clock.clearTimeout(this.#connectTimer)
    this.#connectTimer = undefined
    this.#clock.clearTimeout(this.#closeTimer)
    this.#closeTimer = undefined
    this.#clock.clearTimeout(this.#idleTimer)
    this.#idleTimer = undefined

    const reason =
      this.#failure ??
      new EslDisconnectedError(
        wasReady || closing
          ? `FreeSWITCH ESL at ${this.#address} closed the connection`
          : `FreeSWITCH ESL at ${this.#address} closed the connection before it was ready`,
      )
    this.#failure = undefined
    const lost =
      reason instanceof EslDisconnectedError ? reason : new EslDisconnectedError(undefined, { cause: reason })
    this.#queue.flush(lost)
    this.#jobs.flush(lost)
    this.#executions.flush(lost)

    if (closing) {
      this.#state = 'closed'
      this.#log.info('ESL connection closed')
      this.#rejectFirstReady(new EslDisconnectedError('the ESL client was closed'))
      if (this.#closingFromReady) this.emit('disconnected', undefined)
      this.#closingFromReady = false
      const c = this.#closed
      this.#closed = undefined
      c?.resolve()
      return
    }
    if (wasReady) {
      this.#log.warn({ err: reason }, 'ESL connection lost')
      this.emit('disconnected', reason)
    }
    if (reason instanceof EslAuthError) {
      this.#state = 'idle'
      this.#rejectFirstReady(reason)
      return
    }
    if (this.#reconnect === false) {
      this.#state = 'idle'
      this.#rejectFirstReady(reason)
      return
    }
    this.#attempt++
    const delayMs = backoffDelay(this.#attempt, this.#reconnect)
    this.#state = 'waiting'
    // debug: the owner (the daemon) reports outages at warn level itself, rate-limited; no double lines.
    this.#log.debug({ attempt: this.#attempt, delayMs, err: reason }, 'ESL reconnecting')
    this.#reconnectTimer = this.#clock.setTimeout(() => {
      this.#reconnectTimer = undefined
      if (this.#state === 'waiting') this.#open()
    }, delayMs)
    this.emit('reconnecting', { attempt: this.#attempt, delayMs, reason: reason.message })
  }

  // ---------------------------------------------------------------- liveness

  /** Checks again in `delayMs` whether the link has been silent for idleProbeMs. */
  #armIdle(socket: net.Socket, delayMs: number): void {
    if (this.#idleProbeMs === 0) return
    this.#clock.clearTimeout(this.#idleTimer)
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined
      this.#onIdle(socket)
    }, delayMs)
  }

  /**
   * One timer per connection, not one per chunk: receiving only records the time, and the timer re-arms itself
   * for the rest of the silence window. After idleProbeMs of silence: one `api status`, then a deadline.
   */
  #onIdle(socket: net.Socket): void {
    if (this.#socket !== socket || this.#state !== 'ready') return
    const silentMs = this.#clock.now() - this.#lastRxAt
    if (silentMs < this.#idleProbeMs) {
      this.#armIdle(socket, this.#idleProbeMs - silentMs)
      return
    }
    const chunksBefore = this.#rxChunks
    this.#probes++
    this.#log.debug({ probes: this.#probes, silentMs }, 'ESL idle probe')
    // The reply goes through the FIFO like any other; its outcome is not needed (any byte proves the link).
    this.#send('api status', 'api status\n\n', this.#commandTimeoutMs, false, false).catch(() => undefined)
    this.#idleTimer = this.#clock.setTimeout(() => {
      this.#idleTimer = undefined
      if (this.#socket !== socket || this.#state !== 'ready') return
      if (this.#rxChunks === chunksBefore) {
        const silent = this.#clock.now() - this.#lastRxAt
        this.#log.warn(
          { silentMs: silent, probeTimeoutMs: this.#idleProbeTimeoutMs },
          'ESL link frozen: no reply to the idle probe; dropping it',
        )
        this.#fail(
          socket,
          new EslDisconnectedError(
            `FreeSWITCH ESL at ${this.#address} sent nothing for ${silent} ms and did not answer a probe within ${this.#idleProbeTimeoutMs} ms; the link is dead`,
          ),
        )
        return
      }
      this.#armIdle(socket, Math.max(0, this.#idleProbeMs - (this.#clock.now() - this.#lastRxAt)))
    }, this.#idleProbeTimeoutMs)
  }

  #rejectFirstReady(err: Error): void {
    const first = this.#firstReady
    this.#firstReady = undefined
    first?.reject(err)
  }

  // ---------------------------------------------------------------- commands

  #canSend(duringSetup: boolean): boolean {
    return this.#state === 'ready' || (duringSetup && this.#state === 'subscribing')
  }

  #notConnected(): EslDisconnectedError {
    return new EslDisconnectedError(`not connected to FreeSWITCH ESL at ${this.#address}; the command was not sent`)
  }

  /** Registers the reply waiter, then writes: a reply can never arrive before its waiter. */
  #send(label: string, data: string, timeoutMs: number, duringSetup = false, active = true): Promise<EslFrame> {
    if (!this.#canSend(duringSetup) || !this.#writer) return Promise.reject(this.#notConnected())
    const p = this.#queue.add(label, timeoutMs)
    this.#log.debug({ command: label }, 'ESL command')
    this.#writer.write(data)
    this.#waker.wroteCommand(active)
    return p
  }

  async #simpleCommand(line: string, duringSetup: boolean): Promise<string> {
    const frame = await this.#send(line, `${line}\n\n`, this.#commandTimeoutMs, duringSetup)
    const text = replyText(frame)
    if (text.startsWith('-ERR')) throw new EslCommandError(line, text)
    return text
  }
}
