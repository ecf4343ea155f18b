/**
 * Active/standby daemons (issue 12, item 2): which of several daemons sharing one PostgreSQL commands FreeSWITCH.
 *
 * Exactly one leads: the one holding a session-level advisory lock (`pg_try_advisory_lock`) on a dedicated
 * connection of its own (not the store's pool). Why a lock and not a lease row: docs/scale-out.md, "Who leads".
 *
 *   const lead = new Leadership({ url, nodeId, apiUrl, logger })
 *   lead.on('leading', () => …)      // may command FreeSWITCH from now on (the takeover grace has passed)
 *   lead.on('fenced', (why) => …)    // lost the lock or could not prove it holds it: commands are already refused
 *   lead.start()
 *   lead.mayCommand()                // checked synchronously before every command (src/daemon/command-gate.ts)
 *
 * Self-fencing. The leader runs `SELECT 1` on its lock connection every `heartbeatMs`. `mayCommand()` is true only
 * while the last heartbeat that succeeded was *sent* less than `fenceMs` ago (monotonic clock). The server can only
 * release the lock after that connection died, and the connection was alive when that heartbeat reached it, so a
 * leader cut off from PostgreSQL refuses commands no later than `fenceMs` after the lock could first pass. A new
 * leader waits `graceMs` (> fenceMs) after taking the lock before its first command: the two never overlap, whether
 * the old one's connection broke cleanly (kill -9: the server releases at once) or silently (a black-holed network:
 * the server's TCP keepalive / tcp_user_timeout, set on this session, releases it within a few seconds).
 */
import { EventEmitter } from 'node:events'
import pg from 'pg'
import type { Logger } from 'pino'
import { isWildcardHost } from '../config/advertise-url.js'
import { redactUrl } from '../store/pg/pg-db.js'

/** pg_advisory_lock(classid, objid) keys: 'kopl' 'lead' in ASCII (the migration lock uses the single-key form). */
export const LEADER_LOCK_KEYS = [0x6b6f706c, 0x6c656164] as const

export type Role = 'starting' | 'standby' | 'leader' | 'fenced'

/** Who leads, as every daemon sees it (status API, `koplus status`). */
export interface LeaderInfo {
  nodeId: string
  /** The leader's control API, when it said (for forwarding / the 503's `leader.api`). */
  api?: string
}

export interface LeadershipState {
  role: Role
  nodeId: string
  /** The leader as last seen (this daemon when leading); undefined when none is known. */
  leader?: LeaderInfo
  /** Epoch ms at which this daemon became leader. */
  since?: number
  /** Why this daemon was fenced / the last lock-connection error. */
  lastError?: string
}

export interface LeadershipOptions {
  /** postgres://… (database.url). */
  url: string
  /** This daemon's name in status and logs (default hostname:pid, chosen by the caller). */
  nodeId: string
  /** This daemon's control API URL, advertised to the others. */
  apiUrl?: string
  logger?: Logger
  /** Heartbeat period while leading (default 200 ms). */
  heartbeatMs?: number
  /** No successful heartbeat sent within this long: fenced (default 800 ms). */
  fenceMs?: number
  /** Takeover grace: a new leader's first command waits this long after the lock (default fenceMs + 100 ms). */
  graceMs?: number
  /** How often a standby tries the lock and reads who leads (default 200 ms). */
  pollMs?: number
  /** Monotonic milliseconds (tests); default performance.now. */
  monotonic?: () => number
}

interface LeadershipEvents {
  leading: []
  fenced: [reason: string]
  standby: []
}

/** PostgreSQL keeps this many bytes of application_name (NAMEDATALEN - 1); the rest is cut off. */
const APPLICATION_NAME_MAX = 63

/**
 * What this daemon advertises as its API (api.advertiseUrl, else the address it listens on), or the problem that
 * makes the daemon refuse to start (the caller throws it as a StartupError naming `key`). Only a daemon of a pair
 * (database.url) advertises. Refused:
 * - api.host a wildcard (0.0.0.0, ::) without api.advertiseUrl: `http://0.0.0.0:8080` names no machine; a standby
 *   forwarding there reaches itself (docs/scale-out.md, "Which address a daemon advertises").
 * - `koplus <nodeId> <url>` longer than PostgreSQL keeps of application_name: the URL would be cut off, and the
 *   standbys would not know where to forward.
 * `listening` is the listening URL, or, before the API listens, `http://<api.host>:<api.port>`.
 */
export function advertisedApi(o: {
  nodeId: string
  advertiseUrl: string | null
  host: string
  listening: string
}): { url: string } | { key: 'api.advertiseUrl'; problem: string } {
  if (o.advertiseUrl === null && isWildcardHost(o.host))
    return {
      key: 'api.advertiseUrl',
      problem: `api.host ${o.host} listens on every address, so the other daemons of the pair (database.url) cannot be told where this one's API is; set api.advertiseUrl to this host's address as they reach it, e.g. http://10.0.0.5:8080 (docs/scale-out.md)`,
    }
  const url = o.advertiseUrl ?? o.listening
  const name = `koplus ${o.nodeId.replace(/\s+/g, '_')} ${url}`
  if (Buffer.byteLength(name) > APPLICATION_NAME_MAX)
    return {
      key: 'api.advertiseUrl',
      problem: `"${name}" is ${Buffer.byteLength(name)} bytes; PostgreSQL keeps ${APPLICATION_NAME_MAX} of the lock connection's application_name, which tells the standbys who leads and where its API is; shorten KOPLUS_NODE_ID or the advertised URL ${url} (an IP address, a short host name)`,
    }
  return { url }
}

/** application_name of a lock connection: `koplus <nodeId> <apiUrl>` (PostgreSQL keeps 63 bytes). */
function applicationName(nodeId: string, apiUrl: string | undefined): string {
  const name = `koplus ${nodeId.replace(/\s+/g, '_')}${apiUrl ? ` ${apiUrl}` : ''}`
  return Buffer.byteLength(name) <= 63 ? name : `koplus ${nodeId.replace(/\s+/g, '_')}`.slice(0, 63)
}

export function parseApplicationName(name: string): LeaderInfo | undefined {
  const m = /^koplus (\S+)(?: (\S+))?$/.exec(name)
  if (!m) return undefined
  return { nodeId: m[1], ...(m[2] ? { api: m[2] } : {}) }
}

export class Leadership extends EventEmitter<LeadershipEvents> {
  readonly nodeId: string
  readonly #o: Required<Omit<LeadershipOptions, 'apiUrl' | 'logger'>> & Pick<LeadershipOptions, 'apiUrl' | 'logger'>
  #client: pg.Client | undefined
  #role: Role = 'starting'
  #leader: LeaderInfo | undefined
  #since: number | undefined
  #lastError: string | undefined
  /** Monotonic time the last successful heartbeat (or the lock query) was sent. */
  #lastOkSentAt = -Infinity
  /** Monotonic time from which a new leader may command (the takeover grace). */
  #commandFrom = Infinity
  #timer: NodeJS.Timeout | undefined
  #graceTimer: NodeJS.Timeout | undefined
  #watchdog: NodeJS.Timeout | undefined
  #inFlight = false
  #stopped = false
  #warnedNoApi = false

  constructor(opts: LeadershipOptions) {
    super()
    const fenceMs = opts.fenceMs ?? 800
    this.nodeId = opts.nodeId
    this.#o = {
      url: opts.url,
      nodeId: opts.nodeId,
      apiUrl: opts.apiUrl,
      logger: opts.logger,
      heartbeatMs: opts.heartbeatMs ?? 200,
      fenceMs,
      graceMs: opts.graceMs ?? fenceMs + 100,
      pollMs: opts.pollMs ?? 200,
      monotonic: opts.monotonic ?? (() => performance.now()),
    }
    if (this.#o.graceMs <= fenceMs)
      throw new RangeError(`leadership: graceMs (${this.#o.graceMs}) must exceed fenceMs (${fenceMs})`)
    if (this.#o.heartbeatMs * 2 > fenceMs)
      throw new RangeError(
        `leadership: fenceMs (${fenceMs}) must be at least two heartbeats (${this.#o.heartbeatMs} ms)`,
      )
  }

  get role(): Role {
    return this.#role
  }

  /** The control API advertised by this daemon (set once the API listens, before start()). */
  set apiUrl(url: string | undefined) {
    this.#o.apiUrl = url
  }

  state(): LeadershipState {
    return {
      role: this.#role,
      nodeId: this.nodeId,
      ...(this.#leader ? { leader: this.#leader } : {}),
      ...(this.#since !== undefined ? { since: this.#since } : {}),
      ...(this.#lastError ? { lastError: this.#lastError } : {}),
    }
  }

  /**
   * May this daemon send FreeSWITCH a command now? Synchronous and cheap: called before every command. True only
   * for the leader, after the takeover grace, while its last successful heartbeat was sent less than fenceMs ago.
   */
  mayCommand(): boolean {
    if (this.#role !== 'leader') return false
    const now = this.#o.monotonic()
    if (now < this.#commandFrom) return false
    if (now - this.#lastOkSentAt >= this.#o.fenceMs) {
      this.#fence(`no heartbeat answered by PostgreSQL for ${this.#o.fenceMs} ms`)
      return false
    }
    return true
  }

  start(): void {
    if (this.#stopped || this.#client) return
    this.#role = 'standby'
    this.#schedule(0)
  }

  async stop(): Promise<void> {
    this.#stopped = true
    clearTimeout(this.#timer)
    clearTimeout(this.#graceTimer)
    clearInterval(this.#watchdog)
    if (this.#role === 'leader') this.#role = 'fenced'
    const c = this.#client
    this.#client = undefined
    // Closing the session releases the lock at once: a standby takes over without waiting for a timeout.
    if (c) await closeClient(c)
  }

  #schedule(ms: number): void {
    if (this.#stopped) return
    clearTimeout(this.#timer)
    this.#timer = setTimeout(() => void this.#tick(), ms)
    this.#timer.unref()
  }

  async #connect(): Promise<pg.Client> {
    const name = applicationName(this.nodeId, this.#o.apiUrl)
    if (this.#o.apiUrl && !parseApplicationName(name)?.api && !this.#warnedNoApi) {
      this.#warnedNoApi = true
      this.#o.logger?.warn(
        { nodeId: this.nodeId, api: this.#o.apiUrl },
        'leadership: "koplus <node id> <API URL>" exceeds the 63 bytes PostgreSQL keeps of application_name, so the API is not advertised and standbys answer changes 503; shorten KOPLUS_NODE_ID or set a shorter api.advertiseUrl',
      )
    }
    const c = new pg.Client({
      connectionString: this.#o.url,
      application_name: name,
      connectionTimeoutMillis: Math.max(1000, this.#o.fenceMs),
      keepAlive: true,
      keepAliveInitialDelayMillis: 1000,
    })
    c.on('error', (err) => this.#lost(c, err))
    c.on('end', () => this.#lost(c, new Error('the lock connection to PostgreSQL closed')))
    await c.connect()
    // The server side: notice a vanished daemon within seconds (keepalives while idle, tcp_user_timeout while
    // data is unacknowledged), so a partitioned leader's lock is released and a standby can take over.
    // idle_session_timeout (PostgreSQL 14+): a leader whose heartbeats stop arriving — frozen, SIGSTOPped, or behind
    // a link that still ACKs but passes nothing — loses its session, and so the lock, after twice fenceMs.
    await c.query(
      `SET tcp_keepalives_idle = 1; SET tcp_keepalives_interval = 1; SET tcp_keepalives_count = 2; SET tcp_user_timeout = 3000; SET idle_session_timeout = ${2 * this.#o.fenceMs}`,
    )
    return c
  }

  /** The lock connection failed or closed. */
  #lost(c: pg.Client, err: Error): void {
    if (c !== this.#client) return
    this.#client = undefined
    this.#lastError = err.message
    if (this.#role === 'leader') this.#fence(`lost the lock connection to PostgreSQL: ${err.message}`)
    else this.#schedule(this.#o.pollMs)
  }

  async #tick(): Promise<void> {
    if (this.#stopped || this.#inFlight) return
    this.#inFlight = true
    const sentAt = this.#o.monotonic()
    try {
      if (this.#role === 'fenced') return
      if (!this.#client) {
        try {
          const fresh = await this.#connect()
          if (this.#stopped) {
            await closeClient(fresh)
            return
          }
          this.#client = fresh
        } catch (err) {
          this.#client = undefined
          const msg = (err as Error).message
          if (msg !== this.#lastError)
            this.#o.logger?.warn(
              { err, url: redactUrl(this.#o.url) },
              'leadership: cannot reach PostgreSQL; staying standby',
            )
          this.#lastError = msg
          return
        }
      }
      const c = this.#client
      if (this.#role === 'leader') {
        await c.query('SELECT 1')
        if (c === this.#client && this.#role === 'leader') this.#lastOkSentAt = sentAt
        return
      }
      const r = await c.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1, $2) AS got', [...LEADER_LOCK_KEYS])
      if (c !== this.#client || this.#stopped) return
      if (r.rows[0]?.got) this.#becomeLeader(sentAt)
      else this.#leader = await this.#readLeader(c)
    } catch (err) {
      this.#lastError = (err as Error).message
      if (this.#role === 'leader') this.#fence(`heartbeat failed: ${(err as Error).message}`)
    } finally {
      this.#inFlight = false
      if (this.#role === 'leader') this.#schedule(this.#o.heartbeatMs)
      else if (this.#role === 'standby') this.#schedule(this.#o.pollMs)
    }
  }

  async #readLeader(c: pg.Client): Promise<LeaderInfo | undefined> {
    const r = await c.query<{ name: string }>(
      `SELECT a.application_name AS name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
        WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2`,
      [...LEADER_LOCK_KEYS],
    )
    return r.rows[0] ? parseApplicationName(r.rows[0].name) : undefined
  }

  #becomeLeader(sentAt: number): void {
    this.#role = 'leader'
    this.#lastOkSentAt = sentAt
    this.#since = Date.now()
    this.#leader = { nodeId: this.nodeId, ...(this.#o.apiUrl ? { api: this.#o.apiUrl } : {}) }
    this.#commandFrom = this.#o.monotonic() + this.#o.graceMs
    this.#o.logger?.info(
      { nodeId: this.nodeId, graceMs: this.#o.graceMs },
      'leadership: took the leader lock; commanding FreeSWITCH after the takeover grace',
    )
    this.#graceTimer = setTimeout(() => {
      if (this.#role === 'leader' && !this.#stopped) this.emit('leading')
    }, this.#o.graceMs)
    this.#graceTimer.unref()
    // A heartbeat that never returns (a black-holed network) must fence too, even if nothing asks mayCommand().
    this.#watchdog = setInterval(
      () => {
        if (this.#role === 'leader' && this.#o.monotonic() - this.#lastOkSentAt >= this.#o.fenceMs)
          this.#fence(`no heartbeat answered by PostgreSQL for ${this.#o.fenceMs} ms`)
      },
      Math.max(10, Math.floor(this.#o.heartbeatMs / 4)),
    )
    this.#watchdog.unref()
  }

  /** Stop commanding at once; the daemon decides what follows (it exits, to come back as a standby). */
  #fence(reason: string): void {
    if (this.#role !== 'leader') return
    this.#role = 'fenced'
    this.#lastError = reason
    this.#leader = undefined
    clearTimeout(this.#graceTimer)
    clearTimeout(this.#timer)
    clearInterval(this.#watchdog)
    const c = this.#client
    this.#client = undefined
    // Drop the session so the server releases the lock as soon as it can (if it can still hear us).
    if (c) void closeClient(c)
    this.#o.logger?.error(
      { nodeId: this.nodeId, reason },
      `leadership: fenced (${reason}); no more commands to FreeSWITCH`,
    )
    this.emit('fenced', reason)
  }
}

/** Ends a client's session, or destroys its socket when the server does not answer within a second. */
async function closeClient(c: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const ended = c.end().then(
    () => true,
    () => true,
  )
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), 1000)
  })
  const clean = await Promise.race([ended, late])
  clearTimeout(timer)
  if (!clean) (c as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
}
