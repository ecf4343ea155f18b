/**
 * Lists ordered by a text column come back in the same order on PostgreSQL as on SQLite (byte order), even on a
 * PostgreSQL database whose collation sorts otherwise: here an ICU 'en' database, where 'boss' < 'Carl' < 'dave'
 * while bytes say 'Carl' < 'boss' < 'dave' (sql/clauses.ts textOrder: COLLATE "C").
 */
import t from 'tap'
import { Store } from '../../src/store/index.js'
import { startPostgres } from '../helpers/postgres.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const pg = await startPostgres(t)

async function fill(store: Store): Promise<void> {
  for (const u of ['dave', 'Carl', 'boss'])
    await store.accounts.create({ username: u, password: 'long enough', role: 'operator' })
  for (const id of ['dave', 'Carl', 'boss']) {
    await store.calls.start({ callId: id, tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
    await store.callbacks.record({
      callId: id,
      tenantId: 'default',
      queueId: 'q1',
      number: '070',
      requestedAt: T0,
      joinedAt: T0,
      seq: 1,
      state: 'waiting',
    })
  }
}

async function orders(store: Store): Promise<Record<string, string[]>> {
  return {
    accounts: (await store.accounts.list()).map((a) => a.username),
    callsNewestFirst: (await store.calls.list()).map((c) => c.callId),
    callsInProgress: (await store.calls.inProgress()).map((c) => c.callId),
    callbacks: (await store.callbacks.list()).map((c) => c.callId),
    pending: (await store.callbacks.pending()).map((c) => c.callId),
  }
}

const BYTE_ORDER = {
  accounts: ['Carl', 'boss', 'dave'],
  callsNewestFirst: ['dave', 'boss', 'Carl'],
  callsInProgress: ['Carl', 'boss', 'dave'],
  callbacks: ['Carl', 'boss', 'dave'],
  pending: ['Carl', 'boss', 'dave'],
}

t.test('sqlite: byte order', async (t) => {
  const store = await Store.open(':memory:')
  t.teardown(() => store.close())
  await fill(store)
  t.strictSame(await orders(store), BYTE_ORDER)
})

if (pg) {
  t.test('postgres with an ICU en collation: the same byte order', async (t) => {
    const admin = await Store.open(await pg.createDatabase('text_order_admin'))
    t.teardown(() => admin.close())
    await admin.db.run(
      "CREATE DATABASE text_order_icu TEMPLATE template0 ENCODING 'UTF8' LOCALE_PROVIDER icu ICU_LOCALE 'en' LOCALE 'C'",
    )
    const store = await Store.open(pg.url.replace(/\/koplus$/, '/text_order_icu'))
    t.teardown(() => store.close())
    const icu = await store.db.get<{ lt: boolean }>("SELECT 'boss' < 'Carl' AS lt")
    t.equal(icu?.lt, true, "the database's own collation puts 'boss' before 'Carl'")
    await fill(store)
    t.strictSame(await orders(store), BYTE_ORDER)
  })
}
