/**
 * The asynchronous SQL connection both stores implement: SQLite (better-sqlite3, wrapped: sql/sqlite-db.ts) and
 * PostgreSQL (node-postgres pool: pg/pg-db.ts). Repositories written against it (call-log.ts) run unchanged on either.
 *
 * SQL is written once with `?` placeholders in the subset both dialects share (INSERT … RETURNING, ON CONFLICT …
 * DO UPDATE, partial indexes, COALESCE); PostgreSQL gets them renumbered to $1, $2, … (toNumberedParams).
 * Integers come back as JS numbers from both (PostgreSQL's int8 is parsed as a number: epoch milliseconds and row
 * ids stay far below 2^53).
 */

export type SqlValue = string | number | null

/** What a statement changed; `rows` for INSERT/UPDATE … RETURNING. */
export interface RunResult {
  changes: number
}

/** Statements on one connection (inside a transaction, or standalone). */
export interface SqlRunner {
  all<T>(sql: string, params?: readonly SqlValue[]): Promise<T[]>
  get<T>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>
  run(sql: string, params?: readonly SqlValue[]): Promise<RunResult>
}

export interface AsyncSqlDb extends SqlRunner {
  readonly dialect: 'sqlite' | 'postgres'
  /**
   * Run fn in one transaction on one connection: committed when fn resolves, rolled back when it throws (the
   * error is rethrown). Transactions of one AsyncSqlDb never interleave their statements.
   */
  transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T>
  /** The schema version of the database. */
  version(): Promise<number>
  close(): Promise<void>
}

/**
 * `?` → `$1`, `$2`, … for PostgreSQL. Question marks inside single-quoted literals, double-quoted identifiers and
 * comments are left alone.
 */
export function toNumberedParams(sql: string): string {
  let out = ''
  let n = 0
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]
    if (c === "'" || c === '"') {
      const end = sql.indexOf(c, i + 1)
      const stop = end < 0 ? sql.length : end + 1
      out += sql.slice(i, stop)
      i = stop - 1
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i)
      const stop = end < 0 ? sql.length : end
      out += sql.slice(i, stop)
      i = stop - 1
    } else if (c === '?') {
      out += `$${++n}`
    } else {
      out += c
    }
  }
  return out
}
