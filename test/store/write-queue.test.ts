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

  t.test(`${b.name}: a job that fails for good runs once more alone, carefully, before it is rejected`, async (t) => {
    const store = await b.openStore(t)
    const q = new WriteQueue(store.db, { retryMinMs: 10, retryMaxMs: 50 })
    t.teardown(() => q.close())
    const attempts: { label: string; careful: boolean }[] = []
    const job =
      (label: string, i: number, fail: 'never' | 'plain' | 'always') =>
      async (tx: SqlRunner, attempt: { careful: boolean }) => {
        attempts.push({ label, careful: attempt.careful })
        await eventJob(store, i)(tx)
        if (fail === 'always' || (fail === 'plain' && !attempt.careful)) throw new Error(`${label}: bad data`)
      }
    q.enqueue('cured', job('cured', 1, 'plain'))
    await q.drained()
    q.enqueue('hopeless', job('hopeless', 2, 'always'))
    await q.drained()
    t.same(
      attempts,
      [
        { label: 'cured', careful: false },
        { label: 'cured', careful: true },
        { label: 'hopeless', careful: false },
        { label: 'hopeless', careful: true },
      ],
      'each alone: a plain attempt, then a careful one',
    )
    t.same(
      (await store.events.list()).map((e) => e.callId),
      ['c1'],
      'the job its careful attempt cured is written once; the hopeless one left nothing',
    )
    t.match(q.health(), { written: 1, rejected: 1, failures: 3 })
    t.match(q.rejected(), [{ label: 'hopeless', error: 'hopeless: bad data' }])
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

for (const b of backends) {
  t.test(`${b.name}: a burst is written in a few grouped transactions, in order, each job whole`, async (t) => {
    const store = await b.openStore(t)
    const q = new WriteQueue(store.db, { retryMinMs: 10, retryMaxMs: 50, maxBatch: 16 })
    t.teardown(() => q.close())
    const order: number[] = []
    q.on('written', (seq: number) => order.push(seq))
    for (let i = 1; i <= 100; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
    await q.drained()
    t.same(
      order,
      Array.from({ length: 100 }, (_, i) => i + 1),
      'every job reported written, in order',
    )
    t.same(
      (await store.events.list()).map((e) => e.callId),
      Array.from({ length: 100 }, (_, i) => `c${i + 1}`),
    )
    t.ok(q.commits <= 100 / 16 + 2, `100 jobs in ${q.commits} commits (at most 16 a transaction)`)
    t.ok(q.commits >= 100 / 16, 'no transaction held more than maxBatch jobs')
    t.strictSame(await store.db.get('SELECT last_seq FROM koplus_writer WHERE writer = ?', [q.writerId]), {
      last_seq: 100,
    })
  })

  t.test(
    `${b.name}: a job that cannot succeed inside a batch: only it is rejected, its batch-mates are written`,
    async (t) => {
      const store = await b.openStore(t)
      const q = new WriteQueue(store.db, { retryMinMs: 10, retryMaxMs: 50, maxBatch: 8 })
      t.teardown(() => q.close())
      for (let i = 1; i <= 10; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i === 5 ? 4 : i)) // the 5th repeats c4
      await q.drained()
      t.same(
        (await store.events.list()).map((e) => e.callId),
        ['c1', 'c2', 'c3', 'c4', 'c6', 'c7', 'c8', 'c9', 'c10'],
        'the duplicate wrote nothing, every other job is there once',
      )
      t.match(q.health(), { state: 'ok', written: 9, rejected: 1, queued: 0 })
      t.match(q.rejected(), [{ seq: 5, label: 'ARRIVE c5' }])
    },
  )

  t.test(`${b.name}: maxBatch 1 keeps one transaction per job`, async (t) => {
    const store = await b.openStore(t)
    const q = new WriteQueue(store.db, { maxBatch: 1 })
    t.teardown(() => q.close())
    for (let i = 1; i <= 5; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
    await q.drained()
    t.equal(q.commits, 5)
  })
}
