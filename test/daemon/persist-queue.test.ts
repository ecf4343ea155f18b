/**
 * The call path's persistence (src/daemon/persist.ts) on both engines: one engine step's persistence commands are
 * ONE job of the store's write queue, queued without waiting; the "is there a record yet?" read happens inside that
 * job; a command that fails in SQL is rolled back to its savepoint and logged while the step's other commands are
 * still written (on PostgreSQL a failed statement would otherwise abort the whole transaction); a connection
 * failure is retried, not skipped.
 */
import t from 'tap'
import type { Command } from '../../src/core/commands.js'
import { persistCommands, persistInJob, persistStep } from '../../src/daemon/persist.js'
import type { SqlRunner, Store } from '../../src/store/index.js'
import { storeBackends } from '../helpers/store-backends.js'
import { capture } from '../helpers/log-lines.js'

const T0 = Date.UTC(2026, 0, 12, 9, 0, 0)

async function seedQueue(store: Store): Promise<string> {
  return (await store.queues.create({ number: '5000', name: 'Support' })).id
}

const arrived = (queueId: string, callId: string): Command => ({
  type: 'call-record',
  record: { callId, tenantId: 'default', queueId, arrivedAt: T0, callerNumber: '0701', callerName: 'A' },
})
const logged = (queueId: string, callId: string, event: string, at = T0): Command => ({
  type: 'log',
  at,
  callId,
  queueId,
  agentId: '',
  event,
})

const backends = await storeBackends(t)
for (const b of backends) {
  t.test(`${b.name}: a step's writes are one queued job; enqueue returns before anything is written`, async (t) => {
    const store = await b.openStore(t)
    const q = await seedQueue(store)
    const { log } = capture()
    const jobs: string[] = []
    store.writes.on('written', (_seq: number, label: string) => jobs.push(label))
    const seq = persistStep(store, 'call-arrived c1', [arrived(q, 'c1'), logged(q, 'c1', 'ARRIVE')], log)
    t.type(seq, 'number', 'enqueue answers at once with the job number')
    // Checked synchronously: a read through another pooled connection (PostgreSQL) may race the job's commit.
    t.match(store.writes.health(), { queued: 1, written: 0 }, 'nothing is written while the caller is being served')
    await store.writes.drained()
    t.same(jobs, ['call-arrived c1'], 'one job for the whole step')
    t.match(await store.calls.find('c1'), { callId: 'c1', queueId: q, arrivedAt: T0 })
    t.same(
      (await store.events.list({ callId: 'c1' })).map((e) => e.event),
      ['ARRIVE'],
    )
  })

  t.test(`${b.name}: the "record yet?" read runs in the job, after the writes queued before it`, async (t) => {
    const store = await b.openStore(t)
    const q = await seedQueue(store)
    const { log, lines } = capture()
    // Two steps queued back to back: the second's update finds the record the first one (not yet written when the
    // second was queued) creates, so the update is applied instead of failing as "not known yet".
    persistStep(store, 'call-arrived c2', [arrived(q, 'c2')], log)
    persistStep(
      store,
      'call-hungup c2',
      [{ type: 'call-record', record: { callId: 'c2', endedAt: T0 + 5000, outcome: 'abandoned' } }],
      log,
    )
    await store.writes.drained()
    t.match(await store.calls.find('c2'), { endedAt: T0 + 5000, outcome: 'abandoned' })
    t.equal(lines.filter((l) => l.level === 50).length, 0, 'no error logged')
  })

  t.test(
    `${b.name}: a command failing in SQL is rolled back to its savepoint; the step's others are written`,
    async (t) => {
      const store = await b.openStore(t)
      const q = await seedQueue(store)
      const { log, lines } = capture()
      // state 'bogus' passes the repository and fails the table's CHECK: an SQL error inside the transaction
      const bad: Command = {
        type: 'callback-record',
        record: {
          callId: 'c3',
          tenantId: 'default',
          queueId: q,
          number: '0702',
          requestedAt: T0,
          joinedAt: T0,
          seq: 1,
          state: 'bogus' as never,
        },
      }
      persistStep(store, 'callback c3', [arrived(q, 'c3'), bad, logged(q, 'c3', 'CALLBACK')], log)
      await store.writes.drained()
      t.equal(store.writes.health().rejected, 0, 'the job committed')
      t.equal(store.writes.health().failures, 1, 'after one failed plain attempt, then a careful one')
      t.ok(await store.calls.find('c3'), 'the command before the failing one is written')
      t.same(
        (await store.events.list({ callId: 'c3' })).map((e) => e.event),
        ['CALLBACK'],
        'the command after the failing one is written too',
      )
      t.equal(await store.callbacks.get('c3'), undefined, 'the failing one left nothing')
      const err = lines.find((l) => l.msg === 'failed to persist a core command')
      t.match(
        err,
        { call: 'c3', command: 'callback-record', err: { message: /bogus|CHECK|check/ } },
        'logged with { err }',
      )
    },
  )

  t.test(`${b.name}: a step's first attempt takes no savepoints (each is a round trip on PostgreSQL)`, async (t) => {
    const store = await b.openStore(t)
    const q = await seedQueue(store)
    const { log } = capture()
    const statements: string[] = []
    const attempts: boolean[] = []
    store.writes.enqueue('counted', async (tx, attempt) => {
      attempts.push(attempt.careful)
      const counting: SqlRunner = {
        all: (sql, params) => (statements.push(sql), tx.all(sql, params)),
        get: (sql, params) => (statements.push(sql), tx.get(sql, params)),
        run: (sql, params) => (statements.push(sql), tx.run(sql, params)),
      }
      const answered: Command = { type: 'call-record', record: { callId: 'c5', answeredAt: T0 + 5 } }
      const cmds = [arrived(q, 'c5'), logged(q, 'c5', 'ENTERQUEUE'), answered, logged(q, 'c5', 'CONNECT', T0 + 5)]
      await persistCommands(store.within(counting), counting, cmds, log, attempt)
    })
    await store.writes.drained()
    t.same(attempts, [false], 'one attempt, not a careful one')
    t.same(
      statements.filter((sql) => /SAVEPOINT/.test(sql)),
      [],
      'no savepoint around the four commands',
    )
    t.equal(
      statements.filter((sql) => /FROM call_records/.test(sql)).length,
      2,
      'the record read once per call-record command (does it exist?), not again by the update',
    )
    t.equal((await store.calls.get('c5')).answeredAt, T0 + 5, 'the update written')
    t.ok(await store.calls.find('c5'), 'the record written')
    t.equal((await store.events.list({ callId: 'c5' })).length, 2, 'and both log rows')
  })

  t.test(`${b.name}: a connection failure is not swallowed: the job is retried, then written once`, async (t) => {
    const store = await b.openStore(t, { writeQueue: { retryMinMs: 1, retryMaxMs: 2 } })
    const q = await seedQueue(store)
    const { log } = capture()
    let failures = 1
    store.writes.enqueue('flaky', async (tx) => {
      const s = store.within(tx)
      // the first attempt fails as a dropped connection would (after its first write, which is rolled back)
      await persistInJob(s, tx, arrived(q, 'c4'), log)
      if (failures-- > 0) throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' })
      await persistInJob(s, tx, logged(q, 'c4', 'ARRIVE'), log)
    })
    await store.writes.drained()
    const h = store.writes.health()
    t.equal(h.failures, 1, 'one failed attempt')
    t.equal(h.rejected, 0, 'not given up')
    t.ok(await store.calls.find('c4'), 'written by the retry')
    t.equal((await store.events.list({ callId: 'c4' })).length, 1, 'exactly once')
  })
}
