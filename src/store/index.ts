/**
 * The koplus store: one SQLite file (better-sqlite3, WAL) behind a typed repository API.
 *
 *   const store = Store.open('./data/koplus.sqlite', { logger })
 *   store.queues.create({ number: '5000', name: 'Support' })
 *
 * Every write is synchronous and committed before the method returns, so whatever the daemon
 * acknowledges is already in the file ("durable before acknowledged"; see db.ts for the exact
 * guarantee of synchronous=NORMAL vs FULL). Errors are StoreError with a code.
 */
import type Database from 'better-sqlite3'
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
import { makeContext, type StoreContext } from './context.js'
import { openDatabase } from './db.js'
import { EventLog } from './events.js'
import { EwtLog } from './ewt.js'
import { Memberships } from './memberships.js'
import { Prompts } from './prompts.js'
import { Queues } from './queues.js'
import { Reports } from './reports.js'
import { Tenants } from './tenants.js'

interface StoreOptions {
  logger?: Logger
  /** Timestamps of created_at / membership changes etc. (default: wall clock). */
  clock?: Clock
  /** 'NORMAL' (default) or 'FULL'. */
  synchronous?: 'NORMAL' | 'FULL'
  busyTimeoutMs?: number
  /** Override the location of schema.sql (tests). */
  schemaPath?: string
}

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
    /** The raw connection, for tests and maintenance; prefer the repositories. */
    readonly db: Database.Database,
    ctx: StoreContext,
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
  }

  /** Open (creating and migrating as needed) the database at `path`; ':memory:' for tests. */
  static open(path: string, opts: StoreOptions = {}): Store {
    const logger = opts.logger ?? pino({ level: 'silent' })
    const db = openDatabase(path, {
      logger,
      synchronous: opts.synchronous,
      busyTimeoutMs: opts.busyTimeoutMs,
      schemaPath: opts.schemaPath,
    })
    return new Store(db, makeContext(db, opts.clock ?? new RealClock(), logger))
  }

  /** The schema version of the open file (PRAGMA user_version). */
  get version(): number {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  /** Run fn in one transaction (nested calls become savepoints); a throw rolls everything back. */
  tx<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  close(): void {
    if (this.db.open) this.db.close()
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
// The asynchronous store (SQLite or PostgreSQL) and its write queue: docs/scale-out.md.
export { AsyncStore, isPostgresUrl, type AsyncStoreOptions, type AsyncStoreHealth } from './async-store.js'
export { CallPathRepository, type EventQuery } from './call-path-repository.js'
export { WriteQueue, isRetryable, type WriteJob, type WriteQueueHealth, type WriteQueueOptions } from './write-queue.js'
export type { AsyncSqlDb, SqlRunner, SqlValue } from './sql/async-db.js'
