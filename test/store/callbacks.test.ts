/**
 * Issue 14: the callbacks table — the core's `callback-record` upserts, the pending list the core rebuilds from (in
 * seq order, dialling ones included), and the statistics (requested, completed, failed by reason, time to
 * connection).
 */
import t from 'tap'
import { Store } from '../../src/store/index.js'

t.test('record, pending in seq order, statistics', async (t) => {
  const s = Store.open(':memory:')
  t.teardown(() => s.close())
  const base = {
    tenantId: 'default',
    queueId: 'q1',
    callerNumber: '070',
    requestedAt: 1000,
    joinedAt: 900,
    attempts: 0,
    nextAttemptAt: 1000,
  }
  s.callbacks.record({ ...base, callId: 'b', number: '0702', seq: 5, state: 'waiting' })
  s.callbacks.record({ ...base, callId: 'a', number: '0701', seq: 2.5, state: 'waiting' })
  s.callbacks.record({ ...base, callId: 'c', number: '0703', seq: 7, state: 'waiting' })
  s.callbacks.record({ ...base, callId: 'd', number: '0704', seq: 8, state: 'waiting' })
  t.throws(
    () => s.callbacks.record({ callId: 'unknown', state: 'dialing' }),
    /not known yet/,
    'an update of an unknown callback is refused',
  )
  s.callbacks.record({ callId: 'b', state: 'dialing', attempts: 1 })
  s.callbacks.record({ callId: 'c', state: 'completed', attempts: 1, connectedAt: 61_000, agentId: 'a1' })
  s.callbacks.record({ callId: 'd', state: 'failed', reason: 'busy', attempts: 3, endedAt: 90_000 })
  s.callbacks.record({ callId: 'a', heldSince: 5000 })
  t.same(
    s.callbacks.pending().map((p) => [p.callId, p.seq, p.heldSince]),
    [
      ['a', 2.5, 5000],
      ['b', 5, null],
    ],
    'waiting and dialling, by seq',
  )
  s.callbacks.record({ callId: 'a', heldSince: null })
  t.equal(s.callbacks.get('a')?.heldSince, null, 'held cleared')
  t.same(
    s.callbacks.list({ state: 'failed' }).map((c) => c.reason),
    ['busy'],
  )
  const st = s.callbacks.stats(0, 10_000)
  t.same(st, {
    requested: 4,
    completed: 1,
    pending: 2,
    cancelled: 0,
    failed: { busy: 1 },
    toConnectionSec: { avg: 60, max: 60 },
  })
  t.equal(s.callbacks.stats(0, 10_000, 'other').requested, 0, 'per tenant')
})
