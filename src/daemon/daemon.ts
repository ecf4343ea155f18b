/**
 * The daemon: wires the store, the pure engine (CallCenter), the FreeSWITCH adapter, the ESL connection and the
 * timers. One event at a time goes through `dispatch`: the engine decides, the daemon carries out the commands
 * (timers on the Clock, persistence in SQLite, call control through the adapter) in the order given.
 *
 * Interface for the HTTP API / CLI (src/api, src/cli):
 *
 *   const daemon = await startDaemon(settings, { logger })
 *   daemon.dispatch({ type: 'agent-login', agentId, source: 'api' })   // → Command[] (already carried out)
 *   await store.queues.update(...); await daemon.reloadConfig()        // after every operator change: the engine
 *                                                                      // gets one event per entity that changed
 *   daemon.status()                                                    // CenterStatus (per queue / agent)
 *   daemon.freeswitch                                                  // { connected, address, lastError }
 *   await daemon.stop()                                                // leaves live calls alone
 *
 * - `dispatch(event)` runs the engine synchronously at `clock.now()`, carries out its commands and returns them.
 *   FreeSWITCH's commands go first; the step's persistence commands are then queued as one job of the store's write
 *   queue (./persist.ts: one transaction, in order, retried through an outage), so the call path never waits for
 *   the store (SQLite or PostgreSQL). A `rejected` command in the result tells the API why an agent action was
 *   refused.
 * - `reloadConfig()` re-reads tenants, queues, agents, memberships, schedules, calendars, closures and prompts from
 *   the store and feeds the engine one ConfigChange event per entity added, changed or removed since the last time
 *   (EngineView.changes; e.g. a closure added is one `closure-added`): the operator's change takes effect at once.
 *   The whole `config` event is sent once, at start-up. The engine times opening and closing itself. Reloads run
 *   one at a time (a chain), their reads go through the write queue (so they see every write queued before), and
 *   each one's changes reach the engine in one synchronous go: an API change and a core event never interleave
 *   half-applied.
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
import { Store, type StoreOptions } from '../store/index.js'
import { SQLITE_GROUP_MS } from '../store/write-queue.js'
import { RealClock, type Clock } from '../util/clock.js'
import { EngineView, type EngineSettings } from './engine-deps.js'
import { FreeSwitchLink, type FreeSwitchSettings, type FreeSwitchState } from './freeswitch-link.js'
import { isPersistCommand, persistStep } from './persist.js'
import { QueuedWork } from './queued-work.js'
import { TimerTable } from './timers.js'
import { Leadership } from './leadership.js'
import { SAFETY_NET_PAGES, WalCheckpointer } from './wal-checkpointer.js'

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
  /** SQLite file (created and migrated if missing); not used when databaseUrl is set. */
  databasePath: string
  /** database.url: a postgres:// URL puts all the daemon's data on PostgreSQL (migrated if needed). */
  databaseUrl?: string
  /** SQLite's settings (database.synchronous, database.cacheMb); PostgreSQL ignores them. */
  database?: { synchronous?: 'NORMAL' | 'FULL'; cacheMb?: number }
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
  /** Use this open store instead of opening databaseUrl/databasePath (the daemon then does not close it on stop). */
  store?: Store
  /** Options of the store the daemon opens (e.g. the write queue's retry timing; tests). */
  storeOptions?: Pick<StoreOptions, 'busyTimeoutMs' | 'synchronous' | 'connectTimeoutMs' | 'writeQueue'>
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
  /** The WAL checkpoints' worker (a SQLite file the daemon opened itself; ./wal-checkpointer.ts). */
  readonly checkpointer?: WalCheckpointer
  /**
   * Runs the engine on one event now and carries out its commands; returns them. Never throws. The event's writes
   * are queued (see `persisted`).
   */
  dispatch(event: CoreEvent): Command[]
  /**
   * Resolves once the writes of every event dispatched so far are in the store (the API answers an agent action or a
   * callback change after them), or after `timeoutMs` (default 5000) while the store is unreachable: the writes stay
   * queued and are written when it is back.
   */
  persisted(timeoutMs?: number): Promise<void>
  /**
   * Re-reads the configuration from the store and feeds the changes to the engine (after every operator change).
   * Reloads run one after another; the promise settles when this one's changes are in the engine.
   */
  reloadConfig(): Promise<void>
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
  /** Stops: timers off, ESL closed with `exit` (calls untouched), queued writes drained, store closed. Idempotent. */
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
  const store =
    opts.store ??
    (await Store.open(settings.databaseUrl ?? settings.databasePath, {
      ...settings.database,
      ...opts.storeOptions,
      // SQLite's group commit (write-queue.ts); PostgreSQL ignores it.
      writeQueue: { groupMs: SQLITE_GROUP_MS, ...opts.storeOptions?.writeQueue },
      logger: log.child({ module: 'store' }),
      clock,
    }))
  // SQLite's WAL checkpoints (the fsyncs) on a worker thread, not inside the daemon's COMMITs (./wal-checkpointer.ts).
  const checkpointer =
    ownStore && store.db.dialect === 'sqlite' && !settings.databaseUrl && settings.databasePath !== ':memory:'
      ? await startCheckpointer(store, settings.databasePath, log)
      : undefined
  const queued = new QueuedWork(store)
  const view = new EngineView(store, settings, { read: (label, fn) => queued.run(label, fn) })
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
    queued,
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
    // Telephony first, bookkeeping second: the ESL commands and timers of this step go out, then its writes are
    // queued as one job of the write queue (one transaction per event, in order) and the call path goes on without
    // waiting for the store (issue 12).
    const writes: Command[] = []
    for (const cmd of commands) {
      if (isPersistCommand(cmd)) writes.push(cmd)
      else carryOut(cmd)
    }
    if (writes.length > 0) persistAll(event, writes)
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
    const info = INFO_EVENTS.has(event.type)
    // The line's objects are built only when it is written (every event passes here: at 10,000 waiting, thousands a second).
    if (!log.isLevelEnabled(info ? 'info' : 'debug')) return
    const ids = eventIds(event)
    if (info) log.info({ ...ids, event: event.type, ...eventDetail(event) }, event.type)
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
      if (INFO_COMMANDS.has(cmd.type)) {
        if (log.isLevelEnabled('info')) log.info({ ...commandIds(cmd), command: cmd.type }, cmd.type)
      } else if (log.isLevelEnabled('debug')) log.debug({ ...commandIds(cmd), command: cmd.type }, cmd.type)
      void link.execute(cmd)
      return
    }
    log.warn({ command: cmd.type }, 'no handler for a core command')
  }

  let lastWrite = 0
  /** Queues an event's persistence commands as one write-queue job (./persist.ts); returns at once. */
  function persistAll(event: CoreEvent, cmds: Command[]): void {
    try {
      lastWrite = persistStep(store, stepLabel(event), cmds, log)
    } catch (err) {
      // only a closed queue (the daemon is stopping) throws here
      log.error({ err, event: event.type }, 'could not queue the writes of an event')
    }
    // A prompt recorded by phone is the queue's prompt from the next caller on: one `prompt-override-set` for the
    // engine, in the reload chain (a reload whose read was queued before this write must not take it away again).
    for (const c of cmds) {
      if (c.type !== 'prompt-recorded') continue
      void serialised(async () => {
        if (stopped || !leading) return
        dispatch(view.promptRecorded(c))
      }).catch((err: unknown) => log.error({ err }, 'applying a recorded prompt failed'))
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
  /** The reload chain: configuration changes reach the engine one reload at a time, in order. */
  let chain: Promise<unknown> = Promise.resolve()
  function serialised<T>(fn: () => Promise<T>): Promise<T> {
    const next = chain.then(fn)
    chain = next.catch(() => undefined)
    return next
  }
  /**
   * Start-up: the whole configuration; afterwards: one event per entity that changed in the store. The read is
   * awaited (through the write queue); its events are then dispatched in one synchronous go.
   */
  function reloadConfig(): Promise<void> {
    return serialised(async () => {
      if (stopped || !leading) return
      if (!configured) {
        const config = await view.load()
        if (stopped || !leading) return
        configured = true
        dispatch({ type: 'config', config })
        return
      }
      const changes = await view.changes()
      if (stopped) return
      for (const change of changes) dispatch(change)
    })
  }

  lead?.on('leading', () => {
    if (stopped) return
    leading = true
    log.info({ nodeId: lead.nodeId }, 'leading: rebuilding from FreeSWITCH and the store, then commanding')
    reloadConfig().then(
      () => link.rebuildAll(),
      (err: unknown) => log.error({ err }, 'reading the configuration from the store failed on taking the lead'),
    )
  })
  lead?.on('fenced', (reason) => {
    leading = false
    timers.clearAll()
    link.stopRescans()
    opts.onFenced?.(reason)
  })
  try {
    await reloadConfig()
  } catch (err) {
    if (ownStore) await store.close()
    throw err
  }
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
    ...(checkpointer ? { checkpointer } : {}),
    dispatch,
    onHandled: (l: HandledListener) => {
      handledListeners.add(l)
      return () => handledListeners.delete(l)
    },
    reloadConfig,
    persisted: async (timeoutMs = 5000) => {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        queued.settled(lastWrite),
        new Promise<void>((resolve) => {
          timer = setTimeout(resolve, timeoutMs)
        }),
      ])
      clearTimeout(timer)
    },
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
      await checkpointer?.stop()
      // The writes still queued are written first (store.close drains the queue, up to 5 s).
      if (ownStore) await store.close()
      log.info('koplus daemon stopped; live calls were left in FreeSWITCH')
    },
  }
  return daemon
}

/** The write-queue label of an event's writes (logged when a write fails): the event and its ids. */
function stepLabel(e: CoreEvent): string {
  const ids = Object.values(eventIds(e))
  return ids.length ? `${e.type} ${ids.join(' ')}` : e.type
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

/** Hands the store's WAL checkpoints to a worker thread; the daemon's connection keeps only a far safety net. */
async function startCheckpointer(store: Store, path: string, log: Logger): Promise<WalCheckpointer> {
  await store.db.get(`PRAGMA wal_autocheckpoint = ${SAFETY_NET_PAGES}`)
  return new WalCheckpointer(path, { logger: log.child({ module: 'wal-checkpoint' }) })
}
