/**
 * Issue 14: the callbacks table — the core's `callback-record` upserts, the pending list the core rebuilds from (in
 * seq order, dialling ones included), and the statistics (requested, completed, failed by reason, time to
 * connection) — on SQLite and PostgreSQL, directly and through the call path's write queue.
 */
import t, { type Test } from 'tap'
import type { CallbackRecordUpdate } from '../../src/core/commands.js'
import type { Store } from '../../src/store/index.js'
import { storeBackends } from '../helpers/store-backends.js'

const backends = await storeBackends(t)

const base = {
  tenantId: 'default',
  queueId: 'q1',
  callerNumber: '070',
  requestedAt: 1000,
  joinedAt: 900,
  attempts: 0,
  nextAttemptAt: 1000,
}

/** Four callbacks requested, then dialled, connected, failed and held, as the core records them. */
const HISTORY: CallbackRecordUpdate[] = [
  { ...base, callId: 'b', number: '0702', seq: 5, state: 'waiting' },
  { ...base, callId: 'a', number: '0701', seq: 2.5, state: 'waiting' },
  { ...base, callId: 'c', number: '0703', seq: 7, state: 'waiting' },
  { ...base, callId: 'd', number: '0704', seq: 8, state: 'waiting' },
  { callId: 'b', state: 'dialing', attempts: 1 },
  { callId: 'c', state: 'completed', attempts: 1, connectedAt: 61_000, agentId: 'a1' },
  { callId: 'd', state: 'failed', reason: 'busy', attempts: 3, endedAt: 90_000 },
  { callId: 'a', heldSince: 5000 },
]

async function expectHistory(t: Test, s: Store): Promise<void> {
  t.strictSame(
    (await s.callbacks.pending()).map((p) => [p.callId, p.seq, p.heldSince, p.attempts]),
    [
      ['a', 2.5, 5000, 0],
      ['b', 5, null, 1],
    ],
    'waiting and dialling, by seq (a fraction kept)',
  )
  t.strictSame(await s.callbacks.get('c'), {
    callId: 'c',
    tenantId: 'default',
    queueId: 'q1',
    number: '0703',
    callerNumber: '070',
    requestedAt: 1000,
    joinedAt: 900,
    seq: 7,
    state: 'completed',
    attempts: 1,
    nextAttemptAt: 1000,
    heldSince: null,
    reason: null,
    agentId: 'a1',
    connectedAt: 61_000,
    endedAt: null,
  })
}

for (const b of backends) {
  t.test(`${b.name}: record, pending in seq order, list, statistics`, async (t) => {
    const s = await b.openStore(t)
    for (const u of HISTORY) await s.callbacks.record(u)
    await t.rejects(
      s.callbacks.record({ callId: 'unknown', state: 'dialing' }),
      /not known yet/,
      'an update of an unknown callback is refused',
    )
    t.equal(await s.callbacks.get('unknown'), undefined)
    await expectHistory(t, s)
    await s.callbacks.record({ callId: 'a', heldSince: null })
    t.equal((await s.callbacks.get('a'))?.heldSince, null, 'held cleared')
    await s.callbacks.record({ callId: 'a' })
    t.equal((await s.callbacks.get('a'))?.state, 'waiting', 'an update with nothing in it changes nothing')
    t.strictSame(
      (await s.callbacks.list({ state: 'failed' })).map((c) => c.reason),
      ['busy'],
    )
    t.strictSame(
      (await s.callbacks.list({ state: 'pending' })).map((c) => c.callId),
      ['a', 'b'],
      'pending: waiting or dialling; equal request times in call id order',
    )
    t.strictSame(
      (await s.callbacks.list({ queueId: 'q1', tenantId: 'default', limit: 2 })).map((c) => c.callId),
      ['a', 'b'],
    )
    t.strictSame(await s.callbacks.list({ queueId: 'q2' }), [])
    const st = await s.callbacks.stats(0, 10_000)
    t.strictSame(st, {
      requested: 4,
      completed: 1,
      pending: 2,
      cancelled: 0,
      failed: { busy: 1 },
      toConnectionSec: { avg: 60, max: 60 },
    })
    t.equal((await s.callbacks.stats(0, 10_000, 'other')).requested, 0, 'per tenant')
    t.equal((await s.callbacks.stats(0, 1000)).requested, 0, 'requested_at < to')
  })

  t.test(
    `${b.name}: callback-record through the write queue: one job per step, in order, all or nothing`,
    async (t) => {
      const s = await b.openStore(t, { writeQueue: { retryMinMs: 5, retryMaxMs: 20 } })
      for (const u of HISTORY) s.writes.enqueue(`callback ${u.callId}`, (tx) => s.within(tx).callbacks.record(u))
      // A step whose second write is refused: its first write is rolled back with it.
      s.writes.enqueue('callback e + unknown', async (tx) => {
        await s.within(tx).callbacks.record({ ...base, callId: 'e', number: '0705', seq: 9, state: 'waiting' })
        await s.within(tx).callbacks.record({ callId: 'ghost', attempts: 1 })
      })
      await s.writes.drained()
      await expectHistory(t, s)
      t.equal(await s.callbacks.get('e'), undefined, 'the refused step wrote nothing')
      t.match(s.health(), { backend: b.name, writes: { state: 'ok', written: HISTORY.length, rejected: 1 } })
      t.match(s.writes.rejected(), [{ label: 'callback e + unknown', error: /ghost is not known yet/ }])
    },
  )
}
