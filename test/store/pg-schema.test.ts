/**
 * schema.pg.sql is the twin of schema.sql: the same tables, columns (order, nullability), named indexes and
 * version. And the PostgreSQL migration path: create once, idempotent, concurrent starts, refusals.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { openDatabase } from '../../src/store/db.js'
import { CURRENT_VERSION } from '../../src/store/migrations.js'
import { declaredPgVersion, defaultPgSchemaPath, migratePg } from '../../src/store/pg/migrate.js'
import { PgSqlDb } from '../../src/store/pg/pg-db.js'
import { startPostgres } from '../helpers/postgres.js'

const pg = await startPostgres(t)
let n = 0
async function freshPg(t: { teardown(fn: () => unknown): void }): Promise<PgSqlDb> {
  const db = new PgSqlDb(await pg!.createDatabase(`schema_t${++n}`))
  t.teardown(() => db.close())
  return db
}

interface Shape {
  tables: Record<string, { name: string; notNull: boolean }[]>
  indexes: string[]
}

function sqliteShape(): Shape {
  const dir = mkdtempSync(join(tmpdir(), 'koplus-schema-'))
  const db = openDatabase(join(dir, 'k.sqlite'))
  try {
    const names = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
    ).map((r) => r.name)
    const tables: Shape['tables'] = {}
    for (const name of names) {
      const cols = db.pragma(`table_info(${name})`) as { name: string; notnull: number; pk: number; type: string }[]
      // SQLite's INTEGER PRIMARY KEY may hold NULL on paper (it is the rowid); PostgreSQL's identity is NOT NULL.
      tables[name] = cols.map((c) => ({ name: c.name, notNull: c.notnull === 1 || c.pk > 0 }))
    }
    const indexes = (
      db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as {
        name: string
      }[]
    ).map((r) => r.name)
    return { tables, indexes }
  } finally {
    db.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

async function pgShape(db: PgSqlDb): Promise<Shape> {
  const cols = await db.all<{ table_name: string; column_name: string; is_nullable: string }>(
    "SELECT table_name, column_name, is_nullable FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> 'koplus_schema' ORDER BY table_name, ordinal_position",
  )
  const tables: Shape['tables'] = {}
  for (const c of cols) (tables[c.table_name] ??= []).push({ name: c.column_name, notNull: c.is_nullable === 'NO' })
  // CREATE INDEX indexes only: those backing PRIMARY KEY / UNIQUE constraints are SQLite's sqlite_autoindex_* (not compared).
  const idx = await db.all<{ indexname: string }>(
    'SELECT indexname FROM pg_indexes WHERE schemaname = current_schema() AND indexname NOT IN (SELECT conname FROM pg_constraint) ORDER BY indexname',
  )
  return {
    tables: Object.fromEntries(Object.entries(tables).sort(([a], [b]) => (a < b ? -1 : 1))),
    indexes: idx.map((r) => r.indexname),
  }
}

t.test('schema.pg.sql declares the version SQLite is at', async (t) => {
  t.equal(declaredPgVersion(readFileSync(defaultPgSchemaPath(), 'utf8')), CURRENT_VERSION)
  t.throws(() => declaredPgVersion('CREATE TABLE x (y int);'), /does not declare its version/)
})

if (pg) {
  t.test(
    'a fresh PostgreSQL database has exactly the tables, columns and indexes of a fresh SQLite file',
    async (t) => {
      const db = await freshPg(t)
      t.equal(await migratePg(db), 0, 'found empty')
      const want = sqliteShape()
      const got = await pgShape(db)
      t.same(Object.keys(got.tables), Object.keys(want.tables), 'same tables')
      for (const name of Object.keys(want.tables))
        t.same(got.tables[name], want.tables[name], `${name}: same columns in the same order, same NOT NULL`)
      t.same(got.indexes, want.indexes, 'same named indexes')
      t.equal(await db.version(), CURRENT_VERSION)
      const tenant = await db.get<{ id: string; created_at: number }>(
        "SELECT id, created_at FROM tenants WHERE id = 'default'",
      )
      t.equal(tenant?.id, 'default', 'the default tenant is created')
      t.equal(typeof tenant?.created_at, 'number')
    },
  )

  t.test('migrating again is a no-op; two daemons starting at once create the schema once', async (t) => {
    const db = await freshPg(t)
    const other = new PgSqlDb(db.url)
    t.teardown(() => other.close())
    const found = await Promise.all([migratePg(db), migratePg(other)])
    t.same([...found].sort(), [0, CURRENT_VERSION], 'one created it, the other found it done')
    t.equal(await migratePg(db), CURRENT_VERSION)
    t.equal(Number((await db.get<{ n: number }>('SELECT count(*) AS n FROM koplus_schema'))?.n), 1)
  })

  t.test('refuses a newer database, a non-koplus database and a schema file of another version', async (t) => {
    const newer = await freshPg(t)
    await migratePg(newer)
    await newer.run('UPDATE koplus_schema SET version = 99')
    await t.rejects(migratePg(newer), {
      code: 'KOPLUS_STORE_SCHEMA',
      message: `database schema version 99 is newer than this koplus supports (${CURRENT_VERSION})`,
    })

    const foreign = await freshPg(t)
    await foreign.run('CREATE TABLE invoices (id int)')
    await t.rejects(migratePg(foreign), { code: 'KOPLUS_STORE_SCHEMA', message: /not a koplus database/ })

    const dir = mkdtempSync(join(tmpdir(), 'koplus-schema-'))
    t.teardown(() => rmSync(dir, { recursive: true, force: true }))
    const wrong = join(dir, 'schema.pg.sql')
    writeFileSync(wrong, readFileSync(defaultPgSchemaPath(), 'utf8').replace(/VALUES \(\d+\)/, 'VALUES (2)'))
    await t.rejects(migratePg(await freshPg(t), { schemaPath: wrong }), {
      code: 'KOPLUS_STORE_SCHEMA',
      message: /declares version 2/,
    })
  })
}
