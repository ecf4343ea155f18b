/**
 * What the call path writes — call records, offers, the event log, EWT announcements (calls.ts, events.ts,
 * ewt.ts) — on both stores (SQLite and a private PostgreSQL 15): the same records, the same validation and errors,
 * the same order; one transaction per write-queue job.
 */
import t from 'tap'
import { storeBackends } from '../helpers/store-backends.js'
import { storeError } from '../helpers/store-error.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

const backends = await storeBackends(t)

for (const b of backends) {
  t.test(`${b.name}: a call from arrival to end, wait and talk derived, duplicates refused`, async (t) => {
    const { calls } = await b.openStore(t)
    const c = await calls.start({
      callId: 'c1',
      tenantId: 'default',
      queueId: 'q1',
      arrivedAt: T0,
      callerNumber: '+4612345',
      enteredQueueAt: T0 + 2000,
    })
    t.strictSame(c, {
      callId: 'c1',
      tenantId: 'default',
      queueId: 'q1',
      callerNumber: '+4612345',
      callerName: '',
      arrivedAt: T0,
      enteredQueueAt: T0 + 2000,
      answeredAt: null,
      endedAt: null,
      outcome: null,
      agentId: null,
      waitMs: null,
      talkMs: null,
    })
    t.equal(typeof c.arrivedAt, 'number', 'instants come back as numbers (int8 parsed)')
    const dup = await storeError(t, calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 }))
    t.equal(dup.code, 'KOPLUS_STORE_DUPLICATE')
    t.equal(dup.message, "call 'c1' already recorded")
    t.strictSame(
      (await calls.inProgress()).map((r) => r.callId),
      ['c1'],
    )
    const answered = await calls.update('c1', { answeredAt: T0 + 32_000, agentId: 'a1' })
    t.equal(answered.waitMs, 30_000)
    const ended = await calls.update('c1', { endedAt: T0 + 92_000, outcome: 'answered' })
    t.equal(ended.talkMs, 60_000)
    t.equal(ended.waitMs, 30_000)
    t.strictSame(await calls.inProgress(), [])
    t.equal((await storeError(t, calls.update('nope', { endedAt: T0 }))).code, 'KOPLUS_STORE_NOT_FOUND')
    const bad = await storeError(t, calls.update('c1', { outcome: 'exploded' as never }))
    t.equal(bad.code, 'KOPLUS_STORE_INVALID')
    t.equal(bad.field, 'call.outcome')
    t.equal(
      (await storeError(t, calls.start({ callId: 'c2', tenantId: 'default', queueId: 'q1', arrivedAt: -1 }))).field,
      'call.arrivedAt',
    )
  })

  t.test(`${b.name}: offers are numbered, found by leg, finished keeping what is not given`, async (t) => {
    const { calls } = await b.openStore(t)
    await calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
    const o1 = await calls.addOffer({
      callId: 'c1',
      agentId: 'a1',
      offeredAt: T0 + 1000,
      legUuid: 'leg-1',
      device: 'softphone:1001',
    })
    const o2 = await calls.addOffer({ callId: 'c1', agentId: 'a2', offeredAt: T0 + 1000 })
    t.equal(typeof o1.id, 'number')
    t.ok(o2.id > o1.id, 'ids increase')
    t.strictSame((await calls.findOfferByLeg('leg-1'))?.id, o1.id)
    t.strictSame(await calls.findOfferByLeg('leg-x'), undefined)
    t.strictSame(
      (await calls.openOffers()).map((o) => o.id),
      [o1.id, o2.id],
    )
    const answered = await calls.finishOffer(o1.id, { result: 'answered', answeredAt: T0 + 5000 })
    t.strictSame(
      [answered.result, answered.answeredAt, answered.endedAt, answered.device],
      ['answered', T0 + 5000, null, 'softphone:1001'],
    )
    const ended = await calls.finishOffer(o1.id, { result: 'answered', endedAt: T0 + 65_000 })
    t.strictSame([ended.answeredAt, ended.endedAt], [T0 + 5000, T0 + 65_000], 'answeredAt kept')
    await calls.finishOffer(o2.id, { result: 'lost-race', cause: 'LOSE_RACE' })
    t.strictSame(await calls.openOffers(), [])
    t.strictSame(
      (await calls.offersForCall('c1')).map((o) => [o.agentId, o.result, o.cause]),
      [
        ['a1', 'answered', null],
        ['a2', 'lost-race', 'LOSE_RACE'],
      ],
    )
    t.equal((await storeError(t, calls.finishOffer(999, { result: 'busy' }))).code, 'KOPLUS_STORE_NOT_FOUND')
    t.equal((await storeError(t, calls.finishOffer(o1.id, { result: 'maybe' as never }))).field, 'offer.result')
  })

  t.test(`${b.name}: the event log keeps order, data as JSON, and filters`, async (t) => {
    const { events } = await b.openStore(t)
    const ids = [
      await events.append({
        at: T0,
        callId: 'c1',
        queueId: 'q1',
        event: 'ARRIVE',
        data: { callerNumber: '+46 1?', note: "it's" },
      }),
      await events.append({ at: T0 + 10, callId: 'c1', queueId: 'q1', event: 'ENTERQUEUE', data: { position: 1 } }),
      await events.append({ at: T0 + 10, agentId: 'a1', event: 'AGENTLOGIN' }),
      await events.append({ at: T0 + 5, callId: 'c2', queueId: 'q1', event: 'ARRIVE' }),
    ]
    t.strictSame(
      [...ids].sort((x, y) => x - y),
      ids,
      'ids ascend in append order',
    )
    const all = await events.list()
    t.strictSame(
      all.map((e) => e.event),
      ['ARRIVE', 'ARRIVE', 'ENTERQUEUE', 'AGENTLOGIN'],
      'ordered by at, then id',
    )
    t.strictSame(all[0].data, { callerNumber: '+46 1?', note: "it's" }, 'a ? inside a value is data, not a placeholder')
    t.strictSame(all[3].data, null)
    t.strictSame(
      (await events.list({ callId: 'c1' })).map((e) => e.event),
      ['ARRIVE', 'ENTERQUEUE'],
    )
    t.strictSame(
      (await events.list({ since: T0 + 5, until: T0 + 10 })).map((e) => e.callId),
      ['c2'],
    )
    t.strictSame(
      (await events.list({ afterId: ids[2], event: 'ARRIVE' })).map((e) => e.callId),
      ['c2'],
    )
    t.strictSame((await events.list({ limit: 1 })).length, 1)
    t.equal((await storeError(t, events.append({ at: T0, event: 'not-upper' }))).field, 'event.event')
  })

  t.test(`${b.name}: EWT announcements resolved with the wait that followed`, async (t) => {
    const { ewt } = await b.openStore(t)
    await ewt.record({ callId: 'c1', queueId: 'q1', at: T0, position: 3, announcedSeconds: 120 })
    await ewt.record({ callId: 'c1', queueId: 'q1', at: T0 + 60_000, position: 1, announcedSeconds: null })
    await ewt.record({ callId: 'c1', queueId: 'q1', at: T0 + 100_000, position: 1, announcedSeconds: 10 })
    t.equal(await ewt.resolve('c1', T0 + 90_000), 3)
    t.strictSame(
      (await ewt.forCall('c1')).map((e) => [e.position, e.announcedSeconds, e.actualWaitMs]),
      [
        [3, 120, 90_000],
        [1, null, 30_000],
        [1, 10, 0],
      ],
    )
    t.equal(await ewt.resolve('c1', T0 + 95_000), 0, 'resolved once')
    t.equal(
      (await storeError(t, ewt.record({ callId: 'c1', queueId: 'q1', at: T0, position: 0, announcedSeconds: 1 })))
        .field,
      'ewt.position',
    )
  })

  t.test(
    `${b.name}: calls listed newest first with filters; the last event of a kind; a batch of events`,
    async (t) => {
      const { calls, events } = await b.openStore(t)
      // Byte order for ties on both engines ('B' < 'a'), whatever the PostgreSQL database's collation.
      for (const [id, q, at] of [
        ['a', 'q1', T0],
        ['B', 'q1', T0],
        ['c', 'q2', T0 + 1000],
      ] as const)
        await calls.start({ callId: id, tenantId: 'default', queueId: q, arrivedAt: at })
      await calls.update('c', { answeredAt: T0 + 2000, agentId: 'a1' })
      await calls.update('a', { endedAt: T0 + 3000, outcome: 'abandoned' })
      t.strictSame(
        (await calls.list()).map((c) => c.callId),
        ['c', 'a', 'B'],
        'newest first, then call id descending in byte order',
      )
      t.strictSame(
        (await calls.list({ queueId: 'q1' })).map((c) => c.callId),
        ['a', 'B'],
      )
      t.strictSame(
        (await calls.list({ agentId: 'a1' })).map((c) => c.callId),
        ['c'],
      )
      t.strictSame(
        (await calls.list({ outcome: 'abandoned', since: T0, until: T0 + 1 })).map((c) => c.callId),
        ['a'],
      )
      t.strictSame(
        (await calls.list({ tenantId: 'other' })).map((c) => c.callId),
        [],
      )
      t.strictSame(
        (await calls.list({ limit: 1 })).map((c) => c.callId),
        ['c'],
      )
      t.strictSame(
        (await calls.inProgress()).map((c) => c.callId),
        ['B', 'c'],
        'oldest first, byte order among equals',
      )
      t.strictSame(await calls.get('c'), await calls.find('c'))
      t.equal((await storeError(t, calls.get('zz'))).code, 'KOPLUS_STORE_NOT_FOUND')
      t.equal((await storeError(t, calls.getOffer(12345))).code, 'KOPLUS_STORE_NOT_FOUND')

      const last = await events.appendMany([
        { at: T0, agentId: 'a1', event: 'AGENTLOGOFF', data: { reason: 'auto-logout' } },
        { at: T0 + 10, agentId: 'a1', event: 'AGENTLOGOFF' },
        { at: T0 + 10, agentId: 'a2', event: 'AGENTLOGOFF', data: { reason: 'x' } },
      ])
      t.equal(last, (await events.list()).at(-1)!.id, 'appendMany returns the last id')
      t.strictSame(await events.last({ agentId: 'a1', event: 'AGENTLOGOFF' }).then((e) => [e?.at, e?.data]), [
        T0 + 10,
        null,
      ])
      t.strictSame((await events.last({ agentId: 'a1', until: T0 + 10 }))?.data, { reason: 'auto-logout' })
      t.equal(await events.last({ agentId: 'a3' }), undefined)
      t.equal(await events.appendMany([]), 0)
      const bad = await storeError(
        t,
        events.appendMany([
          { at: T0, event: 'GOOD' },
          { at: T0, event: 'bad one' },
        ]),
      )
      t.equal(bad.field, 'event.event')
      t.equal((await events.list({ event: 'GOOD' })).length, 0, 'a batch with a bad event writes nothing')
    },
  )

  t.test(`${b.name}: one transaction: a throw rolls every write of the event back`, async (t) => {
    const store = await b.openStore(t)
    await t.rejects(
      store.tx(async (s) => {
        await s.calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
        await s.events.append({ at: T0, callId: 'c1', event: 'ARRIVE' })
        throw new Error('boom')
      }),
      /boom/,
    )
    t.strictSame(await store.calls.find('c1'), undefined)
    t.strictSame(await store.events.list(), [])
    await store.tx(async (s) => {
      await s.calls.start({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
      await s.calls.update('c1', { enteredQueueAt: T0 + 1 })
    })
    t.equal((await store.calls.get('c1')).enteredQueueAt, T0 + 1, 'an update inside a transaction joins it')
  })
}
