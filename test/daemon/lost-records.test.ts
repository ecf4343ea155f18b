/**
 * A leader killed with writes still in its (in-memory) write queue leaves live callers without a call record. The
 * new leader's rebuild makes the record again from the channel, so its later updates (answer, end) are recorded;
 * without it they failed as "not known yet" (found by `npm run bench -- failover` on PostgreSQL: 110 of 120 records
 * not closed as answered). On SQLite and PostgreSQL.
 */
import t from 'tap'
import pino from 'pino'
import { annotateFromStore, recreateLostRecords } from '../../src/daemon/reconcile.js'
import { classifyChannels } from '../../src/freeswitch/adapter/restore.js'
import { storeBackends } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 0, 12, 9, 0, 0)
const log = pino({ level: 'silent' })

const channel = (uuid: string, queue: string, extra: Record<string, string> = {}) => ({
  'Unique-ID': uuid,
  'Answer-State': 'answered',
  'Caller-Caller-ID-Number': '0701234567',
  variable_koplus_queue: queue,
  variable_koplus_seq: '1',
  variable_koplus_joined_at: String(T0),
  ...extra,
})

for (const b of await storeBackends(t)) {
  t.test(`${b.name}: live callers without a record get one; known, recorded and queue-less calls do not`, async (t) => {
    const store = await b.openStore(t)
    const q = await store.queues.create({ number: '5000', name: 'Support' })
    await store.calls.start({
      callId: 'recorded',
      tenantId: 'default',
      queueId: q.id,
      arrivedAt: T0 - 1000,
      callerNumber: '0701',
      callerName: '',
    })
    const live = classifyChannels(
      [channel('lost', '5000'), channel('recorded', '5000'), channel('tracked', '5000'), channel('no-queue', '5999')],
      T0 + 10_000,
    )
    const made = await store.tx(async (s) => {
      await annotateFromStore(s, live)
      return recreateLostRecords(s, live, { skip: (id) => id === 'tracked', log })
    })
    t.equal(made, 1, 'one record made')
    t.match(await store.calls.find('lost'), {
      queueId: q.id,
      tenantId: 'default',
      arrivedAt: T0,
      enteredQueueAt: T0,
      outcome: null,
    })
    t.equal(live.calls.get('lost')!.restored.hasRecord, true, 'the engine updates it without start fields')
    t.equal(live.calls.get('lost')!.restored.queueId, q.id)
    t.match(await store.calls.find('recorded'), { arrivedAt: T0 - 1000 }, 'an existing record is left as it is')
    t.equal(await store.calls.find('tracked'), undefined, 'a call this daemon tracks: its own start is queued')
    t.equal(await store.calls.find('no-queue'), undefined, 'no queue, no record')
    // the new leader's answer for the lost call now has a row to go to
    await store.calls.update('lost', { answeredAt: T0 + 20_000 })
    t.match(await store.calls.find('lost'), { answeredAt: T0 + 20_000 })
  })
}
