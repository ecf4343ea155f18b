/**
 * AsyncSqlDb over SQLite: a better-sqlite3 connection to the store's file (opened and migrated by db.ts), with the
 * statements run synchronously and handed back as promises. Transactions are BEGIN IMMEDIATE … COMMIT on this
 * connection, one at a time (a mutex), so a transaction never mixes with another's statements; another process on
 * the same file (e.g. `koplus doctor`) is ordered by SQLite's locking (WAL, busy_timeout).
 */
import type Database from 'better-sqlite3'
import type { Logger } from 'pino'
import { openDatabase } from '../db.js'
import type { AsyncSqlDb, RunResult, SqlRunner, SqlValue } from './async-db.js'

export class SqliteSqlDb implements AsyncSqlDb {
  readonly dialect = 'sqlite' as const
  #tail: Promise<unknown> = Promise.resolve()
  readonly #cache = new Map<string, Database.Statement>()

  constructor(readonly db: Database.Database) {}

  /** Open (creating and migrating as needed, exactly like Store.open) the SQLite file at path. */
  static open(
    path: string,
    opts: {
      logger?: Logger
      synchronous?: 'NORMAL' | 'FULL'
      busyTimeoutMs?: number
      cacheMb?: number
      schemaPath?: string
    } = {},
  ): SqliteSqlDb {
    return new SqliteSqlDb(openDatabase(path, opts))
  }

  #stmt(sql: string): Database.Statement {
    let s = this.#cache.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.#cache.set(sql, s)
    }
    return s
  }

  readonly #runner: SqlRunner = {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) => {
      const s = this.#stmt(sql)
      return (s.reader ? s.all(...params) : (s.run(...params), [])) as T[]
    },
    get: async <T>(sql: string, params: readonly SqlValue[] = []) => this.#stmt(sql).get(...params) as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => ({
      changes: this.#stmt(sql).run(...params).changes,
    }),
  }

  /** Serialise on this connection: statements outside a transaction wait for the open one to finish. */
  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(fn, fn)
    this.#tail = p.catch(() => undefined)
    return p
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#exclusive(() => this.#runner.all<T>(sql, params))
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#exclusive(() => this.#runner.get<T>(sql, params))
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.#exclusive(() => this.#runner.run(sql, params))
  }

  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.#exclusive(async () => {
      this.db.exec('BEGIN IMMEDIATE')
      try {
        const r = await fn(this.#runner)
        this.db.exec('COMMIT')
        return r
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw err
      }
    })
  }

  async version(): Promise<number> {
    return this.db.pragma('user_version', { simple: true }) as number
  }

  async close(): Promise<void> {
    await this.#tail
    if (this.db.open) this.db.close()
  }
}
