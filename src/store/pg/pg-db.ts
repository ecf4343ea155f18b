/**
 * AsyncSqlDb over PostgreSQL: a node-postgres Pool. Each transaction takes one pooled client for BEGIN … COMMIT;
 * standalone statements use any client. The pool's own 'error' events (an idle client whose server went away)
 * are logged, never thrown: an outage shows as failing queries, which the write queue retries (write-queue.ts).
 * int8 (BIGINT) is read as a JS number for every client of this pool only (not globally).
 */
import pg from 'pg'
import type { Logger } from 'pino'
import { StoreError } from '../errors.js'
import { toNumberedParams, type AsyncSqlDb, type RunResult, type SqlRunner, type SqlValue } from '../sql/async-db.js'

const INT8_OID = 20

interface PgDbOptions {
  logger?: Logger
  /** Pool size (default 4: the write queue uses one at a time, the rest serve reads). */
  max?: number
  /** Milliseconds to wait for a connection before a query fails (default 2000), so an outage is seen quickly. */
  connectTimeoutMs?: number
}

/** A database URL with its password replaced by '***', for logs and errors. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return 'postgres://(unparsable url)'
  }
}

function runnerOf(q: (sql: string, params: SqlValue[]) => Promise<pg.QueryResult>): SqlRunner {
  return {
    all: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await q(toNumberedParams(sql), [...params])).rows as T[],
    get: async <T>(sql: string, params: readonly SqlValue[] = []) =>
      (await q(toNumberedParams(sql), [...params])).rows[0] as T | undefined,
    run: async (sql: string, params: readonly SqlValue[] = []): Promise<RunResult> => ({
      changes: (await q(toNumberedParams(sql), [...params])).rowCount ?? 0,
    }),
  }
}

export class PgSqlDb implements AsyncSqlDb {
  readonly dialect = 'postgres' as const
  readonly pool: pg.Pool
  readonly #log: Logger | undefined
  readonly #runner: SqlRunner

  constructor(
    readonly url: string,
    opts: PgDbOptions = {},
  ) {
    if (!/^postgres(ql)?:\/\//.test(url))
      throw new StoreError('INVALID', `database.url must start with postgres:// (got ${redactUrl(url)})`)
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.max ?? 4,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 2000,
      types: {
        getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
          oid === INT8_OID
            ? (v: string) => Number(v)
            : (pg.types.getTypeParser(oid, format) as (v: string) => unknown)) as typeof pg.types.getTypeParser,
      },
    })
    const log = opts.logger
    this.#log = log
    this.pool.on('error', (err) => log?.warn({ err }, 'an idle PostgreSQL connection failed'))
    this.#runner = runnerOf((sql, params) => this.pool.query(sql, params))
  }

  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    return this.#runner.all<T>(sql, params)
  }

  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    return this.#runner.get<T>(sql, params)
  }

  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult> {
    return this.#runner.run(sql, params)
  }

  async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    let broken = false
    // A checked-out client has no pool 'error' listener: a connection lost mid-transaction (the server stopped, a
    // failover) would be an uncaught exception. Keep the error; the next statement fails with it (retryable).
    let lost: Error | undefined
    const onLost = (err: Error): void => {
      lost = err
      broken = true
      this.#log?.warn({ err }, 'a PostgreSQL connection failed during a transaction')
    }
    client.on('error', onLost)
    try {
      await client.query('BEGIN')
      const r = await fn(runnerOf((sql, params) => (lost ? Promise.reject(lost) : client.query(sql, params))))
      if (lost) throw lost
      await client.query('COMMIT')
      return r
    } catch (err) {
      try {
        await client.query('ROLLBACK')
      } catch {
        broken = true // the connection is gone; do not return it to the pool
      }
      throw err
    } finally {
      client.removeListener('error', onLost)
      client.release(broken)
    }
  }

  async version(): Promise<number> {
    const r = await this.get<{ version: number }>('SELECT max(version) AS version FROM koplus_schema')
    return r?.version ?? 0
  }

  async close(): Promise<void> {
    await this.pool.end()
  }
}
