/**
 * Constraint violations of either engine, recognised by their codes: better-sqlite3's SqliteError codes
 * (SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY / _FOREIGNKEY) and PostgreSQL's SQLSTATEs (23505 unique_violation,
 * 23503 foreign_key_violation; https://www.postgresql.org/docs/15/errcodes-appendix.html). The repositories check
 * uniqueness and references before they write, with StoreError messages naming the entity; these catch what a
 * concurrent writer slipped in between the check and the write, so the caller gets the same StoreError code.
 */

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : undefined
}

/**
 * For a unique (or primary key) violation: a text naming the constraint and its columns, to tell which one
 * (SQLite: 'UNIQUE constraint failed: agents.tenant_id, agents.sip_user'; PostgreSQL: the constraint's name and
 * its detail 'Key (tenant_id, sip_user)=(…) already exists.'). Undefined for any other error.
 */
export function uniqueViolation(err: unknown): string | undefined {
  const code = codeOf(err)
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return (err as Error).message
  if (code === '23505') {
    const e = err as { constraint?: string; detail?: string }
    return `${e.constraint ?? ''} ${e.detail ?? ''}`
  }
  return undefined
}

/** A foreign key violation (a referenced row is missing, or a referencing row still exists). */
export function isForeignKeyViolation(err: unknown): boolean {
  const code = codeOf(err)
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503'
}
