/**
 * The configuration repositories give the same results on PostgreSQL as on SQLite where the engines differ: text
 * order under a locale collation, where NULLs sort, filters PostgreSQL cannot type as `? IS NULL`, and a concurrent
 * writer taking a unique value between a repository's check and its write (the same StoreError, not a raw 23505).
 */
import pg from 'pg'
import t, { type Test } from 'tap'
import { StoreError, Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { storeBackends, type StoreBackend } from '../helpers/store-backends.js'
import { storeError } from '../helpers/store-error.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

let icuCounter = 0

/**
 * SQLite: a fresh store. PostgreSQL: a fresh store on a database whose default collation is ICU's English one
 * (where 'a' < 'B' < 'b', unlike byte order 'B' < 'a'), as a server initialised with an en_US locale would have.
 */
async function openWithLocale(t: Test, b: StoreBackend, clock: VirtualClock): Promise<Store> {
  if (!b.pg) return b.openStore(t, { clock })
  const name = `koplus_icu${++icuCounter}`
  const admin = new pg.Client({ connectionString: b.pg.url })
  await admin.connect()
  try {
    await admin.query(
      `CREATE DATABASE ${name} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C' LOCALE_PROVIDER icu ICU_LOCALE 'en-US'`,
    )
  } finally {
    await admin.end()
  }
  const store = await Store.open(b.pg.url.replace(/\/koplus$/, `/${name}`), { clock, connectTimeoutMs: 1000 })
  t.teardown(() => store.close())
  return store
}

/** Resolves once another PostgreSQL session waits for a lock (the concurrent writer is blocked on our row). */
async function someoneWaits(store: Store, gaveUp: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !gaveUp(); i++) {
    const r = await store.db.get<{ n: number }>('SELECT count(*) AS n FROM pg_locks WHERE NOT granted')
    if (r && r.n > 0) return
    await new Promise((resolve) => setImmediate(resolve))
  }
  if (!gaveUp()) throw new Error('the concurrent writer never waited for the open transaction')
}

/**
 * Run `first` in a transaction held open until `second` (on another connection) has run into it: on PostgreSQL
 * until `second` waits for first's lock, on SQLite (one writer: second waits for the whole transaction) at once.
 */
async function race<T>(
  b: StoreBackend,
  store: Store,
  first: (s: Store) => Promise<unknown>,
  second: () => Promise<T>,
): Promise<PromiseSettledResult<T>> {
  let wrote!: () => void
  const written = new Promise<void>((r) => (wrote = r))
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  const tx = store.tx(async (s) => {
    await first(s)
    wrote()
    await held
  })
  await Promise.race([written, tx]) // (tx: first failed)
  const other = second()
  const settled = Promise.allSettled([other])
  let done = false
  void settled.then(() => (done = true))
  if (b.pg) await Promise.race([someoneWaits(store, () => done), settled]) // (settled: it did not wait after all)
  release()
  await tx
  return (await settled)[0]
}

const backends = await storeBackends(t)

for (const b of backends) {
  t.test(`${b.name}: lists come back in byte order, whatever the database's collation`, async (t) => {
    const clock = new VirtualClock(T0)
    const store = await openWithLocale(t, b, clock)
    for (const id of ['b', 'B', 'a', 'A']) {
      await store.tenants.create({
        id,
        name: id,
        domain: `${id.toLowerCase()}${id === id.toUpperCase() ? '2' : ''}.example`,
      })
      await store.holidayCalendars.create({ id: `hc-${id}`, name: `Cal ${id}`, customDates: [] })
      await store.agents.create({
        id: `ag-${id}`,
        tenantId: 'default',
        extension: `10${id.charCodeAt(0)}`,
        name: id,
        plan: 'pro',
      })
    }
    t.same(
      (await store.tenants.list()).map((x) => x.id).filter((id) => id !== 'default'),
      ['A', 'B', 'a', 'b'],
      'tenants (same created_at) by id',
    )
    t.strictSame(
      (await store.tenants.usage()).filter((u) => u.id !== 'default'),
      [
        { id: 'A', domain: 'a2.example', queues: 0, agents: 0 },
        { id: 'B', domain: 'b2.example', queues: 0, agents: 0 },
        { id: 'a', domain: 'a.example', queues: 0, agents: 0 },
        { id: 'b', domain: 'b.example', queues: 0, agents: 0 },
      ],
      'usage: by id, counts as numbers',
    )
    t.same(
      (await store.holidayCalendars.list()).map((x) => x.name),
      ['Cal A', 'Cal B', 'Cal a', 'Cal b'],
      'calendars by name',
    )
    const q = await store.queues.create({ id: 'q', number: '5000', name: 'Support' })
    for (const id of ['b', 'B', 'a', 'A']) await store.memberships.add(`ag-${id}`, q.id)
    t.same(
      (await store.memberships.list({ queueId: q.id })).map((m) => m.agentId),
      ['ag-A', 'ag-B', 'ag-a', 'ag-b'],
      'memberships by agent id',
    )
    for (const id of ['b', 'B', 'a', 'A']) await store.sessions.login(`ag-${id}`, q.id)
    t.same(
      (await store.sessions.list({ queueId: q.id })).map((s) => s.agentId),
      ['ag-A', 'ag-B', 'ag-a', 'ag-b'],
      'sessions (same since) by agent id',
    )
    for (const id of ['b', 'B', 'a', 'A'])
      await store.closures.create({ id: `cl-${id}`, scope: { kind: 'tenant' }, reason: 'r', by: 'eva' })
    t.same(
      (await store.closures.active(T0)).map((c) => c.id),
      ['cl-A', 'cl-B', 'cl-a', 'cl-b'],
      'active closures (same from) by id',
    )
    t.same(
      (await store.closures.list()).map((c) => c.id),
      ['cl-b', 'cl-a', 'cl-B', 'cl-A'],
      'closures newest first, then id descending',
    )
  })

  t.test(`${b.name}: filters and NULL order: prompts, closures, memberships, sessions`, async (t) => {
    const clock = new VirtualClock(T0)
    const store = await b.openStore(t, { clock })
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    const q1 = await store.queues.create({ id: 'q1', number: '5000', name: 'Support' })
    await store.queues.create({ id: 'qa', tenantId: 'acme', number: '5000', name: 'Acme' })
    await store.prompts.put({ tenantId: 'default', queueId: q1.id, language: 'sv', name: 'welcome', path: '/q.wav' })
    await store.prompts.put({ tenantId: 'default', language: 'sv', name: 'welcome', path: '/t.wav' })
    await store.prompts.put({ tenantId: 'acme', language: 'en', name: 'welcome', path: '/acme.wav' })
    t.same(
      (await store.prompts.list()).map((p) => p.path),
      ['/acme.wav', '/t.wav', '/q.wav'],
      "by tenant, then the tenant-wide prompt (queue NULL) before the queue's",
    )
    t.same(
      (await store.prompts.list('default')).map((p) => p.path),
      ['/t.wav', '/q.wav'],
    )
    t.same(
      (await store.prompts.list(undefined, q1.id)).map((p) => p.path),
      ['/q.wav'],
    )
    t.equal(await store.prompts.remove((await store.prompts.list('acme'))[0].id), '/acme.wav')
    t.equal((await storeError(t, store.prompts.remove('p_gone'))).storeCode, 'NOT_FOUND')

    const c1 = await store.closures.create({ scope: { kind: 'tenant' }, reason: 'r', by: 'eva' })
    clock.advance(1000)
    const c2 = await store.closures.create({ tenantId: 'acme', scope: { kind: 'tenant' }, reason: 'r', by: 'eva' })
    t.same(
      (await store.closures.active(clock.now(), 'acme')).map((c) => c.id),
      [c2.id],
    )
    t.same(
      (await store.closures.list('default')).map((c) => c.id),
      [c1.id],
    )
    t.same(
      (await store.closures.list(undefined, 1)).map((c) => c.id),
      [c2.id],
      'limit',
    )
    t.same(await store.closures.reopen(c1.id, 'eva').then((c) => c.reopenedBy), 'eva')
    t.equal((await storeError(t, store.closures.reopen(c1.id, 'eva'))).field, 'closure.reopenedAt')

    await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })
    await store.memberships.add('anna', q1.id)
    t.same(await store.memberships.list({ agentId: 'anna', queueId: 'qa' }), [])
    t.equal(await store.memberships.has('anna', q1.id), true)
    await store.sessions.login('anna', q1.id)
    t.equal(await store.sessions.setPaused('anna', true, 'lunch'), 1)
    t.same(await store.sessions.list({ agentId: 'anna' }), [
      { agentId: 'anna', queueId: 'q1', since: T0 + 1000, paused: true, pauseReason: 'lunch', pausedAt: T0 + 1000 },
    ])
    t.same(await store.sessions.logout('anna', 'qa'), [], 'not logged in there')
    t.same(await store.sessions.logout('anna'), ['q1'])
  })

  t.test(`${b.name}: a concurrent writer's duplicate is the same StoreError as a checked one`, async (t) => {
    const store = await b.openStore(t, { clock: new VirtualClock(T0) })
    const created = await race(
      b,
      store,
      (s) => s.queues.create({ number: '5000', name: 'First' }),
      () => store.queues.create({ number: '5000', name: 'Second' }),
    )
    t.equal(created.status, 'rejected')
    const e = (created as PromiseRejectedResult).reason as StoreError
    t.ok(e instanceof StoreError, 'a StoreError, not the database error')
    t.equal(e.storeCode, 'DUPLICATE')
    t.equal(e.message, 'queue number 5000 already exists in tenant default')
    t.same(
      (await store.queues.list()).map((q) => q.name),
      ['First'],
    )

    await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })
    await store.agents.create({ id: 'bo', extension: '1002', name: 'Bo', plan: 'pro' })
    const updated = await race(
      b,
      store,
      (s) => s.agents.update('anna', { sipUser: 'desk' }),
      () => store.agents.update('bo', { sipUser: 'desk' }),
    )
    t.equal(updated.status, 'rejected')
    const u = (updated as PromiseRejectedResult).reason as StoreError
    t.ok(u instanceof StoreError, 'a StoreError, not the database error')
    t.equal(u.storeCode, 'DUPLICATE')
    t.equal(u.field, 'agent.sipUser')
    t.match(u.message, /^agent SIP user 'desk' already belongs to (agent 1001|another agent) in tenant default$/)
    t.equal((await store.agents.get('bo')).sipUser, '1002', 'nothing written')

    const tenant = await race(
      b,
      store,
      (s) => s.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' }),
      () => store.tenants.create({ id: 'acme2', name: 'Acme 2', domain: 'acme.example' }),
    )
    t.equal(
      ((tenant as PromiseRejectedResult).reason as StoreError).message,
      "tenant domain 'acme.example' already exists",
    )
  })

  t.test(`${b.name}: a concurrent writer's reference is the same StoreError as a checked one`, async (t) => {
    const store = await b.openStore(t, { clock: new VirtualClock(T0) })
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    const removed = await race(
      b,
      store,
      (s) => s.queues.create({ tenantId: 'acme', number: '5000', name: 'Support' }),
      () => store.tenants.remove('acme'),
    )
    t.equal(removed.status, 'rejected')
    const e = (removed as PromiseRejectedResult).reason as StoreError
    t.ok(e instanceof StoreError, 'a StoreError, not the database error')
    t.equal(e.storeCode, 'IN_USE')
    t.match(e.message, /^tenant 'acme' (still has 1 queues; remove them first|is still in use; remove its)/)
    t.equal((await store.tenants.get('acme')).domain, 'acme.example', 'the tenant is still there')

    const q = await store.queues.create({ id: 'q1', number: '5001', name: 'Sales' })
    await store.agents.create({ id: 'anna', extension: '1001', name: 'Anna', plan: 'pro' })
    const added = await race(
      b,
      store,
      (s) => s.agents.remove('anna'),
      () => store.memberships.add('anna', q.id),
    )
    t.equal(added.status, 'rejected')
    const m = (added as PromiseRejectedResult).reason as StoreError
    t.ok(m instanceof StoreError, 'a StoreError, not the database error')
    t.equal(m.storeCode, 'NOT_FOUND')
    t.same(await store.memberships.list(), [])
  })
}
