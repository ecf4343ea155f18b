/**
 * Opening the SQLite file: connection pragmas, a fresh schema from schema.sql, or migrations.
 *
 * Durability: journal_mode=WAL with synchronous=NORMAL (default) — every write is committed before the
 * call returns and survives a crash of koplus; after a power loss or OS crash the last few commits may be
 * rolled back (SQLite's documented WAL+NORMAL trade-off). synchronous=FULL makes every commit survive
 * power loss too, at the cost of an fsync per commit (see opts.synchronous).
 */
import Database from 'better-sqlite3'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import type { Logger } from 'pino'
import { packageRoot } from '../config/paths.js'
import { StoreError } from './errors.js'
import { prepareDatabaseFile } from './files.js'
import { CURRENT_VERSION, MIGRATIONS } from './migrations.js'

interface OpenDbOptions {
  logger?: Logger
  /** 'NORMAL' (default) or 'FULL'; see the module comment. */
  synchronous?: 'NORMAL' | 'FULL'
  /** Milliseconds to wait for a lock held by another connection (default 5000). */
  busyTimeoutMs?: number
  /** The page cache in MB (default DEFAULT_CACHE_MB). */
  cacheMb?: number
  /** Path of schema.sql; default <package root>/schema.sql. */
  schemaPath?: string
}

/**
 * SQLite's page cache per connection, in MB. better-sqlite3 builds SQLite with SQLITE_DEFAULT_CACHE_SIZE=-16000
 * (16 MB); SQLite's own default is 2 MB. The pages are also in the operating system's file cache, so a miss costs a
 * read system call, not a disk access; the 16 MB filled as the calls table grew and were ~1.8 KB of RSS per waiting
 * caller at 10,000 waiting (bench/scale-daemon, "RSS, where": glibc's main arena 21.9 → 22.8 MB from 2,000 to
 * 10,000 waiting with 2 MB, 14.7 → 29.2 MB with 16 MB; the store's share of the daemon's time the same).
 */
export const DEFAULT_CACHE_MB = 2

/** <package root>/schema.sql, found from this file (src/store/ or dist/src/store/). */
export function defaultSchemaPath(): string {
  return join(packageRoot(), 'schema.sql')
}

/** The version a schema.sql text declares with `PRAGMA user_version = N`. */
export function declaredVersion(schemaSql: string): number {
  const m = /^\s*PRAGMA\s+user_version\s*=\s*(\d+)\s*;/im.exec(schemaSql)
  if (!m) throw new StoreError('SCHEMA', 'schema.sql does not declare PRAGMA user_version = N')
  return Number(m[1])
}

/**
 * Open (creating if needed) the database at `path` (':memory:' allowed), set the connection pragmas,
 * and bring the schema to CURRENT_VERSION. Throws StoreError('SCHEMA') for a file newer than this
 * koplus or a non-koplus database.
 */
export function openDatabase(path: string, opts: OpenDbOptions = {}): Database.Database {
  const log = opts.logger
  if (path !== ':memory:' && !path.startsWith('file:')) {
    // The directory (0700) and the file (0600) are made here, with a clear error if they cannot be (files.ts).
    const prepared = prepareDatabaseFile(path)
    if (prepared.createdDirs.length > 0)
      log?.info({ dirs: prepared.createdDirs }, 'created the data directory (mode 0700)')
    for (const t of prepared.tightened)
      log?.warn({ path: t.path, from: t.from }, 'the database was readable by other users; made it 0600')
    for (const l of prepared.loose)
      log?.warn(
        { path: l.path, mode: l.mode, reason: l.reason },
        'the database is readable by other users and could not be made 0600',
      )
  }
  let db: Database.Database
  try {
    db = new Database(path)
  } catch (err) {
    throw new StoreError(
      'FILE',
      `cannot open the database ${path}: ${err instanceof Error ? err.message : String(err)}`,
      undefined,
      { cause: err },
    )
  }
  try {
    db.pragma('journal_mode = WAL')
    db.pragma(`synchronous = ${opts.synchronous ?? 'NORMAL'}`)
    db.pragma('foreign_keys = ON')
    db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? 5000))}`)
    db.pragma(`cache_size = ${-Math.max(1, Math.floor((opts.cacheMb ?? DEFAULT_CACHE_MB) * 1024))}`)
    migrate(db, opts.schemaPath ?? defaultSchemaPath(), log)
    return db
  } catch (err) {
    db.close()
    throw err
  }
}

function migrate(db: Database.Database, schemaPath: string, log: Logger | undefined): void {
  const schemaSql = readFileSync(schemaPath, 'utf8')
  const declared = declaredVersion(schemaSql)
  if (declared !== CURRENT_VERSION) {
    throw new StoreError(
      'SCHEMA',
      `schema.sql declares version ${declared} but the migrations lead to ${CURRENT_VERSION}`,
    )
  }
  const version = db.pragma('user_version', { simple: true }) as number
  if (version === CURRENT_VERSION) return
  if (version > CURRENT_VERSION) {
    throw new StoreError(
      'SCHEMA',
      `database schema version ${version} is newer than this koplus supports (${CURRENT_VERSION})`,
    )
  }
  if (version === 0) {
    const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }
    if (tables.n > 0)
      throw new StoreError(
        'SCHEMA',
        'the database has tables but no koplus schema version (user_version 0); not a koplus database?',
      )
    db.transaction(() => db.exec(schemaSql))()
    log?.info({ version: CURRENT_VERSION }, 'created a new database from schema.sql')
    return
  }
  // ALTER TABLE … DROP COLUMN and table rebuilds need foreign key enforcement off (it is a no-op inside a
  // transaction, so it is switched around the steps), then checked explicitly.
  db.pragma('foreign_keys = OFF')
  try {
    for (const m of MIGRATIONS) {
      if (m.version <= version) continue
      db.transaction(() => {
        m.up(db)
        const violations = db.pragma('foreign_key_check') as unknown[]
        if (violations.length)
          throw new StoreError(
            'SCHEMA',
            `migration to version ${m.version} left ${violations.length} foreign key violation(s)`,
          )
        db.pragma(`user_version = ${m.version}`)
      })()
      log?.info({ from: m.version - 1, to: m.version, description: m.description }, 'migrated the database')
    }
  } finally {
    db.pragma('foreign_keys = ON')
  }
}
