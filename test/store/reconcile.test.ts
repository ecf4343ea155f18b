/**
 * Issue 9 (hardening), "calls in progress at a crash are never closed": on every rebuild, open call records whose
 * channels are gone get their real end (src/daemon/reconcile.ts): answered / abandoned / unknown, with the latest
 * time known of the call; their open offers are closed; live calls and calls FreeSWITCH still has are left alone.
 */
import t from 'tap'
import pino from 'pino'
import { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { closeOrphanRecords, annotateFromStore } from '../../src/daemon/reconcile.js'
import { classifyChannels } from '../../src/freeswitch/adapter/restore.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const log = pino({ level: 'silent' })

function setup() {
  const store = Store.open(':memory:', { clock: new VirtualClock(T0) })
  const q = store.queues.create({ number: '5000', name: 'Sales' })
  const a = store.agents.create({ extension: '1001', name: 'Anna', plan: 'pro' })
  const start = (callId: string, at: number) =>
    store.calls.start({ callId, tenantId: q.tenantId, queueId: q.id, arrivedAt: at, callerNumber: '0701' })
  return { store, q, a, start }
}

t.test('records of calls gone while the daemon was down are closed with their real end', async (t) => {
  const { store, q, a, start } = setup()
  t.teardown(() => store.close())
  // Answered and recorded as such, the end lost.
  start('ans', T0)
  store.calls.update('ans', { enteredQueueAt: T0 + 2000, answeredAt: T0 + 9000, agentId: a.id })
  store.events.append({ at: T0 + 9000, callId: 'ans', queueId: q.id, agentId: a.id, event: 'CONNECT' })
  // Connected (the CONNECT is logged) but the answer never reached the record.
  start('con', T0 + 100)
  store.calls.update('con', { enteredQueueAt: T0 + 2100 })
  store.events.append({ at: T0 + 7000, callId: 'con', queueId: q.id, agentId: a.id, event: 'CONNECT' })
  // Waiting in the queue, ringing an agent.
  start('wait', T0 + 200)
  store.calls.update('wait', { enteredQueueAt: T0 + 2200 })
  const offer = store.calls.addOffer({ callId: 'wait', agentId: a.id, offeredAt: T0 + 3000, legUuid: 'leg-w' })
  store.events.append({ at: T0 + 4000, callId: 'wait', queueId: q.id, agentId: null, event: 'EWT' })
  // Still in the welcome.
  start('welcome', T0 + 300)
  // Live calls: one in the channel list, one FreeSWITCH still has (show channels lags), one we cannot check.
  start('live', T0 + 400)
  start('lagging', T0 + 500)
  start('unsure', T0 + 600)

  const figures = await closeOrphanRecords(store, {
    isLive: (id) => id === 'live',
    exists: async (id) => {
      if (id === 'unsure') throw new Error('disconnected')
      return id === 'lagging'
    },
    log,
  })
  t.same(figures, { checked: 6, closed: { answered: 2, abandoned: 1, unknown: 1 } })
  t.match(store.calls.get('ans'), { outcome: 'answered', endedAt: T0 + 9000, answeredAt: T0 + 9000, talkMs: 0 })
  t.match(
    store.calls.get('con'),
    { outcome: 'answered', answeredAt: T0 + 7000, agentId: a.id, endedAt: T0 + 7000, waitMs: 4900 },
    'the answer time comes from the CONNECT',
  )
  t.match(store.calls.get('wait'), { outcome: 'abandoned', endedAt: T0 + 4000, answeredAt: null })
  t.match(store.calls.get('welcome'), { outcome: 'unknown', endedAt: T0 + 300 })
  t.match(store.calls.getOffer(offer.id), { result: 'cancelled', endedAt: T0 + 4000 }, 'the open offer is closed')
  for (const id of ['live', 'lagging', 'unsure']) t.equal(store.calls.get(id).outcome, null, `${id} stays open`)
  t.equal(store.events.list({ event: 'RECONCILED' }).length, 4, 'each closing is logged once')
  t.equal(store.calls.inProgress().length, 3)
  // A second rebuild changes nothing.
  const again = await closeOrphanRecords(store, {
    isLive: (id) => id === 'live',
    exists: async (id) => id !== 'x' && id === 'lagging',
    log,
  })
  t.same(again.closed, { answered: 0, abandoned: 0, unknown: 1 }, 'only the one that could not be checked before')
  t.equal(store.events.list({ event: 'RECONCILED' }).length, 5)
})

t.test('annotateFromStore: the queue id of an older channel, and whether the record is already closed', async (t) => {
  const { store, q, start } = setup()
  t.teardown(() => store.close())
  start('open', T0)
  start('closed', T0)
  store.calls.update('closed', { outcome: 'answered', endedAt: T0 + 5000 })
  const ch = (uuid: string) => ({
    'Unique-ID': uuid,
    'Answer-State': 'answered',
    variable_koplus_queue: '5999',
    variable_koplus_seq: '1',
    variable_koplus_joined_at: String(T0),
  })
  const live = classifyChannels([ch('open'), ch('closed'), ch('unknown')], T0 + 10_000)
  annotateFromStore(store, live)
  t.equal(live.calls.get('open')!.restored.queueId, q.id)
  t.notOk(live.calls.get('open')!.restored.recordClosed)
  t.equal(live.calls.get('closed')!.restored.recordClosed, true)
  t.notOk(live.calls.get('unknown')!.restored.queueId)
})
