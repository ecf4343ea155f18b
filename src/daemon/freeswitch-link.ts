/**
 * The daemon's FreeSWITCH connections: one ESL client per node (issue 12 part 3; one node "default" from the
 * single-node keys), each node's events fed to its adapter (src/freeswitch/nodes), and on every (re)connection of
 * a node the rebuild of that node's live calls: its registrations and channels are read (`show registrations`,
 * `show channels as json` + `uuid_dump`) and reconciled, waiting callers are handed back to the engine with
 * `restored`, calls that ended meanwhile are reported as hung up. Records and offers left open in the store by a
 * daemon that was killed are closed once every node has been read (a call of a node not read yet is not known
 * dead). A node whose connection stays down past `nodeLostAfterMs` is taken as lost: only its own calls end.
 */
import type { Logger } from 'pino'
import type { Command } from '../core/commands.js'
import type { CoreEvent } from '../core/events.js'
import type { BackoffOptions } from '../freeswitch/esl/backoff.js'
import { EslClient } from '../freeswitch/esl/client.js'
import type { EslEvent } from '../freeswitch/esl/event.js'
import { parseRegistrations, readLiveChannels, withoutEnded, type ReadTimings } from '../freeswitch/adapter/restore.js'
import { FreeSwitchNodes } from '../freeswitch/nodes/nodes.js'
import { gatedPort } from './command-gate.js'
import type { Store } from '../store/index.js'
import type { Clock, TimerHandle } from '../util/clock.js'
import type { StoreReader } from './engine-deps.js'
import type { QueuedWork } from './queued-work.js'
import { annotateFromStore, closeOrphanOffers, closeOrphanRecords, recreateLostRecords } from './reconcile.js'

/** How long after a rebuild the channels are read again (`show channels` lags new channels by up to a second). */
export const SHOW_CHANNELS_LAG_MS = 1500

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

/** One FreeSWITCH node of `freeswitch.nodes`. */
export interface FreeSwitchNodeSettings {
  id: string
  host: string
  port: number
  password: string
  /** Where other nodes reach phones registered here (`${nodeAddress}`; default: host). */
  sipAddress?: string
}

export interface FreeSwitchSettings {
  host: string
  port: number
  password: string
  /** Several nodes (`freeswitch.nodes`); when given, host/port/password above are not used. */
  nodes?: FreeSwitchNodeSettings[]
  /** Dial string for an agent's phone registered on another node than the caller's (src/freeswitch/nodes). */
  interNodeDialString?: string
  /** A node whose connection is down this long is taken as lost, its calls ended (default 30 000 ms). */
  nodeLostAfterMs?: number
  /** Context for uuid_transfer of forwarded callers (default 'default'). */
  transferContext?: string
  /** ESL reconnect back-off (default 250 ms .. 10 s). */
  reconnect?: BackoffOptions
  /** Silence before an `api status` liveness probe, ms (default 5000; 0 = never). See EslClientOptions. */
  idleProbeMs?: number
  /** Wait for any byte after that probe before the link is taken as dead, ms (default 3000). */
  idleProbeTimeoutMs?: number
}

/**
 * Where the last rebuild of a node went (wall-clock ms, from the connection's 'ready'), for the recovery bench and
 * diagnostics: `show registrations`, the channels read (`show channels` + `uuid_dump`s), their JSON parsed and
 * classified, the reconcile (store lookups, `uuid_exists` of calls not listed, lost offers ended), and the restored
 * callers handed to the engine in one step with its commands carried out (`dispatchMs`: engine + commands).
 */
export interface RebuildFigures {
  calls: number
  channels: number
  registrationsMs: number
  fetchMs: number
  parseMs: number
  reconcileMs: number
  dispatchMs: number
  totalMs: number
}

/** One node's connection, for `koplus status`, doctor and /metrics. */
export interface FreeSwitchNodeState {
  id: string
  address: string
  connected: boolean
  lastError?: string
  rebuiltAt?: number
  /** Where the last rebuild's time went. */
  lastRebuild?: RebuildFigures
  /** Down past the grace time: its calls were ended. */
  lost: boolean
  /** Queue calls and agent legs handled on this node, SIP users registered on it. */
  calls: number
  legs: number
  registrations: number
}

/** The state of the FreeSWITCH connection(s), for `koplus status` and the API. */
export interface FreeSwitchState {
  /** host:port, or the nodes' addresses separated by ', '. */
  address: string
  /** Every node is connected. */
  connected: boolean
  /** Why the last connection attempt failed / the connection was lost (prefixed with the node id when several). */
  lastError?: string
  /** Epoch ms of the last completed rebuild from FreeSWITCH. */
  rebuiltAt?: number
  /** Per node (one entry, id "default", with the single-node keys). */
  nodes?: FreeSwitchNodeState[]
}

interface NodeLink {
  id: string
  address: string
  client: EslClient
  connected: boolean
  rebuilt: boolean
  lastError?: string
  rebuiltAt?: number
  lastRebuild?: RebuildFigures
  rescanTimer?: TimerHandle
}

export interface FreeSwitchLinkDeps {
  settings: FreeSwitchSettings
  clock: Clock
  log: Logger
  store: Store
  /** Store reads and writes of a rebuild, in the write queue's order (./queued-work.ts); default: plain transactions. */
  queued?: QueuedWork
  dispatch: (event: CoreEvent) => void
  /**
   * Active/standby (./leadership.ts): whether this daemon may command FreeSWITCH now. Every command leaves through a
   * gate (./command-gate.ts) that refuses it otherwise; read-only commands always pass. Default: always.
   */
  mayCommand?: () => boolean
  /** Whether this daemon leads: a standby stays connected and subscribed but hands no event on and rebuilds nothing. */
  leading?: () => boolean
  /** This daemon's role for the log ('leader', 'standby', …; ./leadership.ts). Default 'leader'. */
  role?: () => string
  /** Turns a file id of a play command into what FreeSWITCH plays (adapter option). */
  resolveFile?: (file: string) => string
}

/** The nodes of a settings object: `nodes`, or one node "default" from host/port/password. */
export function nodesOf(s: FreeSwitchSettings): FreeSwitchNodeSettings[] {
  return s.nodes && s.nodes.length > 0 ? s.nodes : [{ id: 'default', host: s.host, port: s.port, password: s.password }]
}

/** The daemon's FreeSWITCH side: connections, adapters, rebuilds. */
export class FreeSwitchLink {
  readonly nodes: FreeSwitchNodes
  readonly state: FreeSwitchState
  readonly #links: NodeLink[]
  readonly #deps: FreeSwitchLinkDeps
  #stopped = false
  #connecting = false
  #rebuildWaiters: (() => void)[] = []

  constructor(deps: FreeSwitchLinkDeps) {
    this.#deps = deps
    const { settings, log, clock } = deps
    const specs = nodesOf(settings)
    const several = specs.length > 1
    this.#links = specs.map((n) => ({
      id: n.id,
      address: `${n.host}:${n.port}`,
      connected: false,
      rebuilt: false,
      client: new EslClient({
        host: n.host,
        port: n.port,
        password: n.password,
        format: 'json',
        events: DAEMON_EVENTS,
        reconnect: settings.reconnect ?? {},
        idleProbeMs: settings.idleProbeMs ?? 5000,
        idleProbeTimeoutMs: settings.idleProbeTimeoutMs ?? 3000,
        logger: several ? log.child({ module: 'esl', node: n.id }) : log.child({ module: 'esl' }),
      }),
    }))
    this.nodes = new FreeSwitchNodes(
      specs.map((n, i) => ({
        id: n.id,
        sipAddress: n.sipAddress ?? n.host,
        port: deps.mayCommand ? gatedPort(this.#links[i].client, deps.mayCommand) : this.#links[i].client,
      })),
      (ev) => deps.dispatch(ev),
      {
        transferContext: settings.transferContext ?? 'default',
        ...(deps.resolveFile ? { resolveFile: deps.resolveFile } : {}),
        logger: log.child({ module: 'adapter' }),
        now: () => clock.now(),
        clock,
        ...(settings.interNodeDialString ? { interNodeDialString: settings.interNodeDialString } : {}),
        ...(settings.nodeLostAfterMs !== undefined ? { lostAfterMs: settings.nodeLostAfterMs } : {}),
      },
    )
    const links = this.#links
    const perNode = (): FreeSwitchNodeState[] => {
      const figures = new Map(this.nodes.perNode().map((f) => [f.id, f]))
      return links.map((l) => {
        const f = figures.get(l.id)!
        return {
          id: l.id,
          address: l.address,
          connected: l.connected,
          ...(l.lastError ? { lastError: l.lastError } : {}),
          ...(l.rebuiltAt !== undefined ? { rebuiltAt: l.rebuiltAt } : {}),
          ...(l.lastRebuild ? { lastRebuild: l.lastRebuild } : {}),
          lost: f.lost,
          calls: f.calls,
          legs: f.legs,
          registrations: f.registrations,
        }
      })
    }
    this.state = {
      get address() {
        return links.map((l) => l.address).join(', ')
      },
      get connected() {
        return links.every((l) => l.connected)
      },
      get lastError() {
        const bad = links.find((l) => l.lastError)
        return bad ? (several ? `${bad.id}: ${bad.lastError}` : bad.lastError) : undefined
      },
      get rebuiltAt() {
        const at = links.map((l) => l.rebuiltAt)
        return at.every((a) => a !== undefined) ? Math.min(...at) : undefined
      },
      get nodes() {
        return perNode()
      },
    }
    for (const l of links) this.#wire(l, several)
  }

  /** Carries out one call/leg command on its node (never rejects). */
  execute(cmd: Command): Promise<void> {
    return this.nodes.execute(cmd)
  }

  /** Starts connecting every node (in the background, retrying), if not started yet. */
  connect(): void {
    if (this.#connecting || this.#stopped) return
    this.#connecting = true
    for (const l of this.#links) this.#connectLoop(l)
  }

  /** Takeover (this daemon became the leader): rebuild every connected node's view, as a restart does. */
  rebuildAll(): void {
    for (const l of this.#links) if (l.connected && !this.#stopped) void this.#rebuild(l)
  }

  /** Fenced: no second look at the channels is pending any more. */
  stopRescans(): void {
    for (const l of this.#links) {
      this.#deps.clock.clearTimeout(l.rescanTimer)
      l.rescanTimer = undefined
    }
  }

  /** Resolves once every node's view has been rebuilt on its current connection. */
  whenRebuilt(): Promise<void> {
    return this.#allRebuilt() ? Promise.resolve() : new Promise<void>((resolve) => this.#rebuildWaiters.push(resolve))
  }

  /** Closes every connection with `exit` (calls untouched). */
  async stop(): Promise<void> {
    this.#stopped = true
    this.nodes.stop()
    for (const l of this.#links) this.#deps.clock.clearTimeout(l.rescanTimer)
    await Promise.all(
      this.#links.map(async (l) => {
        try {
          await l.client.close()
        } catch (err) {
          this.#deps.log.warn({ err, node: l.id }, 'closing the ESL connection failed')
        }
      }),
    )
  }

  #allRebuilt(): boolean {
    return this.#links.every((l) => l.rebuilt)
  }

  #wire(l: NodeLink, several: boolean): void {
    const { log } = this.#deps
    const adapter = this.nodes.adapter(l.id)
    const where = several ? { freeswitch: l.address, node: l.id } : { freeswitch: l.address }
    const leading = this.#deps.leading ?? (() => true)
    l.client.on('event', (ev: EslEvent) => {
      if (leading()) adapter.handleEslEvent(ev)
    })
    l.client.on('ready', () => {
      l.connected = true
      delete l.lastError
      this.nodes.nodeUp(l.id)
      log.info({ ...where, role: this.#deps.role?.() ?? 'leader' }, 'connected to FreeSWITCH')
      if (leading()) void this.#rebuild(l)
    })
    l.client.on('disconnected', (reason) => {
      l.connected = false
      l.rebuilt = false
      if (reason) l.lastError = reason.message
      if (this.#stopped) return
      this.nodes.nodeDown(l.id)
      log.warn({ ...where, err: reason }, 'lost the connection to FreeSWITCH; calls stay parked there')
    })
    l.client.on('reconnecting', (info) => {
      l.lastError = info.reason
      const line = { ...where, reason: info.reason, attempt: info.attempt, retryInMs: info.delayMs }
      // Loud on the first failures, then every 10th so a long outage does not flood the log.
      if (info.attempt <= 3 || info.attempt % 10 === 0)
        log.warn(line, `cannot reach FreeSWITCH at ${l.address}: ${info.reason}; retrying`)
      else log.debug(line, 'retrying FreeSWITCH')
    })
  }

  #connectLoop(l: NodeLink): void {
    const { log, clock } = this.#deps
    l.client.connect().catch((err: Error) => {
      if (this.#stopped) return
      l.lastError = err.message
      this.nodes.nodeDown(l.id)
      log.error(
        { freeswitch: l.address, node: l.id, err },
        `cannot connect to FreeSWITCH at ${l.address}: ${err.message}`,
      )
      // Authentication failures are final for the client: try again later (the password may be fixed in FS).
      clock.setTimeout(() => {
        if (!this.#stopped) this.#connectLoop(l)
      }, 30_000)
    })
  }

  #onInvalid(call: string, problems: unknown): void {
    this.#deps.log.warn(
      { call, problems },
      'invalid koplus_* channel variables on rebuild; kept the caller with safe values',
    )
  }

  async #rebuild(l: NodeLink): Promise<void> {
    const { clock, store, log } = this.#deps
    const adapter = this.nodes.adapter(l.id)
    clock.clearTimeout(l.rescanTimer)
    l.rescanTimer = undefined
    adapter.beginRebuild()
    const hangups = adapter.watchHangups()
    const t0 = performance.now()
    const read: ReadTimings = { fetchMs: 0, parseMs: 0, channels: 0 }
    let registrationsMs = 0
    let reconcileMs = 0
    let calls = 0
    try {
      adapter.registrationsFromSwitch(parseRegistrations(await l.client.api('show registrations as json')))
      registrationsMs = performance.now() - t0
      let live = await readLiveChannels(
        l.client,
        clock.now(),
        (call, problems) => this.#onInvalid(call, problems),
        undefined,
        read,
      )
      live = withoutEnded(live, hangups.ended)
      calls = live.calls.size
      const t1 = performance.now()
      const known = new Set(this.nodes.knownCalls())
      await this.#run('rebuild: read the call records', async (s) => {
        await annotateFromStore(s, live)
        await recreateLostRecords(s, live, { skip: (id) => known.has(id), log })
      })
      // Channels that ended while the store was read are not restored either.
      live = withoutEnded(live, hangups.ended)
      await adapter.reconcile(live)
      reconcileMs = performance.now() - t1
      // Records of calls that ended while no daemon watched (e.g. after kill -9) get their real end — once every
      // node has been read, so that a call of another node is not taken for dead.
      let orphans = {}
      if (this.#links.every((o) => o === l || o.rebuilt)) {
        const records = await closeOrphanRecords(store, {
          isLive: (id) => live.calls.has(id) || this.nodes.knownCalls().includes(id),
          exists: (id) => this.#existsAnywhere(id),
          log,
          run: this.#run,
        })
        const offersClosed = await closeOrphanOffers(store, (leg) => this.nodes.knownLegs().includes(leg), this.#run)
        orphans = { recordsClosed: records.closed, offersClosed }
      }
      l.rebuiltAt = clock.now()
      l.rescanTimer = clock.setTimeout(() => void this.#lookAgain(l), SHOW_CHANNELS_LAG_MS)
      log.info(
        { node: l.id, calls: live.calls.size, legs: live.legs.size, ...orphans },
        'rebuilt the view of live calls from FreeSWITCH',
      )
    } catch (err) {
      log.error({ err, node: l.id }, 'rebuild from FreeSWITCH failed')
    } finally {
      hangups.stop()
      // The restored callers go to the engine here, in one step (calls-restored), and its commands are carried out.
      const t2 = performance.now()
      adapter.endRebuild()
      const end = performance.now()
      l.lastRebuild = {
        calls,
        channels: read.channels,
        registrationsMs,
        fetchMs: read.fetchMs,
        parseMs: read.parseMs,
        reconcileMs,
        dispatchMs: end - t2,
        totalMs: end - t0,
      }
      l.rebuilt = l.connected
      if (this.#links.length === 1 || this.#allRebuilt()) {
        const waiters = this.#rebuildWaiters
        this.#rebuildWaiters = []
        for (const w of waiters) w()
      }
    }
  }

  /** A rebuild's store work, after the writes the call path queued before it. */
  readonly #run: StoreReader = (label, fn) =>
    this.#deps.queued ? this.#deps.queued.run(label, fn) : this.#deps.store.tx(fn)

  /** uuid_exists on every connected node: live if any says so (or cannot say). */
  async #existsAnywhere(id: string): Promise<boolean> {
    for (const o of this.#links) {
      if (!o.connected) return true
      if ((await o.client.api(`uuid_exists ${id}`)).trim() !== 'false') return true
    }
    return false
  }

  /**
   * `show channels` lags new channels by up to a second (capture inbound-introspection): a caller that parked just
   * before a rebuild — while no daemon listened — is not listed, and parks only once, so it would wait forever.
   * A second look after the lag finds it (calls already known are left alone by reconcile).
   *
   * FreeSWITCH is read first with arrivals flowing: usually everything listed is known by now, and then neither the
   * store nor the arrivals are touched. Only when the reading holds something new are arrivals held (so that the
   * callers found keep their place before new ones), the store read through the write queue and the view
   * reconciled. Holding every arrival for the whole look cost callers seconds when the write queue was long
   * (issue 12: the load bench on PostgreSQL, caller parked → answer p90 3.2 s).
   */
  async #lookAgain(l: NodeLink): Promise<void> {
    const { clock, log } = this.#deps
    l.rescanTimer = undefined
    if (this.#stopped || !l.connected) return
    const adapter = this.nodes.adapter(l.id)
    let holding = false
    let found = 0
    const hangups = adapter.watchHangups()
    try {
      let live = await readLiveChannels(l.client, clock.now(), (call, problems) => this.#onInvalid(call, problems))
      live = withoutEnded(live, hangups.ended)
      if (this.#stopped || !adapter.hasUnknown(live)) return
      adapter.beginRebuild()
      holding = true
      const known = new Set(this.nodes.knownCalls())
      for (const id of live.calls.keys()) if (!known.has(id)) found++
      await this.#run('second look: read the call records', async (s) => {
        await annotateFromStore(s, live)
        await recreateLostRecords(s, live, { skip: (id) => known.has(id), log })
      })
      live = withoutEnded(live, hangups.ended)
      await adapter.reconcile(live)
    } catch (err) {
      log.warn({ err, node: l.id }, 'second look at the live calls failed')
    } finally {
      hangups.stop()
      if (holding) adapter.endRebuild()
    }
    if (found > 0) log.info({ found, node: l.id }, 'found calls FreeSWITCH had not listed yet at the rebuild')
  }
}
