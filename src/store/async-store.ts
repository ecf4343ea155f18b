/**
 * Choosing and opening the asynchronous store from the configuration (database.url, database.path):
 *
 *   const store = await AsyncStore.open({ url: cfg.database.url, path: cfg.database.path, logger })
 *   store.writes.enqueue('ARRIVE c1', async (tx) => { await new CallPathRepository(tx).startCall(…) })
 *   await store.calls.callsInProgress()                // reads, e.g. rebuilding after a takeover
 *   store.health()                                     // { backend, writes: { state, queued, … } }
 *
 * `postgres://…` → PostgreSQL (schema.pg.sql / pg/migrate.ts); otherwise SQLite at `path`, the default. The
 * synchronous Store (index.ts) is unchanged: today's daemon and API keep calling it; with SQLite both open the
 * same file (each its own connection), so a caller can move to this interface one write path at a time.
 */
import type { Logger } from 'pino'
import { CallPathRepository } from './call-path-repository.js'
import { migratePg } from './pg/migrate.js'
import { PgSqlDb, redactUrl } from './pg/pg-db.js'
import type { AsyncSqlDb } from './sql/async-db.js'
import { SqliteSqlDb } from './sql/sqlite-db.js'
import { WriteQueue, type WriteQueueHealth, type WriteQueueOptions } from './write-queue.js'

export interface AsyncStoreOptions {
  /** database.url: postgres://user:password@host:port/db selects PostgreSQL. */
  url?: string
  /** database.path: the SQLite file, used when url is not set. */
  path?: string
  logger?: Logger
  writeQueue?: Omit<WriteQueueOptions, 'logger'>
  /** Override schema.sql / schema.pg.sql (tests). */
  schemaPath?: string
}

export interface AsyncStoreHealth {
  backend: 'sqlite' | 'postgres'
  writes: WriteQueueHealth
}

export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url)
}

export class AsyncStore {
  /** Reads straight from the database (not through the queue: they see what is committed). */
  readonly calls: CallPathRepository
  /** Every call-path write goes here: one transaction per event, in order, retried through an outage. */
  readonly writes: WriteQueue

  private constructor(
    readonly db: AsyncSqlDb,
    logger: Logger | undefined,
    wq: Omit<WriteQueueOptions, 'logger'> = {},
  ) {
    this.calls = new CallPathRepository(db)
    this.writes = new WriteQueue(db, { ...wq, logger })
  }

  static async open(opts: AsyncStoreOptions): Promise<AsyncStore> {
    const log = opts.logger
    if (isPostgresUrl(opts.url)) {
      const db = new PgSqlDb(opts.url, { logger: log })
      try {
        await migratePg(db, { logger: log, schemaPath: opts.schemaPath })
      } catch (err) {
        await db.close()
        throw err
      }
      log?.info({ url: redactUrl(opts.url) }, 'store: PostgreSQL')
      return new AsyncStore(db, log, opts.writeQueue)
    }
    if (opts.url !== undefined) throw new Error(`database.url must be a postgres:// URL (got ${redactUrl(opts.url)})`)
    if (!opts.path) throw new Error('database.path is required when database.url is not set')
    const db = SqliteSqlDb.open(opts.path, { logger: log, schemaPath: opts.schemaPath })
    return new AsyncStore(db, log, opts.writeQueue)
  }

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect
  }

  health(): AsyncStoreHealth {
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
