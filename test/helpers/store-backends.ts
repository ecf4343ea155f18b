/**
 * The store tests' backends: each test of a parameterised suite runs once on SQLite (a file in a temp dir) and once
 * on PostgreSQL (a fresh database on this test file's private cluster, test/helpers/postgres.ts).
 *
 *   const backends = await storeBackends(t)
 *   for (const b of backends) t.test(`${b.name}: …`, async (t) => { const db = await b.open(t); … })
 *   for (const b of backends) t.test(`${b.name}: …`, async (t) => { const store = await b.openStore(t, { clock }); … })
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { migratePg } from '../../src/store/pg/migrate.js'
import { PgSqlDb } from '../../src/store/pg/pg-db.js'
import { Store, type StoreOptions } from '../../src/store/index.js'
import type { AsyncSqlDb } from '../../src/store/sql/async-db.js'
import { SqliteSqlDb } from '../../src/store/sql/sqlite-db.js'
import { startPostgres, type PrivatePostgres } from './postgres.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

export interface StoreBackend {
  name: 'sqlite' | 'postgres'
  /** A fresh, migrated, empty store (closed and removed with t). */
  open(t: Teardown): Promise<AsyncSqlDb>
  /**
   * A fresh whole Store (`Store.open(path or url, opts)`: created, migrated, the default tenant only), closed and
   * removed with t.
   */
  openStore(t: Teardown, opts?: StoreOptions): Promise<Store>
  pg?: PrivatePostgres
}

let dbCounter = 0

export function sqliteBackend(): StoreBackend {
  return {
    name: 'sqlite',
    async open(t) {
      const dir = mkdtempSync(join(tmpdir(), 'koplus-store-'))
      const db = SqliteSqlDb.open(join(dir, 'koplus.sqlite'))
      t.teardown(async () => {
        await db.close()
        rmSync(dir, { recursive: true, force: true })
      })
      return db
    },
    async openStore(t, opts = {}) {
      const dir = mkdtempSync(join(tmpdir(), 'koplus-store-'))
      const store = await Store.open(join(dir, 'koplus.sqlite'), opts)
      t.teardown(async () => {
        await store.close()
        rmSync(dir, { recursive: true, force: true })
      })
      return store
    },
  }
}

export function postgresBackend(pg: PrivatePostgres): StoreBackend {
  return {
    name: 'postgres',
    pg,
    async open(t) {
      const url = await pg.createDatabase(`koplus_t${++dbCounter}`)
      const db = new PgSqlDb(url, { connectTimeoutMs: 1000 })
      t.teardown(() => db.close())
      await migratePg(db)
      return db
    },
    async openStore(t, opts = {}) {
      const url = await pg.createDatabase(`koplus_t${++dbCounter}`)
      const store = await Store.open(url, { connectTimeoutMs: 1000, ...opts })
      t.teardown(() => store.close())
      return store
    },
  }
}

/** SQLite always; PostgreSQL when a private cluster can be started (under CI=true it must: see startPostgres). */
export async function storeBackends(t: Parameters<typeof startPostgres>[0]): Promise<StoreBackend[]> {
  const pg = await startPostgres(t)
  return pg ? [sqliteBackend(), postgresBackend(pg)] : [sqliteBackend()]
}

/** A tenant, a queue 'q1' and agents 'a1' (member of q1) and 'a2' (not a member), inserted with plain SQL. */
export async function seedAgents(db: AsyncSqlDb): Promise<void> {
  await db.run(
    "INSERT INTO queues (id, tenant_id, number, name, created_at) VALUES ('q1', 'default', '5000', 'Support', 1)",
  )
  for (const a of ['a1', 'a2']) {
    await db.run(
      "INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES (?, 'default', ?, ?, 'pro', 1)",
      [a, a === 'a1' ? '1001' : '1002', a],
    )
  }
  await db.run("INSERT INTO memberships (agent_id, queue_id, created_at) VALUES ('a1', 'q1', 1)")
}
