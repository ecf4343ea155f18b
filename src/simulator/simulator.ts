import { randomUUID } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { pino, type Logger } from 'pino'
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js'
import { LOADED_MODULES, runApiCommand } from './api-commands.js'
import { startApp } from './apps.js'
import { CALLING } from './calling.js'
import { Channel, type AppCall } from './channel.js'
import { Dialplan, type DialplanOptions } from './dialplan.js'
import { matchesPattern, type EndpointBehaviour, type PatternEndpoint, type SimUser } from './endpoints.js'
import { registerHeaders } from './registrations.js'
import { SimCall, type SimCallState } from './sim-call.js'
import { Originator } from './originate-run.js'
import { eventDates, type Header, type SimEvent } from './serialize.js'
import { EslServer } from './server.js'
import { wavDurationMs } from './wav.js'
import { interNodeHangup, interNodeProgress, type SipNetwork } from './sip-network.js'

/** Options of the simulator. */
export interface SimulatorOptions {
  clock?: Clock
  logger?: Logger
  /** ESL password (default ClueCon). */
  password?: string
  dialplan?: DialplanOptions
  /** `show channels` lists a channel only this long after it was created (real FS lags ~1 s). Default 0. */
  showChannelsLagMs?: number
  /** Known media durations by path (checked before reading WAV headers from disk). */
  fileDurations?: Record<string, number>
  /** Prefix for relative sound paths (sound_prefix). */
  soundPrefix?: string
  /**
   * Event Socket delivery, ms: 20 reproduces FreeSWITCH 1.10 (mod_event_socket.c read_packet: queued events are
   * written only when the listener thread wakes, from a 20 ms poll or on any byte from the client; see
   * event-delivery.ts). 0 (default) writes every event at once: unit tests on a virtual clock and the capture
   * replays get exact sequences without advancing time; benches and the standalone simulator (main.ts) use 20.
   */
  eslPollMs?: number
  /** Interval of HEARTBEAT events; 0 disables them (default 0). */
  heartbeatMs?: number
  /** SIP domain / realm of the switch (default 127.0.0.2, as in the captures). */
  sipDomain?: string
  hostname?: string
  /** Several simulated nodes: the SIP network this one joins, at sipAddress (sip-network.ts). */
  sipNetwork?: SipNetwork
  /** This node's SIP address on sipNetwork (host or host:port). */
  sipAddress?: string
}

/** What `placeCall` needs. */
export interface PlaceCallOptions {
  /** The number dialled. */
  to: string
  /** The caller's number. */
  from: string
  callerName?: string
  /** Makes the call look like an authenticated INVITE from this SIP user (variable_sip_auth_username/realm). */
  sipUser?: string
  /** The tenant domain (koplus_tenant); default "default". */
  domain?: string
  /** Dialplan context (default "default"). */
  context?: string
  uuid?: string
}

/** One originate command received, for assertions. */
export interface OriginateRecord {
  arg: string
  at: number
  jobUuid?: string
  result?: string
}

export { SimCall }
export type { SimCallState }

interface Waiter {
  test: () => boolean
  resolve: () => void
}

/**
 * A FreeSWITCH 1.10 stand-in that speaks the Event Socket protocol on a loopback port.
 * Tests drive the outside world (callers, phones) through the control API.
 *
 * Model: each Channel runs one application at a time from its queue (dialplan apps, then sendmsg
 * executes). `park` is not a running app but a state in which queued apps still run; a channel
 * that is neither parked nor bridged and has nothing left to run is hung up (NORMAL_CLEARING), as
 * FreeSWITCH does when the dialplan ends. Every timed behaviour goes through `clock`.
 * Events are delivered synchronously to listeners, except while an ESL command is being answered:
 * then they are held until the reply is written (mod_event_socket order).
 */
export class FreeSwitchSimulator {
  readonly clock: Clock
  readonly log: Logger
  readonly password: string
  readonly coreUuid = randomUUID()
  readonly dialplan: Dialplan
  readonly hostname: string
  readonly sipDomain: string
  /** The SIP network shared with other simulated nodes, and this node's address on it. */
  readonly sipNetwork?: SipNetwork
  readonly sipAddress?: string
  /** Modules `api module_exists` reports as loaded (tests may delete one to simulate a missing module). */
  readonly loadedModules = new Set<string>(LOADED_MODULES)
  showChannelsLagMs: number
  /** See SimulatorOptions.eslPollMs. */
  readonly eslPollMs: number
  readonly fileDurations = new Map<string, number>()
  soundPrefix: string
  /** Every originate received (api or bgapi), in order. */
  readonly originates: OriginateRecord[] = []
  readonly #channels = new Map<string, Channel>()
  readonly #calls = new Map<string, SimCall>()
  readonly #users = new Map<string, SimUser>()
  readonly #patterns: PatternEndpoint[] = []
  readonly #listeners = new Set<(ev: SimEvent) => void>()
  #waiters: Waiter[] = []
  #seq = 1000
  #sessionSeq = 0
  #sessionsSinceStart = 0
  #deferDepth = 0
  #deferred: SimEvent[] = []
  #server?: EslServer
  #heartbeat?: TimerHandle
  #heartbeatMs: number
  readonly #startedAt: number
  readonly #originator: Originator

  constructor(opts: SimulatorOptions = {}) {
    this.clock = opts.clock ?? new RealClock()
    this.#startedAt = this.clock.now()
    this.log = opts.logger ?? pino({ level: 'silent' })
    this.password = opts.password ?? 'ClueCon'
    this.dialplan = new Dialplan(opts.dialplan)
    this.showChannelsLagMs = opts.showChannelsLagMs ?? 0
    this.eslPollMs = Math.max(0, opts.eslPollMs ?? 0)
    for (const [k, v] of Object.entries(opts.fileDurations ?? {})) this.fileDurations.set(k, v)
    this.soundPrefix = opts.soundPrefix ?? ''
    this.hostname = opts.hostname ?? 'vm'
    this.sipDomain = opts.sipDomain ?? '127.0.0.2'
    this.#heartbeatMs = opts.heartbeatMs ?? 0
    if (opts.sipNetwork && opts.sipAddress) {
      this.sipNetwork = opts.sipNetwork
      this.sipAddress = opts.sipAddress
      opts.sipNetwork.join(opts.sipAddress, this)
    }
    this.#originator = new Originator(this, {
      user: (name) => this.#users.get(name),
      pattern: (dial) => this.#patterns.find((p) => matchesPattern(p.pattern, dial))?.behaviour,
    })
  }

  // ---------------------------------------------------------------- network

  /** Event Socket counters (EslServer.stats): client LF bytes and listener wake-ups, for benches. */
  get eslStats(): { clientLfBytes: number; listenerWakes: number } {
    return this.#server?.stats ?? { clientLfBytes: 0, listenerWakes: 0 }
  }

  /** Starts the ESL listener; resolves with the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    this.#server = new EslServer(this)
    const addr: AddressInfo = await this.#server.listen(port, host)
    if (this.#heartbeatMs > 0) this.#scheduleHeartbeat()
    return addr.port
  }

  /** Stops listening, closes every ESL connection and cancels the simulator's timers. */
  async close(): Promise<void> {
    this.clock.clearTimeout(this.#heartbeat)
    // A closed node answers no SIP any more (its calls die with it when the caller drops them: kill()).
    if (this.sipAddress) this.sipNetwork?.leave(this.sipAddress)
    for (const ch of this.#channels.values()) for (const t of ch.timers) this.clock.clearTimeout(t)
    await this.#server?.close()
  }

  /** Number of open ESL connections. */
  get connectionCount(): number {
    return this.#server?.connectionCount ?? 0
  }

  // ---------------------------------------------------------------- control API

  /** A caller dials `to`. The call is routed by the dialplan (queue numbers are parked, not answered). */
  placeCall(opts: PlaceCallOptions): SimCall {
    const domain = opts.domain ?? 'default'
    const uuid = opts.uuid ?? randomUUID()
    const internal = !!opts.sipUser
    const name = internal
      ? `sofia/internal/${opts.sipUser}@${this.sipDomain}`
      : `sofia/external/${opts.from}@${this.sipDomain}`
    const ch = this.createChannel({
      uuid,
      name,
      direction: 'inbound',
      callerIdName: opts.callerName ?? opts.from,
      callerIdNumber: opts.from,
      destination: opts.to,
      context: opts.context ?? 'default',
      source: 'mod_sofia',
      networkAddr: '127.0.0.1',
      username: opts.sipUser ?? opts.from,
    })
    const v = ch.variables
    v.set('sip_from_user', opts.sipUser ?? opts.from)
    v.set('sip_from_host', this.sipDomain)
    v.set('sip_to_user', opts.to)
    v.set('sip_req_user', opts.to)
    v.set('sip_call_id', randomUUID().replace(/-/g, '').slice(0, 16))
    v.set('sofia_profile_name', internal ? 'internal' : 'external')
    v.set('domain_name', domain)
    if (opts.sipUser) {
      v.set('sip_auth_username', opts.sipUser)
      v.set('sip_auth_realm', domain)
      v.set('user_name', opts.sipUser)
    }
    const call = new SimCall(this, ch)
    this.#calls.set(uuid, call)
    this.channelEvent(ch, 'CHANNEL_CREATE')
    this.route(ch, opts.to, ch.profile.context, domain)
    return call
  }

  /** The SimCall for a channel UUID (calls placed with placeCall, and any other channel). */
  call(uuid: string): SimCall | undefined {
    const existing = this.#calls.get(uuid)
    if (existing) return existing
    const ch = this.#channels.get(uuid)
    if (!ch) return undefined
    const c = new SimCall(this, ch)
    this.#calls.set(uuid, c)
    return c
  }

  /**
   * Defines a SIP user (`user/<ext>` dial strings) and how its phone behaves, or a dial-string
   * pattern (string with trailing `*`, or RegExp) for other endpoints (gateways, mobiles).
   * A user is created unregistered unless `registered: true`.
   */
  endpoint(userOrPattern: string | RegExp, behaviour: EndpointBehaviour & { registered?: boolean } = {}): void {
    if (typeof userOrPattern === 'string' && /^[\w.+-]+$/.test(userOrPattern)) {
      const [user] = userOrPattern.split('@')
      const existing = this.#users.get(user)
      if (existing) {
        existing.behaviour = behaviour
        if (behaviour.registered !== undefined && behaviour.registered !== existing.registered) {
          if (behaviour.registered) this.register(user)
          else this.unregister(user)
        }
        return
      }
      this.#users.set(user, {
        user,
        domain: this.sipDomain,
        registered: false,
        behaviour,
        callId: randomUUID().replace(/-/g, '').slice(0, 16),
        contactPort: 5070 + this.#users.size * 2,
        expiresSecs: 60,
      })
      if (behaviour.registered) this.register(user)
      return
    }
    this.#patterns.unshift({ pattern: userOrPattern, behaviour })
  }

  /** The phone of a user registers (sofia::register); creates the user if unknown. */
  register(user: string, expiresSecs = 60): void {
    if (!this.#users.has(user)) this.endpoint(user, {})
    const u = this.#users.get(user)!
    u.registered = true
    u.expiresSecs = expiresSecs
    u.registeredAt = this.clock.now()
    u.callId = randomUUID().replace(/-/g, '').slice(0, 16)
    this.emit(this.#customEvent('sofia::register', registerHeaders(u, 'register')))
  }

  /** The phone unregisters cleanly (sofia::unregister, expires 0). */
  unregister(user: string): void {
    const u = this.#users.get(user)
    if (!u || !u.registered) return
    u.registered = false
    this.emit(this.#customEvent('sofia::unregister', registerHeaders(u, 'unregister')))
  }

  /** The registration runs out (the phone died): sofia::expire, whose `expires` is an absolute epoch. */
  expire(user: string): void {
    const u = this.#users.get(user)
    if (!u || !u.registered) return
    u.registered = false
    const epoch = Math.floor(((u.registeredAt ?? this.clock.now()) + u.expiresSecs * 1000) / 1000)
    this.emit(this.#customEvent('sofia::expire', registerHeaders(u, 'expire', epoch)))
  }

  /** A user of the directory (registered or not), for another node's INVITE (sip-network.ts). */
  directoryUser(name: string): SimUser | undefined {
    return this.#users.get(name)
  }

  /** @internal Rings a phone channel per its behaviour (an inter-node INVITE reaching this node's user). */
  ringPhone(ch: Channel, behaviour: EndpointBehaviour): void {
    this.#originator.runBehaviour(ch, behaviour)
  }

  /** Registered users, for `show registrations` and `sofia status`. */
  registrations(): SimUser[] {
    return [...this.#users.values()].filter((u) => u.registered)
  }

  /** Live channels in creation order. */
  channels(): Channel[] {
    return [...this.#channels.values()]
  }

  channel(uuid: string): Channel | undefined {
    return this.#channels.get(uuid)
  }

  /** Subscribes to every event the switch generates (before ESL filtering). Returns an unsubscribe. */
  onEvent(fn: (ev: SimEvent) => void): () => void {
    this.#listeners.add(fn)
    return () => this.#listeners.delete(fn)
  }

  /**
   * Resolves once `predicate` is true, checked now, after every event the simulator emits and whenever an ESL
   * connection opens or closes.
   * The timeout runs on real time (a safety net for tests), not on the simulator's clock.
   */
  waitFor(predicate: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
    if (predicate()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        test: predicate,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        },
      }
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((x) => x !== w)
        reject(new Error(`timed out waiting for ${what}`))
      }, timeoutMs)
      this.#waiters.push(w)
    })
  }

  /** Resolves with the next event matching `match` (name, or predicate). */
  waitForEvent(match: string | ((ev: SimEvent) => boolean), timeoutMs = 5000): Promise<SimEvent> {
    const test = typeof match === 'string' ? (e: SimEvent) => e.name === match || e.subclass === match : match
    return new Promise((resolve, reject) => {
      const off = this.onEvent((ev) => {
        if (!test(ev)) return
        off()
        clearTimeout(timer)
        resolve(ev)
      })
      const timer = setTimeout(() => {
        off()
        reject(new Error(`timed out waiting for event ${typeof match === 'string' ? match : 'predicate'}`))
      }, timeoutMs)
    })
  }

  /**
   * Queues an application on a channel as `sendmsg <uuid>` with `call-command: execute` would
   * (in-process shortcut for tests and benchmarks). Returns false if there is no such channel.
   */
  execute(uuid: string, app: string, arg = '', opts: { loops?: number; eventUuid?: string } = {}): boolean {
    const ch = this.#channels.get(uuid)
    if (!ch || ch.hungUp) return false
    this.withDeferredEvents(() => {
      ch.queue.push({ app, arg, loops: opts.loops ?? 1, uuid: opts.eventUuid })
      this.pump(ch)
    })
    return true
  }

  /** Runs `originate <arg>` in-process; resolves with the api text (`+OK <uuid>\n` / `-ERR <CAUSE>\n`). */
  originateAsync(arg: string): Promise<string> {
    return new Promise((resolve) => this.withDeferredEvents(() => this.originate(arg, resolve)))
  }

  /** Runs an API command as if received over ESL (`api <cmd> <arg>`); returns the response body. */
  api(command: string): string {
    let out = ''
    this.withDeferredEvents(() => {
      runApiCommand(this, command, (text) => (out = text))
    })
    return out
  }

  // ---------------------------------------------------------------- events

  /** Header block every event starts with (switch_event_prep_for_delivery). */
  baseHeaders(name: string, callingKey: string = name): Header[] {
    const d = eventDates(this.clock.now())
    const [file, fn, line] = CALLING[callingKey] ?? ['switch_event.c', 'switch_event_fire', '0']
    return [
      ['Event-Name', name],
      ['Core-UUID', this.coreUuid],
      ['FreeSWITCH-Hostname', this.hostname],
      ['FreeSWITCH-Switchname', this.hostname],
      ['FreeSWITCH-IPv4', '192.0.2.2'],
      ['FreeSWITCH-IPv6', 'fd00::2'],
      ['Event-Date-Local', d.local],
      ['Event-Date-GMT', d.gmt],
      ['Event-Date-Timestamp', d.timestamp],
      ['Event-Calling-File', file],
      ['Event-Calling-Function', fn],
      ['Event-Calling-Line-Number', line],
      ['Event-Sequence', String(++this.#seq)],
    ]
  }

  #customEvent(subclass: string, extra: Header[]): SimEvent {
    const h = this.baseHeaders('CUSTOM', subclass)
    h.unshift(['Event-Subclass', subclass])
    return { name: 'CUSTOM', subclass, headers: [...h, ...extra] }
  }

  /** Emits a channel event: base headers, `pre`, channel data, then `extra` (event-specific). */
  channelEvent(
    ch: Channel,
    name: string,
    extra: Header[] = [],
    opts: { pre?: Header[]; variables?: boolean; calling?: [string, string, string] } = {},
  ): void {
    const base = this.baseHeaders(name)
    if (opts.calling) {
      base[9] = ['Event-Calling-File', opts.calling[0]]
      base[10] = ['Event-Calling-Function', opts.calling[1]]
      base[11] = ['Event-Calling-Line-Number', opts.calling[2]]
    }
    const headers = [...base, ...(opts.pre ?? []), ...ch.eventData({ variables: opts.variables }), ...extra]
    this.emit({ name, headers, uuid: ch.uuid })
  }

  /** Delivers an event to listeners (or queues it while a command is being answered). */
  emit(ev: SimEvent): void {
    if (this.#deferDepth > 0) {
      this.#deferred.push(ev)
      return
    }
    this.#deliver(ev)
  }

  #deliver(ev: SimEvent): void {
    for (const l of [...this.#listeners]) {
      try {
        l(ev)
      } catch (err) {
        this.log.error({ err }, 'event listener failed')
      }
    }
    this.#checkWaiters()
  }

  /**
   * The ESL server's connections changed (one opened or closed): a waitFor on connectionCount is checked now. A
   * closed connection is no event, so a test waiting for a killed daemon's socket to close otherwise waited for
   * whatever event came next, and timed out when the calls were quiet.
   */
  connectionsChanged(): void {
    this.#checkWaiters()
  }

  #checkWaiters(): void {
    if (this.#waiters.length) {
      const ready = this.#waiters.filter((w) => w.test())
      if (ready.length) {
        this.#waiters = this.#waiters.filter((w) => !ready.includes(w))
        for (const w of ready) w.resolve()
      }
    }
  }

  /**
   * Runs `fn` with event delivery held back, then delivers the held events. mod_event_socket
   * writes a command's reply before the events the command caused (captures: uuid_kill, sendmsg).
   */
  withDeferredEvents(fn: () => void, afterReply?: () => void): void {
    this.#deferDepth++
    try {
      fn()
    } finally {
      this.#deferDepth--
    }
    afterReply?.()
    if (this.#deferDepth === 0) {
      const evs = this.#deferred
      this.#deferred = []
      for (const ev of evs) this.#deliver(ev)
    }
  }

  #scheduleHeartbeat(): void {
    this.#heartbeat = this.clock.setTimeout(() => {
      const up = this.clock.now() - this.#startedAt
      this.emit({
        name: 'HEARTBEAT',
        headers: [
          ...this.baseHeaders('HEARTBEAT'),
          ['Event-Info', 'System Ready'],
          ['Up-Time', uptimeText(up)],
          ['FreeSWITCH-Version', '1.10.12-release+git~20240802T210227Z~a88d069d6f~64bit'],
          ['Uptime-msec', String(up)],
          ['Session-Count', String(this.#channels.size)],
          ['Max-Sessions', '1000'],
          ['Session-Per-Sec', '30'],
          ['Session-Per-Sec-Last', '0'],
          ['Session-Per-Sec-Max', '0'],
          ['Session-Per-Sec-FiveMin', '0'],
          ['Session-Since-Startup', String(this.#sessionsSinceStart)],
          ['Session-Peak-Max', '0'],
          ['Session-Peak-FiveMin', '0'],
          ['Idle-CPU', '98.000000'],
        ],
      })
      this.#scheduleHeartbeat()
    }, this.#heartbeatMs)
  }

  /** Text of `status`. */
  statusText(): string {
    const up = this.clock.now() - this.#startedAt
    return (
      `UP ${uptimeText(up)}\n` +
      'FreeSWITCH (Version 1.10.12-release git a88d069 2024-08-02 21:02:27Z 64bit) is ready\n' +
      `${this.#sessionsSinceStart} session(s) since startup\n` +
      `${this.#channels.size} session(s) - peak ${this.#sessionsSinceStart}, last 5min 0 \n` +
      '0 session(s) per Sec out of max 30, peak 0, last 5min 0 \n' +
      '1000 session(s) max\n' +
      'min idle cpu 0.00/98.00\n' +
      'Current Stack Size/Max 240K/8192K\n'
    )
  }

  // ---------------------------------------------------------------- channel engine

  /** @internal Creates and registers a channel. */
  createChannel(init: Omit<ConstructorParameters<typeof Channel>[0], 'now' | 'sessionId'>): Channel {
    const ch = new Channel({ ...init, now: this.clock.now(), sessionId: ++this.#sessionSeq })
    this.#sessionsSinceStart++
    this.#channels.set(ch.uuid, ch)
    return ch
  }

  /** Schedules `fn` on the clock, tied to the channel (cancelled when it hangs up). */
  later(ch: Channel, ms: number, fn: () => void): TimerHandle {
    const t = this.clock.setTimeout(() => {
      ch.timers.delete(t)
      if (!ch.hungUp) fn()
    }, ms)
    ch.timers.add(t)
    return t
  }

  /** Like later(), but a 0 ms delay runs as a microtask, so it needs no clock advance. */
  soon(ch: Channel, ms: number, fn: () => void): void {
    if (ms > 0) {
      this.later(ch, ms, fn)
      return
    }
    queueMicrotask(() => {
      if (!ch.hungUp) fn()
    })
  }

  cancel(ch: Channel, t: TimerHandle | undefined): void {
    if (!t) return
    this.clock.clearTimeout(t)
    ch.timers.delete(t)
  }

  /** @internal Runs the dialplan for a destination: queues its apps, or hangs up NO_ROUTE_DESTINATION. */
  route(ch: Channel, dest: string, context: string, domain: string): void {
    const apps = this.dialplan.route(dest, { context, domain })
    ch.profile.destination = dest
    ch.profile.context = context
    if (!apps) {
      this.hangup(ch, 'NO_ROUTE_DESTINATION')
      return
    }
    ch.state = 'CS_EXECUTE'
    if (ch.direction === 'inbound' && ch.callState === 'DOWN') ch.callState = 'RINGING'
    ch.queue.push(...apps)
    this.pump(ch)
  }

  /** Transfers a channel to `dest` in `context` (uuid_transfer, the transfer app). */
  transfer(ch: Channel, dest: string, context = 'default'): void {
    this.stopActivity(ch, 'transfer')
    ch.queue = []
    ch.setVar(
      'transfer_source',
      `${Math.floor(this.clock.now() / 1000)}:${randomUUID()}:uuid_br:${dest}/${context}/XML`,
    )
    this.route(ch, dest, context, ch.variables.get('domain_name') ?? 'default')
  }

  /** Starts the next queued app; hangs the channel up when it has nothing left to do. */
  pump(ch: Channel): void {
    if (ch.hungUp || ch.running || ch.originating) return
    const next = ch.queue.shift()
    if (next) {
      if (ch.state === 'CS_INIT' || ch.state === 'CS_ROUTING' || ch.state === 'CS_CONSUME_MEDIA')
        ch.state = 'CS_EXECUTE'
      startApp(this, ch, next)
      return
    }
    if (ch.parked || ch.bridge) return
    // No application left and not parked: the session ends (switch_core_state_machine, CS_EXECUTE).
    this.hangup(ch, 'NORMAL_CLEARING')
  }

  /** Emits CHANNEL_EXECUTE for an app call. */
  executeEvent(ch: Channel, call: AppCall): void {
    ch.setVar('current_application_data', call.arg)
    ch.setVar('current_application', call.app)
    const extra: Header[] = [['Application', call.app]]
    if (call.arg) extra.push(['Application-Data', call.arg])
    if (call.uuid) extra.push(['Application-UUID', call.uuid])
    this.channelEvent(ch, 'CHANNEL_EXECUTE', extra)
  }

  /** Emits CHANNEL_EXECUTE_COMPLETE with an Application-Response. */
  completeEvent(ch: Channel, call: AppCall, response: string): void {
    ch.lastResponse = response
    ch.setVar('current_application_response', response)
    const extra: Header[] = [['Application', call.app]]
    if (call.arg) extra.push(['Application-Data', call.arg])
    extra.push(['Application-Response', response])
    if (call.uuid) extra.push(['Application-UUID', call.uuid])
    this.channelEvent(ch, 'CHANNEL_EXECUTE_COMPLETE', extra)
  }

  /** Marks the running app finished (after its EXECUTE_COMPLETE) and runs the next one. */
  finishApp(ch: Channel): void {
    if (ch.running) ch.running.done = true
    ch.running = undefined
    this.pump(ch)
  }

  /** Ends what the channel is doing (app and park) for a bridge, uuid_park, transfer or hangup. */
  stopActivity(ch: Channel, reason: 'bridge' | 'park' | 'transfer' | 'hangup'): void {
    const run = ch.running
    ch.running = undefined
    if (run && !run.done) {
      run.interrupt(reason)
      run.done = true
    }
    this.unpark(ch)
  }

  /** Leaves the park loop: CHANNEL_UNPARK, and the park app's EXECUTE_COMPLETE if park was an app. */
  unpark(ch: Channel): void {
    if (!ch.parked) return
    const kind = ch.parked
    ch.parked = undefined
    this.channelEvent(ch, 'CHANNEL_UNPARK')
    if (kind === 'app') this.completeEvent(ch, ch.parkCall ?? { app: 'park', arg: '', loops: 1 }, ch.lastResponse)
  }

  /** Parks the channel outside any app (uuid_park, park_after_bridge): new CHANNEL_PARK in CS_PARK. */
  corePark(ch: Channel): void {
    ch.state = 'CS_PARK'
    ch.parked = 'core'
    this.channelEvent(ch, 'CHANNEL_PARK')
  }

  /** Marks ring-ready (CHANNEL_PROGRESS), the loopback -a leg first. */
  ringReady(ch: Channel): void {
    if (ch.progressAt || ch.hungUp) return
    if (ch.loopbackPeer && !ch.loopbackPeer.progressAt && ch.direction === 'inbound') this.ringReady(ch.loopbackPeer)
    ch.progressAt = this.clock.now()
    this.channelEvent(ch, 'CHANNEL_PROGRESS')
    ch.callState = 'RINGING'
    interNodeProgress(ch, 'ring')
  }

  /** Early media (CHANNEL_PROGRESS_MEDIA). */
  preAnswer(ch: Channel): void {
    if (ch.progressMediaAt || ch.answered || ch.hungUp) return
    if (ch.loopbackPeer && ch.direction === 'inbound') this.preAnswer(ch.loopbackPeer)
    ch.progressMediaAt = this.clock.now()
    ch.answerState = 'early'
    this.channelEvent(ch, 'CHANNEL_PROGRESS_MEDIA')
    ch.callState = 'EARLY'
  }

  /** Answers (CHANNEL_ANSWER), the loopback -a leg first; lets a waiting originate win. */
  answer(ch: Channel): void {
    if (ch.answered || ch.hungUp) return
    if (ch.loopbackPeer && ch.direction === 'inbound') this.answer(ch.loopbackPeer)
    ch.hasCodecs = true
    ch.answeredAt = this.clock.now()
    ch.answerState = 'answered'
    this.channelEvent(ch, 'CHANNEL_ANSWER')
    ch.callState = 'ACTIVE'
    this.#originator.answered(ch)
    interNodeProgress(ch, 'answer')
  }

  /** A DTMF digit arrives on the channel (from the caller). */
  receiveDtmf(ch: Channel, digit: string): void {
    if (ch.hungUp) return
    const run = ch.running
    if (run && !run.done && run.dtmf && !run.dtmf(digit)) return
    this.dtmfEvent(ch, digit)
    if (run && !run.done) run.afterDtmf?.(digit)
  }

  /** Emits the DTMF event (basic channel data, no variables; capture: inbound-dtmf). */
  dtmfEvent(ch: Channel, digit: string): void {
    this.channelEvent(
      ch,
      'DTMF',
      [
        ['DTMF-Digit', digit],
        ['DTMF-Duration', '2000'],
        ['DTMF-Source', 'UNKNOWN'],
      ],
      { variables: false },
    )
  }

  /** Bridges two channels (uuid_bridge): ends their apps/park, CHANNEL_BRIDGE on A; queued apps of A play during the bridge. */
  bridge(a: Channel, b: Channel): void {
    // The partner is known before park/playback end, so UNPARK and EXECUTE_COMPLETE carry Other-Leg-*.
    a.otherLeg = b
    b.otherLeg = a
    this.stopActivity(b, 'bridge')
    this.stopActivity(a, 'bridge')
    a.state = 'CS_SOFT_EXECUTE'
    b.state = 'CS_SOFT_EXECUTE'
    a.bridge = b
    b.bridge = a
    a.otherLeg = b
    b.otherLeg = a
    a.bridgeSide = 'a'
    b.bridgeSide = 'b'
    const now = this.clock.now()
    a.bridgedAt = now
    b.bridgedAt = now
    const calling: [string, string, string] = ['switch_ivr_bridge.c', 'uuid_bridge_on_soft_execute', '1236']
    this.channelEvent(
      a,
      'CHANNEL_EXECUTE',
      [
        ['Application', 'uuid_bridge'],
        ['Application-Data', b.uuid],
      ],
      { calling },
    )
    this.channelEvent(
      b,
      'CHANNEL_EXECUTE',
      [
        ['Application', 'uuid_bridge'],
        ['Application-Data', a.uuid],
      ],
      {
        calling: ['switch_ivr_bridge.c', 'uuid_bridge_on_soft_execute', '1243'],
      },
    )
    a.setVar('bridge_uuid', b.uuid)
    b.setVar('bridge_uuid', a.uuid)
    a.setVar('last_bridge_to', b.uuid)
    this.channelEvent(a, 'CHANNEL_BRIDGE', [], {
      pre: [
        ['Bridge-A-Unique-ID', a.uuid],
        ['Bridge-B-Unique-ID', b.uuid],
      ],
    })
    b.state = 'CS_EXCHANGE_MEDIA'
    a.heard.push({ file: `bridge:${b.uuid}`, startedAt: now })
    b.heard.push({ file: `bridge:${a.uuid}`, startedAt: now })
    this.pump(a)
    this.pump(b)
  }

  /** Ends a bridge because `gone` hung up: CHANNEL_UNBRIDGE, then the survivor's after-bridge handling. */
  #unbridge(gone: Channel): void {
    const other = gone.bridge
    if (!other) return
    gone.bridge = undefined
    other.bridge = undefined
    const now = this.clock.now()
    for (const c of [gone, other]) {
      const h = c.heard.findLast((x) => x.file.startsWith('bridge:') && x.endedAt === undefined)
      if (h) h.endedAt = now
    }
    const a = gone.bridgeSide === 'a' ? gone : other
    const b = a === gone ? other : gone
    const pre: Header[] = [
      ['Bridge-A-Unique-ID', a.uuid],
      ['Bridge-B-Unique-ID', b.uuid],
    ]
    this.channelEvent(a, 'CHANNEL_UNBRIDGE', [], { pre })
    if (other.hungUp) return
    // switch_ivr_multi_threaded_bridge / uuid bridge exit: hangup_after_bridge, park_after_bridge,
    // otherwise back to CS_EXECUTE with no app left -> hung up (captures: inbound-queue-call[-hab|-pab]).
    if (other.variables.get('hangup_after_bridge') === 'true') {
      this.hangup(other, 'NORMAL_CLEARING')
      return
    }
    if (other.variables.get('park_after_bridge') === 'true') {
      this.corePark(other)
      return
    }
    other.state = 'CS_EXECUTE'
    if (!other.running) this.pump(other)
  }

  /** Hangs a channel up with the full event sequence; its loopback peer and bridge partner follow. */
  hangup(ch: Channel, cause = 'NORMAL_CLEARING'): void {
    if (ch.hungUp) return
    ch.hangupCause = cause
    ch.answerState = 'hangup'
    ch.hangupAt = this.clock.now()
    ch.setVar('hangup_cause', cause)
    // Timing variables of the CDR (switch_channel.c, switch_channel_set_timestamps).
    const secs = (ms: number) => String(Math.floor(ms / 1000))
    ch.setVar('start_epoch', secs(ch.createdAt))
    ch.setVar('answer_epoch', ch.answeredAt ? secs(ch.answeredAt) : '0')
    ch.setVar('end_epoch', secs(ch.hangupAt))
    ch.setVar('duration', secs(ch.hangupAt - ch.createdAt))
    ch.setVar('billsec', ch.answeredAt ? secs(ch.hangupAt - ch.answeredAt) : '0')
    for (const t of ch.timers) this.clock.clearTimeout(t)
    ch.timers.clear()
    this.channelEvent(ch, 'CHANNEL_HANGUP')
    this.stopActivity(ch, 'hangup')
    const openHeard = ch.heard.findLast((x) => x.endedAt === undefined)
    if (openHeard) openHeard.endedAt = ch.hangupAt
    const peer = ch.loopbackPeer
    if (peer && !peer.hungUp) this.hangup(peer, cause)
    ch.state = 'CS_REPORTING'
    ch.callState = 'HANGUP'
    this.channelEvent(ch, 'CHANNEL_HANGUP_COMPLETE', [], { pre: [['Hangup-Cause', cause]] })
    if (ch.bridge) this.#unbridge(ch)
    this.channelEvent(ch, 'CHANNEL_DESTROY')
    ch.destroyed = true
    this.#channels.delete(ch.uuid)
    this.#calls.delete(ch.uuid)
    this.#originator.hungUp(ch, cause)
    interNodeHangup(ch, cause)
  }

  // ---------------------------------------------------------------- originate

  /**
   * Runs `originate <arg>`; `done` gets the api text (`+OK <uuid>\n` or `-ERR <CAUSE>\n`) the moment
   * the outcome is known, before the winning leg starts its application.
   */
  originate(arg: string, done: (result: string) => void, jobUuid?: string): void {
    this.#originator.originate(arg, done, jobUuid)
  }

  // ---------------------------------------------------------------- media

  /** Duration of a media file in ms, or undefined when FreeSWITCH could not open it. */
  fileDurationMs(path: string): number | undefined {
    const full = path.startsWith('/') || !this.soundPrefix ? path : `${this.soundPrefix.replace(/\/$/, '')}/${path}`
    return this.fileDurations.get(path) ?? this.fileDurations.get(full) ?? wavDurationMs(full)
  }
}

function uptimeText(ms: number): string {
  const s = Math.floor(ms / 1000)
  const plural = (n: number, w: string) => `${n} ${w}${n === 1 ? '' : 's'}`
  return `0 years, ${plural(Math.floor(s / 86400), 'day')}, ${plural(Math.floor(s / 3600) % 24, 'hour')}, ${plural(Math.floor(s / 60) % 60, 'minute')}, ${plural(s % 60, 'second')}, ${plural(ms % 1000, 'millisecond')}, 0 microseconds`
}
