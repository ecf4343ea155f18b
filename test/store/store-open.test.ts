/**
 * Store.open picks the engine from what it is given (database.url or database.path): a postgres:// URL is
 * PostgreSQL, another URL scheme is refused, anything else is a SQLite file. close() drains the write queue first.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { isPostgresUrl, Store } from '../../src/store/index.js'
import { CURRENT_VERSION } from '../../src/store/migrations.js'
import { startPostgres } from '../helpers/postgres.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const dir = mkdtempSync(join(tmpdir(), 'koplus-store-open-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const pg = await startPostgres(t)

t.test('a path: SQLite in that file; close() writes what is queued first, a reopen reads it', async (t) => {
  const path = join(dir, 'koplus.sqlite')
  const store = await Store.open(path)
  t.equal(store.backend, 'sqlite')
  t.equal(await store.version(), CURRENT_VERSION)
  for (let i = 1; i <= 3; i++) {
    store.writes.enqueue(`ARRIVE c${i}`, (tx) =>
      store
        .within(tx)
        .calls.start({ callId: `c${i}`, tenantId: 'default', queueId: 'q1', arrivedAt: T0 + i })
        .then(() => undefined),
    )
  }
  t.match(store.health(), { backend: 'sqlite', writes: { state: 'ok', queued: 3 } })
  await store.close()
  const again = await Store.open(path)
  t.teardown(() => again.close())
  t.strictSame(
    (await again.calls.inProgress()).map((c) => c.callId),
    ['c1', 'c2', 'c3'],
    'written before close',
  )
})

t.test('another URL scheme is refused (password redacted), not taken for a file name', async (t) => {
  await t.rejects(Store.open('mysql://u:pw@h/db'), {
    code: 'KOPLUS_STORE_INVALID',
    message: 'database.url must be a postgres:// URL (got mysql://u:***@h/db)',
  })
  t.notOk(existsSync('mysql:'), 'no file was created')
  t.ok(isPostgresUrl('postgres://h/db') && isPostgresUrl('POSTGRESQL://h/db'))
  t.notOk(isPostgresUrl('/var/lib/koplus/koplus.sqlite') || isPostgresUrl(undefined))
})

if (pg) {
  t.test('postgres://: PostgreSQL, schema created on first open, writes through the queue and reads', async (t) => {
    const url = await pg.createDatabase('store_open')
    const store = await Store.open(url)
    t.teardown(() => store.close())
    t.equal(store.backend, 'postgres')
    t.equal(await store.version(), CURRENT_VERSION)
    store.writes.enqueue('ARRIVE c1', async (tx) => {
      const s = store.within(tx)
      await s.calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
      await s.events.append({ at: T0, callId: 'c1', event: 'ARRIVE' })
    })
    await store.writes.drained()
    t.strictSame(
      (await store.calls.inProgress()).map((c) => c.callId),
      ['c1'],
    )
    t.equal((await store.events.list({ callId: 'c1' })).length, 1)
    t.match(store.health(), { backend: 'postgres', writes: { state: 'ok', queued: 0, written: 1 } })
  })
}
