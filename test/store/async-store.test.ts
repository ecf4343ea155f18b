/** AsyncStore.open picks the store from database.url / database.path; the synchronous Store keeps working beside it. */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import { AsyncStore, CallPathRepository, Store } from '../../src/store/index.js'
import { startPostgres } from '../helpers/postgres.js'
import { CURRENT_VERSION } from '../../src/store/migrations.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const dir = mkdtempSync(join(tmpdir(), 'koplus-async-store-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const pg = await startPostgres(t)

t.test(
  'no url: SQLite at path, the same file the synchronous Store reads; close() drains the queue first',
  async (t) => {
    const path = join(dir, 'koplus.sqlite')
    const store = await AsyncStore.open({ path })
    t.equal(store.backend, 'sqlite')
    for (let i = 1; i <= 3; i++) {
      store.writes.enqueue(`ARRIVE c${i}`, (tx) =>
        new CallPathRepository(tx)
          .startCall({ callId: `c${i}`, tenantId: 'default', queueId: 'q1', arrivedAt: T0 + i })
          .then(() => undefined),
      )
    }
    t.match(store.health(), { backend: 'sqlite', writes: { state: 'ok', queued: 3 } })
    await store.close()
    const sync = Store.open(path)
    t.teardown(() => sync.close())
    t.same(
      sync.calls.inProgress().map((c) => c.callId),
      ['c1', 'c2', 'c3'],
      'written before close, visible to the synchronous Store',
    )
  },
)

t.test('a url that is not postgres:// and a missing path are refused', async (t) => {
  await t.rejects(AsyncStore.open({ url: 'mysql://u:pw@h/db' }), {
    message: 'database.url must be a postgres:// URL (got mysql://u:***@h/db)',
  })
  await t.rejects(AsyncStore.open({}), { message: /database.path is required/ })
})

if (pg) {
  t.test('postgres://: PostgreSQL, schema created on first open, writes and reads', async (t) => {
    const url = await pg.createDatabase('async_store')
    const store = await AsyncStore.open({ url })
    t.teardown(() => store.close())
    t.equal(store.backend, 'postgres')
    t.equal(await store.db.version(), CURRENT_VERSION)
    store.writes.enqueue('ARRIVE c1', async (tx) => {
      const r = new CallPathRepository(tx)
      await r.startCall({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
      await r.appendEvent({ at: T0, callId: 'c1', event: 'ARRIVE' })
    })
    await store.writes.drained()
    t.same(
      (await store.calls.callsInProgress()).map((c) => c.callId),
      ['c1'],
    )
    t.match(store.health(), { backend: 'postgres', writes: { state: 'ok', queued: 0, written: 1 } })
  })
}
