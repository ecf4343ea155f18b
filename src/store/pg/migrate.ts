/**
 * The PostgreSQL schema: schema.pg.sql (package root) is the full schema of CURRENT_VERSION, the twin of
 * schema.sql with the same version number. An empty database gets it in one transaction; an older koplus
 * database is brought up by PG_MIGRATIONS, one transaction per step with its version bump (as migrations.ts does
 * for SQLite: a step added there is added here with the same version). A newer database is refused.
 * Two daemons starting at once on one database (issue 12, item 2) are serialised by a transaction-scoped advisory
 * lock, so only one of them creates or migrates the schema.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { packageRoot } from '../../config/paths.js'
import { StoreError } from '../errors.js'
import { CURRENT_VERSION } from '../migrations.js'
import type { SqlRunner } from '../sql/async-db.js'
import type { PgSqlDb } from './pg-db.js'

interface PgMigration {
  version: number
  description: string
  up(tx: SqlRunner): Promise<void>
}

/** Steps after version 3 (the first version PostgreSQL was offered at); the same versions as migrations.ts. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 4,
    description: "callbacks that keep the caller's place (issue 14)",
    async up(tx) {
      // The same table as schema.pg.sql's, one statement per call.
      await tx.run(`CREATE TABLE callbacks (
        call_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, queue_id TEXT NOT NULL, number TEXT NOT NULL,
        caller_number TEXT NOT NULL, requested_at BIGINT NOT NULL, joined_at BIGINT NOT NULL, seq DOUBLE PRECISION NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('waiting', 'dialing', 'completed', 'failed', 'cancelled')),
        attempts BIGINT NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL, held_since BIGINT, reason TEXT, agent_id TEXT,
        connected_at BIGINT, ended_at BIGINT)`)
      await tx.run('CREATE INDEX callbacks_pending ON callbacks (state, queue_id)')
      await tx.run('CREATE INDEX callbacks_requested ON callbacks (requested_at)')
    },
  },
]

/** An arbitrary constant key for pg_advisory_xact_lock: 'koplus' in ASCII. */
const MIGRATION_LOCK_KEY = 0x6b6f706c7573

export function defaultPgSchemaPath(): string {
  return join(packageRoot(), 'schema.pg.sql')
}

/** The version schema.pg.sql declares with `INSERT INTO koplus_schema (version) VALUES (N)`. */
export function declaredPgVersion(schemaSql: string): number {
  const m = /INSERT\s+INTO\s+koplus_schema\s*\(version\)\s*VALUES\s*\((\d+)\)/i.exec(schemaSql)
  if (!m)
    throw new StoreError(
      'SCHEMA',
      'schema.pg.sql does not declare its version (INSERT INTO koplus_schema (version) VALUES (N))',
    )
  return Number(m[1])
}

/** Bring the database behind db to CURRENT_VERSION; returns the version found before. */
export async function migratePg(db: PgSqlDb, opts: { logger?: Logger; schemaPath?: string } = {}): Promise<number> {
  const log = opts.logger
  const schemaSql = readFileSync(opts.schemaPath ?? defaultPgSchemaPath(), 'utf8')
  const declared = declaredPgVersion(schemaSql)
  const target = Math.max(3, ...PG_MIGRATIONS.map((m) => m.version))
  if (declared !== CURRENT_VERSION || target !== CURRENT_VERSION) {
    throw new StoreError(
      'SCHEMA',
      `schema.pg.sql declares version ${declared}, the PostgreSQL migrations lead to ${target}, SQLite's to ${CURRENT_VERSION}: they must agree`,
    )
  }
  const client = await db.pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY])
    const has = await client.query<{ t: string | null }>("SELECT to_regclass('koplus_schema')::text AS t")
    let version = 0
    if (has.rows[0]?.t) {
      version = Number(
        (await client.query<{ v: string | null }>('SELECT max(version) AS v FROM koplus_schema')).rows[0]?.v ?? 0,
      )
    } else {
      const tables = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = current_schema()',
      )
      if (Number(tables.rows[0]?.n) > 0)
        throw new StoreError('SCHEMA', 'the database has tables but no koplus_schema table; not a koplus database?')
    }
    if (version > CURRENT_VERSION)
      throw new StoreError(
        'SCHEMA',
        `database schema version ${version} is newer than this koplus supports (${CURRENT_VERSION})`,
      )
    if (version === 0) {
      await client.query(schemaSql)
      await client.query('COMMIT')
      log?.info({ version: CURRENT_VERSION }, 'created the PostgreSQL schema from schema.pg.sql')
      return 0
    }
    await client.query('COMMIT')
    for (const m of PG_MIGRATIONS) {
      if (m.version <= version) continue
      await db.transaction(async (tx) => {
        await tx.run(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`)
        const cur = await tx.get<{ v: number }>('SELECT max(version) AS v FROM koplus_schema')
        if ((cur?.v ?? 0) >= m.version) return // another daemon did this step meanwhile
        await m.up(tx)
        await tx.run('UPDATE koplus_schema SET version = ?', [m.version])
      })
      log?.info({ from: m.version - 1, to: m.version, description: m.description }, 'migrated the PostgreSQL database')
    }
    return version
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}
