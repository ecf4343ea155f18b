/**
 * The write queue on SQLite keeps its turns of the event loop short (issue 13: the daemon's event-loop lateness).
 * SQLite's statements run synchronously, so a backlog written with nothing but awaits in between ran in ONE turn:
 * with thousands of jobs queued (the daemon at 10,000 waiting callers) ESL events and timers waited 100+ ms. Now a
 * transaction commits once its jobs took `sliceMs` (on the queue's monotonic clock, virtual here), and the queue
 * yields a turn between transactions. Order, whole jobs and the koplus_writer row are as before.
 */
import t from 'tap'
import type { Store } from '../../src/store/index.js'
import type { SqlRunner } from '../../src/store/sql/async-db.js'
import { WriteQueue } from '../../src/store/write-queue.js'
import { sqliteBackend } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const sqlite = sqliteBackend()

/** One event's writes; each job "takes" 1 ms of the virtual monotonic clock. */
function eventJob(store: Store, i: number, clock: { ms: number }) {
  return async (tx: SqlRunner) => {
    const s = store.within(tx)
    await s.calls.start({ callId: `c${i}`, tenantId: 'default', queueId: 'q1', arrivedAt: T0 + i })
    await s.events.append({ at: T0 + i, callId: `c${i}`, queueId: 'q1', event: 'ARRIVE', data: { i } })
    clock.ms += 1
  }
}

t.test('sqlite: a transaction stops at sliceMs of jobs; the rest follow in order, each job whole', async (t) => {
  const store = await sqlite.openStore(t)
  const clock = { ms: 0 }
  const q = new WriteQueue(store.db, { sliceMs: 4, monotonic: () => clock.ms })
  t.teardown(() => q.close())
  const order: number[] = []
  q.on('written', (seq: number) => order.push(seq))
  for (let i = 1; i <= 10; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i, clock))
  await q.drained()
  t.same(
    order,
    Array.from({ length: 10 }, (_, i) => i + 1),
    'every job written, in order',
  )
  t.same(
    (await store.events.list()).map((e) => e.callId),
    Array.from({ length: 10 }, (_, i) => `c${i + 1}`),
  )
  t.equal(q.commits, 3, '10 jobs of 1 ms with a 4 ms slice: transactions of 4, 4 and 2')
  t.strictSame(await store.db.get('SELECT last_seq FROM koplus_writer WHERE writer = ?', [q.writerId]), {
    last_seq: 10,
  })
})

t.test('sqlite: the queue yields a turn of the event loop between transactions', async (t) => {
  const store = await sqlite.openStore(t)
  const clock = { ms: 0 }
  const q = new WriteQueue(store.db, { sliceMs: 4, monotonic: () => clock.ms })
  t.teardown(() => q.close())
  for (let i = 1; i <= 10; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i, clock))
  // Queued before the writes begin: runs at the queue's first yield, or after everything if it never yields.
  const writtenAtFirstTurn = new Promise<number>((resolve) => setImmediate(() => resolve(q.health().written)))
  t.equal(await writtenAtFirstTurn, 4, 'another turn ran after the first transaction (4 jobs), not after all 10')
  await q.drained()
  t.equal(q.health().written, 10)
})

t.test('sqlite: without a slice (sliceMs Infinity) a burst goes in maxBatch transactions as before', async (t) => {
  const store = await sqlite.openStore(t)
  const clock = { ms: 0 }
  const q = new WriteQueue(store.db, { sliceMs: Infinity, maxBatch: 16, monotonic: () => clock.ms })
  t.teardown(() => q.close())
  for (let i = 1; i <= 40; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i, clock))
  await q.drained()
  t.equal(q.health().written, 40)
  t.ok(q.commits <= 40 / 16 + 2, `40 jobs in ${q.commits} commits`)
})
