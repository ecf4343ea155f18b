/**
 * The daemon: wires the store, the pure engine (CallCenter), the FreeSWITCH adapter, the ESL connection and the
 * timers. One event at a time goes through `dispatch`: the engine decides, the daemon carries out the commands
 * (timers on the Clock, persistence in SQLite, call control through the adapter) in the order given.
 *
 * Interface for the HTTP API / CLI (src/api, src/cli):
 *
 *   const daemon = await startDaemon(settings, { logger })
 *   daemon.dispatch({ type: 'agent-login', agentId, source: 'api' })   // → Command[] (already carried out)
 *   store.queues.update(...); daemon.reloadConfig()                    // after every operator change: the engine
 *                                                                      // gets one event per entity that changed
 *   daemon.status()                                                    // CenterStatus (per queue / agent)
 *   daemon.freeswitch                                                  // { connected, address, lastError }
 *   await daemon.stop()                                                // leaves live calls alone
 *
 * - `dispatch(event)` runs the engine synchronously at `clock.now()` and returns its commands; the persistence
 *   commands in it are committed before it returns, so an API handler can acknowledge afterwards. A `rejected`
 *   command in the result tells the API why an agent action was refused.
 * - `reloadConfig()` re-reads tenants, queues, agents, memberships, schedules, calendars, closures and prompts from
 *   SQLite and feeds the engine one ConfigChange event per entity added, changed or removed since the last time
 *   (EngineView.changes; e.g. a closure added is one `closure-added`): the operator's change takes effect at once.
 *   The whole `config` event is sent once, at start-up. The engine times opening and closing itself.
 *
 * Restart recovery: on every (re)connection to FreeSWITCH the daemon reads the registrations and every live channel
 * (`show channels as json` + `uuid_dump`) and reconciles (adapter.reconcile): waiting callers are handed back to the
 * engine with `restored` (their koplus_joined_at / koplus_seq keep their place), calls that ended meanwhile are
 * reported as hung up.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import pino, { type Logger } from 'pino'
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'
import { CallCenter } from '../core/engine/call-center.js'
import type { CenterStatus } from '../core/engine/status.js'
import { EslClient } from '../freeswitch/esl/client.js'
import type { BackoffOptions } from '../freeswitch/esl/backoff.js'
import type { EslEvent } from '../freeswitch/esl/event.js'
import { FreeSwitchAdapter } from '../freeswitch/adapter/adapter.js'
import { parseRegistrations, readLiveChannels } from '../freeswitch/adapter/restore.js'
import { Store } from '../store/index.js'
import { RealClock, type Clock, type TimerHandle } from '../util/clock.js'
import { EngineView, type EngineSettings } from './engine-deps.js'
import { isPersistCommand, persist } from './persist.js'
import { annotateFromStore, closeOrphanOffers, closeOrphanRecords } from './reconcile.js'
import { TimerTable } from './timers.js'

/** How long after a rebuild the channels are read again (`show channels` lags new channels by up to a second). */
const SHOW_CHANNELS_LAG_MS = 1500

/** What the daemon needs to run (built from the config file by runDaemonCommand). */
export interface DaemonSettings extends EngineSettings {
  /** SQLite file (created and migrated if missing). */
  databasePath: string
  freeswitch: {
    host: string
    port: number
    password: string
    /** Context for uuid_transfer of forwarded callers (default 'default'). */
    transferContext?: string
    /** ESL reconnect back-off (default 250 ms .. 10 s). */
    reconnect?: BackoffOptions
    /** Silence before an `api status` liveness probe, ms (default 5000; 0 = never). See EslClientOptions. */
    idleProbeMs?: number
    /** Wait for any byte after that probe before the link is taken as dead, ms (default 3000). */
    idleProbeTimeoutMs?: number
  }
}

export interface DaemonOptions {
  clock?: Clock
  logger?: Logger
  /** Use this open store instead of opening databasePath (the daemon then does not close it on stop). */
  store?: Store
  /**
   * Connect to FreeSWITCH at once (default true). false: only when `connectFreeSwitch()` is called, so that
   * `koplus daemon` binds the API port first and a port conflict fails before anything is sent to FreeSWITCH.
   */
  connect?: boolean
}

/** The state of the FreeSWITCH connection, for `koplus status` and the API. */
export interface FreeSwitchState {
  address: string
  connected: boolean
  /** Why the last connection attempt failed / the connection was lost. */
  lastError?: string
  /** Epoch ms of the last completed rebuild from FreeSWITCH. */
  rebuiltAt?: number
}

type HandledListener = (event: CoreEvent, commands: readonly Command[], now: number, tookMs: number) => void

/** A running daemon. */
export interface Daemon {
  /** The engine (read-only use: status, checkLogin). Feed it through dispatch, never handle() directly. */
  readonly center: CallCenter
  readonly store: Store
  readonly clock: Clock
  readonly logger: Logger
  readonly freeswitch: FreeSwitchState
  /** Runs the engine on one event now and carries out its commands; returns them. Never throws. */
  dispatch(event: CoreEvent): Command[]
  /** Re-reads the configuration from SQLite and feeds it to the engine (after every operator change). */
  reloadConfig(): void
  /** Queue and agent status now. */
  status(): CenterStatus
  /** Starts connecting to FreeSWITCH (in the background, retrying), if not started yet. */
  connectFreeSwitch(): void
  /** Resolves once the view has been rebuilt from FreeSWITCH on the current connection (at once if it has been). */
  whenRebuilt(): Promise<void>
  /**
   * Called after every event the engine handled, with its commands (already carried out), the engine's `now` and
   * the wall-clock milliseconds the dispatch took (for metrics and the live stream). Returns an unsubscribe function.
   */
  onHandled(listener: HandledListener): () => void
  /** Stops: timers off, ESL closed with `exit` (calls untouched), store closed. Idempotent. */
  stop(): Promise<void>
}

/** Events the daemon subscribes to (plus those the ESL client always adds, REQUIRED_EVENTS). */
export const DAEMON_EVENTS = [
  'CHANNEL_PARK',
  'CHANNEL_ANSWER',
  'CHANNEL_PROGRESS',
  'CHANNEL_PROGRESS_MEDIA',
  'CHANNEL_BRIDGE',
  'CHANNEL_UNBRIDGE',
  'CHANNEL_HANGUP',
  'DTMF',
  'CUSTOM sofia::register sofia::unregister sofia::expire',
]

/** Core events worth an info line (the rest are debug). */
const INFO_EVENTS = new Set(['call-arrived', 'call-hungup', 'bridged', 'leg-failed', 'leg-hungup', 'agent-login', 'agent-logout', 'feature-call'])
const INFO_COMMANDS = new Set(['originate', 'bridge', 'hangup', 'transfer', 'rejected'])

/** Starts the daemon: opens the store, loads the engine, connects to FreeSWITCH (in the background, retrying). */
export async function startDaemon(settings: DaemonSettings, opts: DaemonOptions = {}): Promise<Daemon> {
  const clock = opts.clock ?? new RealClock()
  const log = opts.logger ?? pino({ level: 'silent' })
  const ownStore = !opts.store
  const store = opts.store ?? Store.open(settings.databasePath, { logger: log.child({ module: 'store' }), clock })
  const view = new EngineView(store, settings)
  const center = new CallCenter()
  const fsState: FreeSwitchState = { address: `${settings.freeswitch.host}:${settings.freeswitch.port}`, connected: false }
  const client = new EslClient({
    host: settings.freeswitch.host,
    port: settings.freeswitch.port,
    password: settings.freeswitch.password,
    format: 'json',
    events: DAEMON_EVENTS,
    reconnect: settings.freeswitch.reconnect ?? {},
    idleProbeMs: settings.freeswitch.idleProbeMs ?? 5000,
    idleProbeTimeoutMs: settings.freeswitch.idleProbeTimeoutMs ?? 3000,
    logger: log.child({ module: 'esl' }),
  })
  const adapter = new FreeSwitchAdapter(client, (ev) => dispatch(ev), {
    transferContext: settings.freeswitch.transferContext ?? 'default',
    logger: log.child({ module: 'adapter' }),
    now: () => clock.now(),
  })
  const timers = new TimerTable(clock, (id) => dispatch({ type: 'timer', id }))
  let stopped = false
  let rescanTimer: TimerHandle | undefined
  let rebuildWaiters: (() => void)[] = []
  /** A rebuild completed on the current connection. */
  let rebuilt = false

  const handledListeners = new Set<HandledListener>()

  function dispatch(event: CoreEvent): Command[] {
    if (stopped) return []
    const started = performance.now()
    const now = clock.now()
    let commands: Command[]
    try {
      commands = center.handle(event, now)
    } catch (err) {
      log.error({ err, event: event.type }, 'engine failed on an event')
      return []
    }
    logEvent(event)
    // Telephony first, bookkeeping second: the ESL commands and timers of this step go out before its SQLite
    // writes, so an agent's phone does not wait for commits (bench/connect: ~0.4 ms median, most of the p99 tail).
    // The writes then share one transaction (one commit per event instead of one per row); they are still
    // committed before dispatch returns, so an API change is durable before it is acknowledged.
    const writes: Command[] = []
    for (const cmd of commands) {
      if (isPersistCommand(cmd)) writes.push(cmd)
      else carryOut(cmd)
    }
    if (writes.length > 0) persistAll(writes)
    const tookMs = performance.now() - started
    for (const l of handledListeners) {
      try {
        l(event, commands, now, tookMs)
      } catch (err) {
        log.warn({ err }, 'an onHandled listener failed')
      }
    }
    return commands
  }

  function logEvent(event: CoreEvent): void {
    if (event.type === 'config' || event.type === 'timer') return
    const ids = eventIds(event)
    if (INFO_EVENTS.has(event.type)) log.info({ ...ids, event: event.type, ...eventDetail(event) }, event.type)
    else log.debug({ ...ids, event: event.type }, event.type)
  }

  /** Carries out one non-persistence command: timers, refusals (logged) and everything the adapter sends. */
  function carryOut(cmd: Command): void {
    switch (cmd.type) {
      case 'set-timer':
        timers.set(cmd.id, cmd.at)
        return
      case 'clear-timer':
        timers.clear(cmd.id)
        return
      case 'rejected':
        log.info({ agent: cmd.agentId, action: cmd.action, reason: cmd.reason }, `refused: ${cmd.message}`)
        return
      default:
        break
    }
    if (cmd.type === 'record') ensureRecordingDir(cmd.path)
    if (FreeSwitchAdapter.handles(cmd)) {
      if (INFO_COMMANDS.has(cmd.type)) log.info({ ...commandIds(cmd), command: cmd.type }, cmd.type)
      else log.debug({ ...commandIds(cmd), command: cmd.type }, cmd.type)
      void adapter.execute(cmd)
      return
    }
    log.warn({ command: cmd.type }, 'no handler for a core command')
  }

  /** Carries out persistence commands in one transaction (persist() logs and swallows a failing row). */
  function persistAll(cmds: Command[]): void {
    try {
      store.tx(() => {
        for (const cmd of cmds) persist(store, cmd, log)
      })
    } catch (err) {
      log.error({ err }, 'failed to commit the writes of an event')
    }
    // A prompt recorded by phone is the queue's prompt from the next caller on: one `prompt-override-set` for the
    // engine (after this event's commands are carried out).
    for (const c of cmds) {
      if (c.type !== 'prompt-recorded') continue
      const change = view.promptRecorded(c)
      queueMicrotask(() => dispatch(change))
    }
  }

  /**
   * Recordings go to <recordingsDir>/<tenant>/<queue>/<lang>/, directories nobody made. FreeSWITCH's file open
   * (switch_core_file.c, switch_core_perform_file_open) does not make them: it fails with "File [...] not created!"
   * when the format module could not create the file. When FreeSWITCH runs on this host (the usual set-up) the
   * directory is made here first; if it cannot be, this is logged, and the review plays without the take.
   */
  function ensureRecordingDir(path: string): void {
    try {
      mkdirSync(dirname(path), { recursive: true })
    } catch (err) {
      log.warn({ path, err }, 'could not create the directory of a recording')
    }
  }

  let configured = false
  /** Start-up: the whole configuration; afterwards: one event per entity that changed in the store. */
  function reloadConfig(): void {
    if (stopped) return
    if (!configured) {
      configured = true
      dispatch({ type: 'config', config: view.load() })
      return
    }
    for (const change of view.changes()) dispatch(change)
  }

  /**
   * `show channels` lags new channels by up to a second (capture inbound-introspection): a caller that parked just
   * before a rebuild — while no daemon listened — is not listed, and parks only once, so it would wait forever.
   * A second look after the lag finds it (calls already known are left alone by reconcile).
   */
  async function lookAgain(): Promise<void> {
    rescanTimer = undefined
    if (stopped || !fsState.connected) return
    const before = adapter.knownCalls().length
    adapter.beginRebuild()
    try {
      const live = await readLiveChannels(client, clock.now(), (call, problems) =>
        log.warn({ call, problems }, 'invalid koplus_* channel variables on rebuild; kept the caller with safe values'),
      )
      annotateFromStore(store, live)
      await adapter.reconcile(live)
    } catch (err) {
      log.warn({ err }, 'second look at the live calls failed')
    } finally {
      adapter.endRebuild()
    }
    const found = adapter.knownCalls().length - before
    if (found > 0) log.info({ found }, 'found calls FreeSWITCH had not listed yet at the rebuild')
  }

  async function rebuild(): Promise<void> {
    clock.clearTimeout(rescanTimer)
    rescanTimer = undefined
    adapter.beginRebuild()
    try {
      adapter.registrationsFromSwitch(parseRegistrations(await client.api('show registrations as json')))
      const live = await readLiveChannels(client, clock.now(), (call, problems) =>
        log.warn({ call, problems }, 'invalid koplus_* channel variables on rebuild; kept the caller with safe values'),
      )
      annotateFromStore(store, live)
      await adapter.reconcile(live)
      // Records of calls that ended while no daemon watched (e.g. after kill -9) get their real end.
      const records = await closeOrphanRecords(store, {
        isLive: (id) => live.calls.has(id) || adapter.knownCalls().includes(id),
        exists: async (id) => (await client.api(`uuid_exists ${id}`)).trim() !== 'false',
        log,
      })
      const offersClosed = closeOrphanOffers(store, (leg) => adapter.knownLegs().includes(leg))
      fsState.rebuiltAt = clock.now()
      rescanTimer = clock.setTimeout(() => void lookAgain(), SHOW_CHANNELS_LAG_MS)
      log.info({ calls: live.calls.size, legs: live.legs.size, recordsClosed: records.closed, offersClosed }, 'rebuilt the view of live calls from FreeSWITCH')
    } catch (err) {
      log.error({ err }, 'rebuild from FreeSWITCH failed')
    } finally {
      adapter.endRebuild()
      rebuilt = fsState.connected
      const waiters = rebuildWaiters
      rebuildWaiters = []
      for (const w of waiters) w()
    }
  }

  client.on('event', (ev: EslEvent) => adapter.handleEslEvent(ev))
  client.on('ready', () => {
    fsState.connected = true
    delete fsState.lastError
    log.info({ freeswitch: fsState.address }, 'connected to FreeSWITCH')
    void rebuild()
  })
  client.on('disconnected', (reason) => {
    fsState.connected = false
    rebuilt = false
    if (reason) fsState.lastError = reason.message
    if (!stopped) log.warn({ freeswitch: fsState.address, err: reason }, 'lost the connection to FreeSWITCH; calls stay parked there')
  })
  client.on('reconnecting', (info) => {
    fsState.lastError = info.reason
    const line = { freeswitch: fsState.address, reason: info.reason, attempt: info.attempt, retryInMs: info.delayMs }
    // Loud on the first failures, then every 10th so a long outage does not flood the log.
    if (info.attempt <= 3 || info.attempt % 10 === 0) log.warn(line, `cannot reach FreeSWITCH at ${fsState.address}: ${info.reason}; retrying`)
    else log.debug(line, 'retrying FreeSWITCH')
  })

  reloadConfig()
  const connectLoop = (): void => {
    client.connect().catch((err: Error) => {
      if (stopped) return
      fsState.lastError = err.message
      log.error({ freeswitch: fsState.address, err }, `cannot connect to FreeSWITCH at ${fsState.address}: ${err.message}`)
      // Authentication failures are final for the client: try again later (the password may be fixed in FS).
      clock.setTimeout(() => {
        if (!stopped) connectLoop()
      }, 30_000)
    })
  }
  let connecting = false
  const connectFreeSwitch = (): void => {
    if (connecting || stopped) return
    connecting = true
    connectLoop()
  }
  if (opts.connect !== false) connectFreeSwitch()

  const daemon: Daemon = {
    center,
    store,
    clock,
    logger: log,
    freeswitch: fsState,
    dispatch,
    onHandled: (l: HandledListener) => {
      handledListeners.add(l)
      return () => handledListeners.delete(l)
    },
    reloadConfig,
    connectFreeSwitch,
    status: () => center.status(clock.now()),
    whenRebuilt: () => (rebuilt ? Promise.resolve() : new Promise<void>((resolve) => rebuildWaiters.push(resolve))),
    async stop() {
      if (stopped) return
      stopped = true
      timers.clearAll()
      clock.clearTimeout(rescanTimer)
      try {
        await client.close()
      } catch (err) {
        log.warn({ err }, 'closing the ESL connection failed')
      }
      if (ownStore) store.close()
      log.info('koplus daemon stopped; live calls were left in FreeSWITCH')
    },
  }
  return daemon
}

function eventIds(e: CoreEvent): Record<string, string> {
  const out: Record<string, string> = {}
  if ('callId' in e) out.call = e.callId
  if ('legId' in e) out.leg = e.legId
  if ('agentId' in e) out.agent = e.agentId
  return out
}

function eventDetail(e: CoreEvent): Record<string, unknown> {
  switch (e.type) {
    case 'call-arrived':
      return { queue: e.queueNumber, caller: e.callerNumber, restored: !!e.restored }
    case 'call-hungup':
    case 'leg-failed':
    case 'leg-hungup':
      return { cause: e.cause }
    case 'feature-call':
      return { digits: e.digits, sipUser: e.sipUser }
    default:
      return {}
  }
}

function commandIds(c: Command): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  if ('callId' in c) out.call = c.callId
  if ('legId' in c) out.leg = c.legId
  if (c.type === 'originate') out.agents = c.legs.map((l) => l.agentId)
  if (c.type === 'hangup' || c.type === 'hangup-leg') out.cause = c.cause
  if (c.type === 'transfer') out.destination = c.destination
  return out
}
