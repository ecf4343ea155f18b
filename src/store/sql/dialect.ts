/**
 * The few places where SQLite and PostgreSQL SQL differ, for the repositories (repo-context.ts), each a small
 * helper branching on the dialect, so every statement is still written once.
 *
 * - Text order: SQLite compares TEXT byte by byte (BINARY); PostgreSQL by the database's collation, which on a
 *   server initialised with a locale (en_US.UTF-8) sorts 'a' before 'B' and ignores punctuation. `textOrder` asks
 *   PostgreSQL for byte order (COLLATE "C"), so lists come out in the same order on both.
 * - NULLs: SQLite sorts them first in ascending order, PostgreSQL last; write `col NULLS FIRST` (both accept it).
 * - JSON: the JSON columns are TEXT on both (the same bytes); SQLite reads them with json_each, PostgreSQL with
 *   jsonb_array_elements_text(col::jsonb).
 * - An untyped `? IS NULL` cannot be typed by PostgreSQL ("could not determine data type of parameter"): build the
 *   WHERE from the filters given (`where`).
 */
import type { SqlValue } from './async-db.js'

export type Dialect = 'sqlite' | 'postgres'

/** `a, b` (SQLite) or `a COLLATE "C", b COLLATE "C"` (PostgreSQL): TEXT columns in byte order on both. */
export function textOrder(dialect: Dialect, ...columns: string[]): string {
  return columns.map((c) => (dialect === 'postgres' ? `${c} COLLATE "C"` : c)).join(', ')
}

/** A condition: the JSON array of strings in the TEXT expression `json` holds the value of the next `?`. */
export function jsonArrayHas(dialect: Dialect, json: string): string {
  return dialect === 'postgres'
    ? `EXISTS (SELECT 1 FROM jsonb_array_elements_text((${json})::jsonb) AS e(value) WHERE e.value = ?)`
    : `EXISTS (SELECT 1 FROM json_each(${json}) WHERE value = ?)`
}

/** `WHERE c1 AND c2 …` of the conditions whose value is given (each condition has one `?`), and its parameters. */
export function where(conds: readonly (readonly [string, SqlValue | undefined])[]): {
  sql: string
  params: SqlValue[]
} {
  const given = conds.filter(([, v]) => v !== undefined) as [string, SqlValue][]
  return { sql: given.length ? `WHERE ${given.map(([c]) => c).join(' AND ')}` : '', params: given.map(([, v]) => v) }
}
