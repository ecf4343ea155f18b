/**
 * Small SQL builders the asynchronous repositories share, in the subset SQLite and PostgreSQL both run.
 *
 * - where(): `WHERE a = ? AND b >= ?` over the filters actually given. Not `(? IS NULL OR a = ?)`: PostgreSQL
 *   cannot infer the type of an untyped parameter that is only compared with NULL.
 * - textOrder(): a text column in ORDER BY, ordered byte by byte on both engines. SQLite compares TEXT with BINARY
 *   (memcmp of the UTF-8 bytes); PostgreSQL uses the database's collation (e.g. en_US.UTF-8, where 'B' < 'a' does
 *   not hold) unless told `COLLATE "C"`, which is also byte order. So lists come back in the same order on both.
 */
import type { SqlValue } from './async-db.js'

/**
 * `WHERE cond1 AND cond2 …`: each `[condition with one ?, value]` whose value is given (not undefined), and each
 * plain condition (no parameter) as it is; with the parameters in order.
 */
export function where(conds: readonly (string | readonly [string, SqlValue | undefined])[]): {
  sql: string
  params: SqlValue[]
} {
  const parts: string[] = []
  const params: SqlValue[] = []
  for (const c of conds) {
    if (typeof c === 'string') parts.push(c)
    else if (c[1] !== undefined) {
      parts.push(c[0])
      params.push(c[1])
    }
  }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', params }
}

/** A text column for ORDER BY, byte order on both engines (append ' DESC' as needed). */
export function textOrder(dialect: 'sqlite' | 'postgres', column: string): string {
  return dialect === 'postgres' ? `${column} COLLATE "C"` : column
}
