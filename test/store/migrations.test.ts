/**
 * Schema creation and migration: a fresh store (SQLite and PostgreSQL), a version-1 SQLite file, versions we refuse.
 * (PostgreSQL's own migrations: pg-schema.test.ts.)
 */
import t from 'tap'
import Database from 'better-sqlite3'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Store, CURRENT_VERSION } from '../../src/store/index.js'
import { declaredVersion, defaultSchemaPath } from '../../src/store/db.js'
import { SqliteSqlDb } from '../../src/store/sql/sqlite-db.js'
import { storeBackends } from '../helpers/store-backends.js'

/** The version-1 schema (the spine), as koplus 0.1 created it. */
const V1_SCHEMA = `
PRAGMA user_version = 1;
CREATE TABLE tenants (id TEXT PRIMARY KEY, name TEXT NOT NULL, domain TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
INSERT INTO tenants VALUES ('default', 'Default', 'default', 1000);
CREATE TABLE queues (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT, number TEXT NOT NULL, name TEXT NOT NULL,
  language TEXT NOT NULL DEFAULT 'sv', settings TEXT NOT NULL DEFAULT '{}', created_at INTEGER NOT NULL, UNIQUE (tenant_id, number));
CREATE TABLE agents (
  id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL REFERENCES tenants(id) ON DELETE RESTRICT, extension TEXT NOT NULL, name TEXT NOT NULL,
  plan TEXT NOT NULL CHECK (plan IN ('basic', 'pro', 'business', 'enterprise')), devices TEXT NOT NULL DEFAULT '[]',
  active_device INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, UNIQUE (tenant_id, extension));
CREATE TABLE memberships (
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE, queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  created_at INTEGER NOT NULL, PRIMARY KEY (agent_id, queue_id));
CREATE INDEX memberships_queue ON memberships (queue_id);
CREATE TABLE agent_sessions (
  agent_id TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE, queue_id TEXT NOT NULL REFERENCES queues(id) ON DELETE CASCADE,
  since INTEGER NOT NULL, PRIMARY KEY (agent_id, queue_id));
CREATE TABLE call_records (
  call_id TEXT PRIMARY KEY, tenant_id TEXT NOT NULL, queue_id TEXT NOT NULL, caller_number TEXT NOT NULL DEFAULT '',
  caller_name TEXT NOT NULL DEFAULT '', arrived_at INTEGER NOT NULL, entered_queue_at INTEGER, answered_at INTEGER, ended_at INTEGER,
  outcome TEXT, agent_id TEXT);
CREATE INDEX call_records_queue_arrived ON call_records (queue_id, arrived_at);
CREATE INDEX call_records_arrived ON call_records (arrived_at);
CREATE TABLE event_log (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, call_id TEXT, queue_id TEXT, agent_id TEXT, event TEXT NOT NULL, data TEXT);
CREATE INDEX event_log_at ON event_log (at);
CREATE INDEX event_log_call ON event_log (call_id) WHERE call_id IS NOT NULL;

INSERT INTO queues VALUES ('q_support', 'default', '5000', 'Support', 'en', '{"ringTimeSec":15}', 2000);
INSERT INTO agents VALUES ('a_anna', 'default', '1001', 'Anna', 'pro', '[{"type":"softphone","target":"1001"}]', 0, 3000);
INSERT INTO memberships VALUES ('a_anna', 'q_support', 4000);
INSERT INTO agent_sessions VALUES ('a_anna', 'q_support', 5000);
INSERT INTO call_records VALUES ('c1', 'default', 'q_support', '0701234567', 'Kalle', 10000, 11000, 41000, 101000, 'answered', 'a_anna');
INSERT INTO event_log (at, call_id, queue_id, event) VALUES (11000, 'c1', 'q_support', 'ENTERQUEUE');
`

const dir = mkdtempSync(join(tmpdir(), 'koplus-store-'))
// Before any t.test: the private PostgreSQL is torn down when the root test's queue runs dry.
const backends = await storeBackends(t)

/** The better-sqlite3 connection under a SQLite store (for PRAGMAs and sqlite_master). */
function sqlite(store: Store): Database.Database {
  if (!(store.db instanceof SqliteSqlDb)) throw new Error(`expected a SQLite store, got ${store.backend}`)
  return store.db.db
}

/** Tables, columns, indexes and foreign keys of a database, normalised for comparison. */
function shape(db: Database.Database): unknown {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]
  ).map((r) => r.name)
  return Object.fromEntries(
    tables.map((tbl) => [
      tbl,
      {
        columns: (
          db.pragma(`table_info(${tbl})`) as {
            name: string
            type: string
            notnull: number
            dflt_value: unknown
            pk: number
          }[]
        )
          .map((c) => `${c.name} ${c.type} notnull=${c.notnull} default=${String(c.dflt_value)} pk=${c.pk}`)
          .sort(),
        indexes: (db.pragma(`index_list(${tbl})`) as { name: string; unique: number; partial: number }[])
          .map((i) => {
            const cols = (db.pragma(`index_xinfo(${i.name})`) as { name: string | null; key: number }[])
              .filter((c) => c.key)
              .map((c) => c.name ?? '<expr>')
            const sql =
              (
                db.prepare('SELECT sql FROM sqlite_master WHERE name = ?').get(i.name) as
                  { sql: string | null } | undefined
              )?.sql ?? null
            return `${i.name.startsWith('sqlite_autoindex') ? 'auto' : i.name} unique=${i.unique} partial=${i.partial} (${cols.join(',')}) ${sql?.replace(/\s+/g, ' ') ?? ''}`
          })
          .sort(),
        foreignKeys: (
          db.pragma(`foreign_key_list(${tbl})`) as { table: string; from: string; to: string; on_delete: string }[]
        )
          .map((f) => `${f.from} -> ${f.table}.${f.to} on delete ${f.on_delete}`)
          .sort(),
      },
    ]),
  )
}

t.test('schema.sql declares the version the migrations lead to', async (t) => {
  t.equal(declaredVersion(readFileSync(defaultSchemaPath(), 'utf8')), CURRENT_VERSION)
  t.ok(CURRENT_VERSION >= 2)
})

t.test('a fresh SQLite file gets schema.sql and WAL', async (t) => {
  const path = join(dir, 'fresh', 'koplus.sqlite') // the directory does not exist yet
  const store = await Store.open(path)
  t.teardown(() => store.close())
  t.equal(await store.version(), CURRENT_VERSION)
  const db = sqlite(store)
  t.equal(db.pragma('journal_mode', { simple: true }), 'wal')
  t.equal(db.pragma('foreign_keys', { simple: true }), 1)
  t.equal(db.pragma('synchronous', { simple: true }), 1, 'synchronous=NORMAL')
  t.equal(db.pragma('busy_timeout', { simple: true }), 5000)
})

for (const b of backends) {
  t.test(`${b.name}: a fresh store has the default tenant; reopening leaves everything as it is`, async (t) => {
    const where = b.pg
      ? await b.pg.createDatabase('koplus_reopen')
      : join(mkdtempSync(join(dir, 'reopen-')), 'koplus.sqlite')
    const store = await Store.open(where)
    t.equal(await store.version(), CURRENT_VERSION)
    const def = await store.tenants.get('default')
    t.equal(def.domain, 'default')
    t.equal(typeof def.createdAt, 'number')
    t.ok(Math.abs(def.createdAt - Date.now()) < 60_000, 'created_at is epoch milliseconds (now)')
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    await store.close()
    const again = await Store.open(where)
    t.teardown(() => again.close())
    t.equal(await again.version(), CURRENT_VERSION)
    t.same(
      (await again.tenants.list()).map((x) => x.id),
      ['default', 'acme'],
    )
  })
}

t.test('a version-1 file is migrated to the current version, data kept, same shape as fresh', async (t) => {
  const path = join(dir, 'v1.sqlite')
  const v1 = new Database(path)
  v1.exec(V1_SCHEMA)
  v1.close()

  const store = await Store.open(path)
  t.teardown(() => store.close())
  t.equal(await store.version(), CURRENT_VERSION)

  const q = await store.queues.get('q_support')
  t.equal(q.settings.language, 'en', 'v1 language column folded into settings')
  t.equal(q.settings.ringTimeSec, 15, 'v1 settings kept')
  t.equal(q.settings.wrapUpSec, 10, 'defaults merged on read')
  t.same(q.tags, [])
  t.equal(q.schedule, null)
  t.equal(q.updatedAt, 2000)

  const a = await store.agents.get('a_anna')
  t.equal(a.sipUser, '1001', 'sip_user backfilled from the extension')
  t.same(a.skills, {})
  t.equal(a.wrapUpSec, null)

  t.same(
    await store.memberships.history('a_anna'),
    [{ agentId: 'a_anna', queueId: 'q_support', tenantId: 'default', from: 4000, until: null }],
    'history backfilled',
  )
  t.same(await store.sessions.list(), [
    { agentId: 'a_anna', queueId: 'q_support', since: 5000, paused: false, pauseReason: null, pausedAt: null },
  ])
  const c = await store.calls.get('c1')
  t.equal(c.waitMs, 30000)
  t.equal(c.talkMs, 60000)
  t.equal((await store.events.list()).length, 1)

  const fresh = await Store.open(':memory:')
  t.teardown(() => fresh.close())
  t.same(shape(sqlite(store)), shape(sqlite(fresh)), 'migrated schema equals the fresh schema')
  t.same(sqlite(store).pragma('foreign_key_check'), [])
})

t.test('a failing migration leaves the file at its old version', async (t) => {
  const path = join(dir, 'v1-broken.sqlite')
  const v1 = new Database(path)
  v1.exec(V1_SCHEMA)
  // a table the v2 step wants to create already exists: the step fails half-way
  v1.exec('CREATE TABLE call_offers (x INTEGER)')
  v1.close()
  await t.rejects(Store.open(path), /call_offers already exists/)
  const db = new Database(path)
  t.teardown(() => db.close())
  t.equal(db.pragma('user_version', { simple: true }), 1)
  t.same(
    (db.pragma('table_info(queues)') as { name: string }[]).map((c) => c.name).includes('language'),
    true,
    'queues untouched',
  )
})

t.test('refuses a newer file and a non-koplus file', async (t) => {
  const newer = join(dir, 'newer.sqlite')
  const db = new Database(newer)
  db.pragma(`user_version = ${CURRENT_VERSION + 1}`)
  db.close()
  await t.rejects(Store.open(newer), {
    name: 'StoreError',
    code: 'KOPLUS_STORE_SCHEMA',
    message: /newer than this koplus/,
  })

  const other = join(dir, 'other.sqlite')
  const db2 = new Database(other)
  db2.exec('CREATE TABLE something (x)')
  db2.close()
  await t.rejects(Store.open(other), /not a koplus database/)
})

t.test('refuses a schema.sql whose version disagrees with the migrations', async (t) => {
  const bad = join(dir, 'schema-bad.sql')
  writeFileSync(
    bad,
    readFileSync(defaultSchemaPath(), 'utf8').replace(
      /PRAGMA user_version = \d+/,
      `PRAGMA user_version = ${CURRENT_VERSION + 5}`,
    ),
  )
  await t.rejects(Store.open(':memory:', { schemaPath: bad }), /declares version/)
})
