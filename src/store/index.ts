/**
 * The koplus store: SQLite (one file, better-sqlite3, WAL; the default) or PostgreSQL (`postgres://…`, node-postgres)
 * behind one set of typed, asynchronous repositories.
 *
 *   const store = await Store.open('./data/koplus.sqlite', { logger })     // or 'postgres://user@host/db'
 *   await store.queues.create({ number: '5000', name: 'Support' })
 *   await store.tx(async (s) => { await s.queues.update(…); await s.audit.record(…) })   // all or nothing
 *   store.writes.enqueue('CONNECT c1', async (tx) => { await store.within(tx).calls.update(…) })  // call path
 *
 * Operator writes are committed before the promise resolves ("durable before acknowledged"; see db.ts for
 * synchronous=NORMAL vs FULL on SQLite). The call path does not wait for the store: the daemon sends FreeSWITCH its
 * commands first and queues the event's writes (write-queue.ts: one transaction per event, in order, retried
 * through an outage). Errors are StoreError with a code.
 *
 * Every repository takes a RepoContext (repo-context.ts) and runs unchanged on both engines (issue 12).
 */
import pino, { type Logger } from 'pino'
import { RealClock, type Clock } from '../util/clock.js'
import { Accounts } from './accounts.js'
import { AgentSessions } from './sessions.js'
import { Agents } from './agents.js'
import { Audit } from './audit.js'
import { HolidayCalendars } from './calendars.js'
import { Callbacks } from './callbacks.js'
import { Calls } from './calls.js'
import { Closures } from './closures.js'
import { StoreError } from './errors.js'
import { EventLog } from './events.js'
import { EwtLog } from './ewt.js'
import { Memberships } from './memberships.js'
import { migratePg } from './pg/migrate.js'
import { PgSqlDb, redactUrl } from './pg/pg-db.js'
import { Prompts } from './prompts.js'
import { Queues } from './queues.js'
import { Reports } from './reports.js'
import { databaseContext, transactionContext, type RepoContext } from './repo-context.js'
import type { AsyncSqlDb, SqlRunner } from './sql/async-db.js'
import { SqliteSqlDb } from './sql/sqlite-db.js'
import { Tenants } from './tenants.js'
import { WriteQueue, type WriteQueueHealth, type WriteQueueOptions } from './write-queue.js'

export interface StoreOptions {
  logger?: Logger
  /** Timestamps of created_at / membership changes etc. (default: wall clock). */
  clock?: Clock
  /** SQLite: 'NORMAL' (default) or 'FULL'. */
  synchronous?: 'NORMAL' | 'FULL'
  /** SQLite: milliseconds to wait for another connection's lock. */
  busyTimeoutMs?: number
  /** SQLite: the page cache in MB (database.cacheMb; default 2). */
  cacheMb?: number
  /** Override the location of schema.sql / schema.pg.sql (tests). */
  schemaPath?: string
  /** PostgreSQL: milliseconds to wait for a connection before a query fails (default 2000). */
  connectTimeoutMs?: number
  /** The call path's write queue (writer id, retry timing, bound). */
  writeQueue?: Omit<WriteQueueOptions, 'logger'>
}

export interface StoreHealth {
  backend: 'sqlite' | 'postgres'
  writes: WriteQueueHealth
}

/** database.url: `postgres://…` (or `postgresql://…`) selects PostgreSQL. */
export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url)
}

/** Another URL scheme (mysql://, sqlite://, http://…): refused rather than taken for a file name. */
const OTHER_URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i

export class Store {
  readonly tenants: Tenants
  readonly queues: Queues
  readonly holidayCalendars: HolidayCalendars
  readonly closures: Closures
  readonly agents: Agents
  readonly memberships: Memberships
  readonly sessions: AgentSessions
  readonly calls: Calls
  readonly callbacks: Callbacks
  readonly events: EventLog
  readonly ewt: EwtLog
  readonly prompts: Prompts
  readonly accounts: Accounts
  readonly audit: Audit
  readonly report: Reports

  private constructor(
    /** The connection (SQLite or PostgreSQL), for tests and maintenance; prefer the repositories. */
    readonly db: AsyncSqlDb,
    /** The call path's ordered write queue (shared by every view of this store). */
    readonly writes: WriteQueue,
    ctx: RepoContext,
  ) {
    this.tenants = new Tenants(ctx)
    this.queues = new Queues(ctx)
    this.holidayCalendars = new HolidayCalendars(ctx)
    this.closures = new Closures(ctx)
    this.agents = new Agents(ctx)
    this.memberships = new Memberships(ctx)
    this.sessions = new AgentSessions(ctx)
    this.calls = new Calls(ctx)
    this.callbacks = new Callbacks(ctx)
    this.events = new EventLog(ctx)
    this.ewt = new EwtLog(ctx)
    this.prompts = new Prompts(ctx)
    this.accounts = new Accounts(ctx)
    this.audit = new Audit(ctx)
    this.report = new Reports(ctx)
    this.#ctx = ctx
  }

  readonly #ctx: RepoContext

  /**
   * Open (creating and migrating as needed) the store: a postgres:// URL, or the path of the SQLite file
   * (':memory:' for tests).
   */
  static async open(pathOrUrl: string, opts: StoreOptions = {}): Promise<Store> {
    const logger = opts.logger ?? pino({ level: 'silent' })
    const clock = opts.clock ?? new RealClock()
    let db: AsyncSqlDb
    if (OTHER_URL_RE.test(pathOrUrl) && !isPostgresUrl(pathOrUrl))
      throw new StoreError('INVALID', `database.url must be a postgres:// URL (got ${redactUrl(pathOrUrl)})`)
    if (isPostgresUrl(pathOrUrl)) {
      const pgDb = new PgSqlDb(pathOrUrl, { logger, connectTimeoutMs: opts.connectTimeoutMs })
      try {
        await migratePg(pgDb, { logger, schemaPath: opts.schemaPath })
      } catch (err) {
        await pgDb.close()
        throw err
      }
      logger.info({ url: redactUrl(pathOrUrl) }, 'store: PostgreSQL')
      db = pgDb
    } else {
      const sqlite = SqliteSqlDb.open(pathOrUrl, {
        logger,
        synchronous: opts.synchronous,
        busyTimeoutMs: opts.busyTimeoutMs,
        ...(opts.cacheMb !== undefined ? { cacheMb: opts.cacheMb } : {}),
        schemaPath: opts.schemaPath,
      })
      db = sqlite
    }
    const writes = new WriteQueue(db, { ...opts.writeQueue, logger })
    return new Store(db, writes, databaseContext(db, clock, logger))
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect
  }

  /** The schema version (SQLite's user_version; PostgreSQL's koplus_schema). */
  version(): Promise<number> {
    return this.db.version()
  }

  /** Run fn in one transaction: every repository of the store it gets writes in it; a throw rolls it all back. */
  tx<T>(fn: (store: Store) => Promise<T>): Promise<T> {
    if (this.#ctx.inTransaction) return fn(this)
    return this.#ctx.tx((c) => fn(new Store(this.db, this.writes, c)))
  }

  /** The repositories bound to an open transaction, e.g. a write-queue job's: `store.within(tx).calls.update(…)`. */
  within(tx: SqlRunner): Store {
    return new Store(this.db, this.writes, transactionContext(tx, this.#ctx))
  }

  health(): StoreHealth {
    return { backend: this.db.dialect, writes: this.writes.health() }
  }

  /** Wait for the queued writes (up to drainTimeoutMs), then close the connection. */
  async close(drainTimeoutMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      this.writes.drained(),
      new Promise((r) => {
        timer = setTimeout(r, drainTimeoutMs)
      }),
    ])
    clearTimeout(timer)
    await this.writes.close()
    await this.db.close()
  }
}

export { StoreError, type StoreErrorCode } from './errors.js'
export { CURRENT_VERSION } from './migrations.js'
export {
  validateQueueSettings,
  validateEndAction,
  validateSkills,
  effectiveSettings,
  QUEUE_SETTING_KEYS,
} from './queue-settings.js'
export { hashPassword, verifyPassword, verifyPasswordAsync, type Account, type Role } from './accounts.js'
export type { TenantRecord, TenantUse } from './tenants.js'
export { placeholderDomainWarning, PLACEHOLDER_DOMAIN } from './tenants.js'
export type { QueueRecord, QueueInput, QueuePatch } from './queues.js'
export type { AgentRecord, AgentInput, AgentPatch } from './agents.js'
export type { MembershipRecord, MembershipInterval } from './memberships.js'
export type { AgentSession } from './sessions.js'
export {
  CALL_OUTCOMES,
  OFFER_RESULTS,
  MISSED_RESULTS,
  type CallRecord,
  type CallOffer,
  type CallOutcome,
  type OfferResult,
  type CallFilter,
} from './calls.js'
export { EVENTS, type LoggedEvent, type EventInput, type EventFilter } from './events.js'
export type { EwtEntry } from './ewt.js'
export type { CallbackRow, CallbackStats } from './callbacks.js'
export type { PromptRecord } from './prompts.js'
export type { HolidayCalendarRecord } from './calendars.js'
export type { ClosureRecord, ClosureInput, ClosureScope } from './closures.js'
export type { AuditEntry, AuditInput } from './audit.js'
export {
  DEFAULT_REPORT_TIME_ZONE,
  type LicenceRow,
  type QueueStatsRow,
  type QueueStatsQuery,
  type AgentStatsRow,
  type EwtAccuracy,
  type AbandonedCaller,
} from './reports.js'
// The call path's write queue (SQLite or PostgreSQL): docs/scale-out.md.
export { WriteQueue, isRetryable, type WriteJob, type WriteQueueHealth, type WriteQueueOptions } from './write-queue.js'
export type { AsyncSqlDb, SqlRunner, SqlValue } from './sql/async-db.js'
