/**
 * What every asynchronous repository gets: the connection (or the open transaction), its SQL dialect, the clock
 * for timestamps and a logger. The same repository code runs on SQLite and PostgreSQL (sql/async-db.ts: `?`
 * placeholders, the SQL both dialects share; branch on `dialect` only where they differ, e.g. JSON functions).
 *
 *   class Queues {
 *     constructor(private readonly ctx: RepoContext) {}
 *     async get(id: string) { return toQueue(await this.ctx.db.get<Row>('SELECT * FROM queues WHERE id = ?', [id])) }
 *     async rename(id: string, name: string) {
 *       await this.ctx.tx(async (c) => { … several statements on c.db, all or nothing … })
 *     }
 *   }
 */
import type { Logger } from 'pino'
import type { Clock } from '../util/clock.js'
import type { AsyncSqlDb, SqlRunner } from './sql/async-db.js'

export interface RepoContext {
  /** The database, or the transaction this context belongs to. */
  readonly db: SqlRunner
  readonly dialect: 'sqlite' | 'postgres'
  readonly clock: Clock
  readonly logger: Logger
  /** True when `db` is an open transaction. */
  readonly inTransaction: boolean
  /**
   * Run fn in one transaction (all or nothing). Inside a transaction already, fn runs in it (no nesting, no
   * savepoint): the outer transaction decides. Keep fn to database work: on SQLite the connection is held until it
   * settles.
   */
  tx<T>(fn: (ctx: RepoContext) => Promise<T>): Promise<T>
}

/** A context over the whole database: each statement on its own, tx() opens a transaction. */
export function databaseContext(db: AsyncSqlDb, clock: Clock, logger: Logger): RepoContext {
  const ctx: RepoContext = {
    db,
    dialect: db.dialect,
    clock,
    logger,
    inTransaction: false,
    tx: (fn) => db.transaction((runner) => fn(transactionContext(runner, ctx))),
  }
  return ctx
}

/** A context bound to an open transaction (e.g. one job of the write queue). */
export function transactionContext(
  runner: SqlRunner,
  base: Pick<RepoContext, 'dialect' | 'clock' | 'logger'>,
): RepoContext {
  const ctx: RepoContext = {
    db: runner,
    dialect: base.dialect,
    clock: base.clock,
    logger: base.logger,
    inTransaction: true,
    tx: (fn) => fn(ctx),
  }
  return ctx
}
