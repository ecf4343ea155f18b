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
 * Restart recovery: on every (re)connection to a FreeSWITCH node the daemon reads its registrations and every live
 * channel (`show channels as json` + `uuid_dump`) and reconciles (adapter.reconcile): waiting callers are handed back
 * to the engine with `restored` (their koplus_joined_at / koplus_seq keep their place), calls that ended meanwhile are
 * reported as hung up. The connections (one per node of `freeswitch.nodes`) are set up in ./freeswitch-link.ts.
 */
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import pino, { type Logger } from 'pino'
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'
import { CallCenter } from '../core/engine/call-center.js'
import type { CenterStatus } from '../core/engine/status.js'
import { FreeSwitchAdapter } from '../freeswitch/adapter/adapter.js'
import { Store } from '../store/index.js'
import { RealClock, type Clock } from '../util/clock.js'
import { EngineView, type EngineSettings } from './engine-deps.js'
import { FreeSwitchLink, type FreeSwitchSettings, type FreeSwitchState } from './freeswitch-link.js'
import { isPersistCommand, persist } from './persist.js'
import { TimerTable } from './timers.js'
import { Leadership } from './leadership.js'

export {
  DAEMON_EVENTS,
  SHOW_CHANNELS_LAG_MS,
  type FreeSwitchNodeSettings,
  type FreeSwitchNodeState,
  type FreeSwitchSettings,
  type FreeSwitchState,
} from './freeswitch-link.js'

/** What the daemon needs to run (built from the config file by runDaemonCommand). */
export interface DaemonSettings extends EngineSettings {
  /** SQLite file (created and migrated if missing). */
  databasePath: string
  /** The FreeSWITCH node(s): host/port/password, or `nodes` (./freeswitch-link.ts). */
  freeswitch: FreeSwitchSettings
  /**
   * Active/standby over PostgreSQL (database.url; ./leadership.ts): the daemon commands FreeSWITCH only while it
   * holds the leader lock. Unset: it always leads (one daemon, the default).
   */
  leadership?: {
    url: string
    nodeId: string
    heartbeatMs?: number
    fenceMs?: number
    graceMs?: number
    pollMs?: number
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
  /** A leader that lost PostgreSQL has stopped commanding (self-fenced); koplus daemon exits to restart as a standby. */
  onFenced?: (reason: string) => void
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
  /** Active/standby (settings.leadership); undefined for a single daemon, which always leads. */
  readonly leadership?: Leadership
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

/** Core events worth an info line (the rest are debug). */
const INFO_EVENTS = new Set([
  'call-arrived',
  'call-hungup',
  'bridged',
  'leg-failed',
  'leg-hungup',
  'agent-login',
  'agent-logout',
  'feature-call',
])
const INFO_COMMANDS = new Set(['originate', 'bridge', 'bridge-legs', 'hangup', 'transfer', 'rejected'])

/** Starts the daemon: opens the store, loads the engine, connects to FreeSWITCH (in the background, retrying). */
export async function startDaemon(settings: DaemonSettings, opts: DaemonOptions = {}): Promise<Daemon> {
  const clock = opts.clock ?? new RealClock()
  const log = opts.logger ?? pino({ level: 'silent' })
  const ownStore = !opts.store
  const store = opts.store ?? Store.open(settings.databasePath, { logger: log.child({ module: 'store' }), clock })
  const view = new EngineView(store, settings)
  const center = new CallCenter()
  const lead = settings.leadership
    ? new Leadership({ ...settings.leadership, logger: log.child({ module: 'leadership' }) })
    : undefined
  /** The engine runs and FreeSWITCH is commanded only while this daemon leads (always, without leadership). */
  let leading = !lead
  // The FreeSWITCH node(s): one ESL connection each, their adapters and rebuilds (./freeswitch-link.ts). Every
  // command to FreeSWITCH leaves through the link's gate, which refuses them unless this daemon may command now.
  const link = new FreeSwitchLink({
    settings: settings.freeswitch,
    clock,
    log,
    store,
    dispatch: (ev) => dispatch(ev),
    ...(lead ? { mayCommand: () => lead.mayCommand() } : {}),
    leading: () => leading,
    role: () => lead?.role ?? 'leader',
  })
  const fsState: FreeSwitchState = link.state
  const timers = new TimerTable(clock, (id) => dispatch({ type: 'timer', id }))
  let stopped = false
  let connecting = false

  const handledListeners = new Set<HandledListener>()

  function dispatch(event: CoreEvent): Command[] {
    if (stopped || !leading) return []
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
      void link.execute(cmd)
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
    if (stopped || !leading) return
    if (!configured) {
      configured = true
      dispatch({ type: 'config', config: view.load() })
      return
    }
    for (const change of view.changes()) dispatch(change)
  }

  lead?.on('leading', () => {
    if (stopped) return
    leading = true
    log.info({ nodeId: lead.nodeId }, 'leading: rebuilding from FreeSWITCH and the store, then commanding')
    reloadConfig()
    link.rebuildAll()
  })
  lead?.on('fenced', (reason) => {
    leading = false
    timers.clearAll()
    link.stopRescans()
    opts.onFenced?.(reason)
  })
  reloadConfig()
  const connectFreeSwitch = (): void => {
    if (connecting || stopped) return
    connecting = true
    lead?.start()
    link.connect()
  }
  if (opts.connect !== false) connectFreeSwitch()

  const daemon: Daemon = {
    center,
    store,
    clock,
    logger: log,
    freeswitch: fsState,
    ...(lead ? { leadership: lead } : {}),
    dispatch,
    onHandled: (l: HandledListener) => {
      handledListeners.add(l)
      return () => handledListeners.delete(l)
    },
    reloadConfig,
    connectFreeSwitch,
    status: () => center.status(clock.now()),
    whenRebuilt: () => link.whenRebuilt(),
    async stop() {
      if (stopped) return
      stopped = true
      timers.clearAll()
      await link.stop()
      // After the ESL connections: releasing the lock lets a standby take over at once.
      await lead?.stop()
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
