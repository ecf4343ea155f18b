/**
 * Group commit on SQLite (write-queue.ts groupMs, the daemon's SQLITE_GROUP_MS): jobs that come one at a time are
 * gathered after a commit for up to groupMs, so one transaction carries many (each commit rewrites every page it
 * touched into the WAL; hundreds a second were the store's main cost at 200 arrivals/s, issue 13). A full batch is
 * written at once; a quiet store (under groupAbovePerSec commits a second) writes at once, so what a test or an
 * operator reads right after a change is there; groupMs 0 is the old behaviour; order and koplus_writer as always.
 */
import t from 'tap'
import type { Store } from '../../src/store/index.js'
import type { SqlRunner } from '../../src/store/sql/async-db.js'
import { WriteQueue } from '../../src/store/write-queue.js'
import { sqliteBackend } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const sqlite = sqliteBackend()
const turn = () => new Promise<void>((r) => setImmediate(r))

function eventJob(store: Store, i: number) {
  return async (tx: SqlRunner) => {
    await store.within(tx).events.append({ at: T0 + i, callId: `c${i}`, queueId: 'q1', event: 'ARRIVE', data: { i } })
  }
}

/** Jobs enqueued one per turn of the event loop, as a daemon's events bring them. */
async function trickle(q: WriteQueue, store: Store, from: number, n: number): Promise<void> {
  for (let i = from; i < from + n; i++) {
    q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
    await turn()
  }
}

t.test('only under load: a quiet store writes at once; past 100 commits in a second the window applies', async (t) => {
  const store = await sqlite.openStore(t)
  let ms = 0
  const q = new WriteQueue(store.db, { groupMs: 1000, monotonic: () => ms })
  t.teardown(() => q.close())
  for (let i = 1; i <= 10; i++) {
    ms += 50 // 20 commits a second
    await trickle(q, store, i, 1)
    await q.drained()
  }
  t.equal(q.commits, 10, 'a job every 50 ms: each written at once, read-your-writes as before')
  for (let i = 11; i <= 110; i++) {
    ms += 5 // 200 a second
    await trickle(q, store, i, 1)
    await q.drained()
  }
  t.equal(q.commits, 110, 'the first hundred at 200 a second still at once (the rate is known after them)')
  const before = q.commits
  await trickle(q, store, 111, 5)
  t.equal(q.commits, before, 'now under load: the next jobs wait for the window')
  ms += 1000
  await q.drained()
  t.equal(q.commits, before + 1, 'and go in one transaction')
})

t.test('groupMs: jobs coming one per turn go in one transaction after the window, in order', async (t) => {
  const store = await sqlite.openStore(t)
  const q = new WriteQueue(store.db, { groupMs: 1000, groupAbovePerSec: 0 })
  t.teardown(() => q.close())
  await trickle(q, store, 1, 1)
  await q.drained()
  t.equal(q.commits, 1, 'the first job, after a quiet spell, is written at once')
  await trickle(q, store, 2, 10)
  t.equal(q.health().written, 1, 'the next ten wait for the window')
  await q.drained()
  t.equal(q.commits, 2, 'and go in one transaction')
  t.same(
    (await store.events.list()).map((e) => e.callId),
    Array.from({ length: 11 }, (_, i) => `c${i + 1}`),
    'in order',
  )
  t.strictSame(await store.db.get('SELECT last_seq FROM koplus_writer WHERE writer = ?', [q.writerId]), {
    last_seq: 11,
  })
})

t.test('groupMs 0 (the default): a transaction per turn, as before', async (t) => {
  const store = await sqlite.openStore(t)
  const q = new WriteQueue(store.db)
  t.teardown(() => q.close())
  await trickle(q, store, 1, 10)
  await q.drained()
  t.equal(q.commits, 10)
})

t.test('groupMs: a full batch waiting is written without waiting out the window', async (t) => {
  const store = await sqlite.openStore(t)
  const q = new WriteQueue(store.db, { groupMs: 60_000, groupAbovePerSec: 0, maxBatch: 4 })
  t.teardown(() => q.close())
  await trickle(q, store, 1, 1)
  await q.drained()
  for (let i = 2; i <= 5; i++) q.enqueue(`ARRIVE c${i}`, eventJob(store, i))
  await q.drained()
  t.equal(q.health().written, 5, 'written long before the 60 s window')
  t.equal(q.commits, 2)
})
