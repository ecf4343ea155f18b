/**
 * The write queue: one transaction per event, in order, exactly once — through a PostgreSQL outage (the private
 * server stopped mid-run and started again), a lost commit acknowledgement, and a write that can never succeed.
 */
import { once } from 'node:events'
import t from 'tap'
import { StoreError } from '../../src/store/errors.js'
import type { Store } from '../../src/store/index.js'
import type { AsyncSqlDb, SqlRunner } from '../../src/store/sql/async-db.js'
import { isRetryable, WriteQueue, type WriteQueueHealth } from '../../src/store/write-queue.js'
import { storeBackends } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

/** One event's writes, through the store's repositories bound to the job's transaction: a call record, an event. */
function eventJob(store: Store, i: number) {
  return async (tx: SqlRunner) => {
    const s = store.within(tx)
    await s.calls.start({ callId: `c${i}`, tenantId: 'default', queueId: 'q1', arrivedAt: T0 + i })
    await s.events.append({ at: T0 + i, callId: `c${i}`, queueId: 'q1', event: 'ARRIVE', data: { i } })
  }
}

const backends = await storeBackends(t)

for (const b of backends) {
  t.test(`${b.name}: jobs are written in order, one transaction each; enqueue does not wait`, async (t) => {
    const store = await b.openStore(t)
    const db = store.db
    const q = new WriteQueue(db, { retryMinMs: 10, retryMaxMs: 50 })
    t.teardown(() => q.close())
    const seqs = [1, 2, 3].map((i) => q.enqueue(`ARRIVE c${i}`, eventJob(store, i)))
    t.same(seqs, [1, 2, 3])
    t.equal(q.health().queued, 3, 'enqueue returned before anything was written')
    await q.drained()
    const events = await store.events.list()
    t.same(
      events.map((e) => e.callId),
      ['c1', 'c2', 'c3'],
    )
    t.strictSame(
      await db.get('SELECT last_seq FROM koplus_writer WHERE writer = ?', [q.writerId]),
      { last_seq: 3 },
      'the exactly-once table holds the last job applied (on SQLite too)',
    )
    t.same(q.health(), {
      state: 'ok',
      queued: 0,
      written: 3,
      rejected: 0,
      failures: 0,
      degradedSince: null,
      lastError: null,
    })
  })

  t.test(`${b.name}: a write that cannot succeed is rolled back and set aside; the rest go on`, async (t) => {
    const store = await b.openStore(t)
    const db = store.db
    const q = new WriteQueue(db, { retryMinMs: 10, retryMaxMs: 50 })
    t.teardown(() => q.close())
    q.enqueue('ARRIVE c1', eventJob(store, 1))
    q.enqueue('ARRIVE c1 again', eventJob(store, 1)) // DUPLICATE: its event row must not stay either
    q.enqueue('ARRIVE c2', eventJob(store, 2))
    const [seq, label, err] = (await once(q, 'rejected')) as [number, string, unknown]
    t.same([seq, label], [2, 'ARRIVE c1 again'])
    t.ok(err instanceof StoreError && err.code === 'KOPLUS_STORE_DUPLICATE')
    await q.drained()
    t.same(
      (await store.events.list()).map((e) => e.callId),
      ['c1', 'c2'],
      'the rejected event wrote nothing',
    )
    t.match(q.health(), { state: 'ok', written: 2, rejected: 1 })
    t.match(q.rejected(), [{ seq: 2, label: 'ARRIVE c1 again', error: "call 'c1' already recorded" }])
  })

  t.test(`${b.name}: a commit whose acknowledgement was lost is not applied twice on retry`, async (t) => {
    const store = await b.openStore(t)
    const db = store.db
    let lose = 1
    // The transaction commits, then the caller sees a connection error, as when the link breaks after COMMIT.
    const flaky: AsyncSqlDb = {
      dialect: db.dialect,
      all: (sql, params) => db.all(sql, params),
      get: (sql, params) => db.get(sql, params),
      run: (sql, params) => db.run(sql, params),
      version: () => db.version(),
      close: () => db.close(),
      async transaction<T>(fn: (tx: SqlRunner) => Promise<T>): Promise<T> {
        const r = await db.transaction(fn)
        if (lose-- > 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })
        return r
      },
    }
    const q = new WriteQueue(flaky, { retryMinMs: 5, retryMaxMs: 10 })
    t.teardown(() => q.close())
    q.enqueue('ARRIVE c1', eventJob(store, 1))
    q.enqueue('ARRIVE c2', eventJob(store, 2))
    await q.drained()
    t.same(
      (await store.events.list()).map((e) => e.callId),
      ['c1', 'c2'],
      'c1 once, no DUPLICATE',
    )
    t.match(q.health(), { state: 'ok', written: 2, rejected: 0, failures: 1 })
  })
}

const pgBackend = backends.find((b) => b.name === 'postgres')
if (pgBackend) {
  t.test(
    'postgres: server stopped mid-run → writes queue, health degraded with the queue length; restarted → drained in order, exactly once',
    async (t) => {
      const pg = pgBackend.pg!
      const store = await pgBackend.openStore(t)
      const db = store.db
      const q = new WriteQueue(db, { retryMinMs: 20, retryMaxMs: 200 })
      t.teardown(() => q.close())
      for (let i = 1; i <= 5; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
      await q.drained()

      await pg.stop()
      const degraded = once(q, 'degraded') as Promise<[WriteQueueHealth]>
      for (let i = 6; i <= 25; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
      const [atStart] = await degraded
      t.equal(atStart.state, 'degraded')
      t.equal(atStart.queued, 20, 'all 20 writes of the outage are queued')
      t.ok(atStart.lastError, `the error is reported: ${atStart.lastError}`)
      t.ok(
        isRetryable({ code: '57P03' }) && isRetryable({ code: 'ECONNREFUSED' }),
        'shutdown and refused connections are retried',
      )
      for (let i = 26; i <= 30; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
      t.match(
        q.health(),
        { state: 'degraded', queued: 25, written: 5 },
        'still degraded, nothing written, nothing dropped',
      )

      const recovered = once(q, 'recovered')
      await pg.start()
      await recovered
      const events = await store.events.list({ limit: 100 })
      t.same(
        events.map((e) => e.callId),
        Array.from({ length: 30 }, (_, i) => `c${i + 1}`),
        'every event once, in order',
      )
      t.same(
        events.map((e) => e.id),
        [...events.map((e) => e.id)].sort((x, y) => x - y),
        'committed in enqueue order',
      )
      const calls = await db.all<{ n: number }>('SELECT count(*) AS n FROM call_records')
      t.equal(Number(calls[0].n), 30)
      const h = q.health()
      t.match(h, { state: 'ok', queued: 0, written: 30, rejected: 0, degradedSince: null, lastError: null })
      t.ok(h.failures >= 1)
    },
  )
}
