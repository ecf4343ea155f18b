/**
 * Issue 9 (hardening), "calls in progress at a crash are never closed": on every rebuild, open call records whose
 * channels are gone get their real end (src/daemon/reconcile.ts): answered / abandoned / unknown, with the latest
 * time known of the call; their open offers are closed; live calls and calls FreeSWITCH still has are left alone.
 * On SQLite and PostgreSQL.
 */
import t from 'tap'
import pino from 'pino'
import { VirtualClock } from '../../src/util/clock.js'
import { closeOrphanRecords, annotateFromStore } from '../../src/daemon/reconcile.js'
import { classifyChannels } from '../../src/freeswitch/adapter/restore.js'
import { storeBackends, type StoreBackend } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)
const log = pino({ level: 'silent' })
const backends = await storeBackends(t)

async function setup(b: StoreBackend, t: Parameters<StoreBackend['openStore']>[0]) {
  const store = await b.openStore(t, { clock: new VirtualClock(T0) })
  const q = { id: 'q1', tenantId: 'default' }
  const a = { id: 'a1' }
  const start = (callId: string, at: number) =>
    store.calls.start({ callId, tenantId: q.tenantId, queueId: q.id, arrivedAt: at, callerNumber: '0701' })
  return { store, q, a, start }
}

for (const b of backends) {
  t.test(`${b.name}: records of calls gone while the daemon was down are closed with their real end`, async (t) => {
    const { store, q, a, start } = await setup(b, t)
    // Answered and recorded as such, the end lost.
    await start('ans', T0)
    await store.calls.update('ans', { enteredQueueAt: T0 + 2000, answeredAt: T0 + 9000, agentId: a.id })
    await store.events.append({ at: T0 + 9000, callId: 'ans', queueId: q.id, agentId: a.id, event: 'CONNECT' })
    // Connected (the CONNECT is logged) but the answer never reached the record.
    await start('con', T0 + 100)
    await store.calls.update('con', { enteredQueueAt: T0 + 2100 })
    await store.events.append({ at: T0 + 7000, callId: 'con', queueId: q.id, agentId: a.id, event: 'CONNECT' })
    // Waiting in the queue, ringing an agent.
    await start('wait', T0 + 200)
    await store.calls.update('wait', { enteredQueueAt: T0 + 2200 })
    const offer = await store.calls.addOffer({ callId: 'wait', agentId: a.id, offeredAt: T0 + 3000, legUuid: 'leg-w' })
    await store.events.append({ at: T0 + 4000, callId: 'wait', queueId: q.id, agentId: null, event: 'EWT' })
    // Still in the welcome.
    await start('welcome', T0 + 300)
    // Live calls: one in the channel list, one FreeSWITCH still has (show channels lags), one we cannot check.
    await start('live', T0 + 400)
    await start('lagging', T0 + 500)
    await start('unsure', T0 + 600)

    const figures = await closeOrphanRecords(store, {
      isLive: (id) => id === 'live',
      exists: async (id) => {
        if (id === 'unsure') throw new Error('disconnected')
        return id === 'lagging'
      },
      log,
    })
    t.same(figures, { checked: 6, closed: { answered: 2, abandoned: 1, unknown: 1 } })
    t.match(await store.calls.get('ans'), { outcome: 'answered', endedAt: T0 + 9000, answeredAt: T0 + 9000, talkMs: 0 })
    t.match(
      await store.calls.get('con'),
      { outcome: 'answered', answeredAt: T0 + 7000, agentId: a.id, endedAt: T0 + 7000, waitMs: 4900 },
      'the answer time comes from the CONNECT',
    )
    t.match(await store.calls.get('wait'), { outcome: 'abandoned', endedAt: T0 + 4000, answeredAt: null })
    t.match(await store.calls.get('welcome'), { outcome: 'unknown', endedAt: T0 + 300 })
    t.match(
      await store.calls.getOffer(offer.id),
      { result: 'cancelled', endedAt: T0 + 4000 },
      'the open offer is closed',
    )
    for (const id of ['live', 'lagging', 'unsure'])
      t.equal((await store.calls.get(id)).outcome, null, `${id} stays open`)
    t.equal((await store.events.list({ event: 'RECONCILED' })).length, 4, 'each closing is logged once')
    t.equal((await store.calls.inProgress()).length, 3)
    // A second rebuild changes nothing.
    const again = await closeOrphanRecords(store, {
      isLive: (id) => id === 'live',
      exists: async (id) => id !== 'x' && id === 'lagging',
      log,
    })
    t.same(again.closed, { answered: 0, abandoned: 0, unknown: 1 }, 'only the one that could not be checked before')
    t.equal((await store.events.list({ event: 'RECONCILED' })).length, 5)
  })

  t.test(
    `${b.name}: annotateFromStore: the queue id of an older channel, and whether the record is already closed`,
    async (t) => {
      const { store, q, start } = await setup(b, t)
      await start('open', T0)
      await start('closed', T0)
      await store.calls.update('closed', { outcome: 'answered', endedAt: T0 + 5000 })
      const ch = (uuid: string) => ({
        'Unique-ID': uuid,
        'Answer-State': 'answered',
        variable_koplus_queue: '5999',
        variable_koplus_seq: '1',
        variable_koplus_joined_at: String(T0),
      })
      const live = classifyChannels([ch('open'), ch('closed'), ch('unknown')], T0 + 10_000)
      await annotateFromStore(store, live)
      t.equal(live.calls.get('open')!.restored.queueId, q.id)
      t.notOk(live.calls.get('open')!.restored.recordClosed)
      t.equal(live.calls.get('closed')!.restored.recordClosed, true)
      t.notOk(live.calls.get('unknown')!.restored.queueId)
    },
  )
}
