/**
 * The call-path repository on both stores (SQLite and a private PostgreSQL 15): the same records, the same
 * validation and errors, the same order — and the same as the synchronous repositories on SQLite.
 */
import t, { type Test } from 'tap'
import { CallPathRepository } from '../../src/store/call-path-repository.js'
import { StoreError } from '../../src/store/errors.js'
import { seedAgents, storeBackends } from '../helpers/store-backends.js'

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0)

async function storeError(t: Test, p: Promise<unknown>): Promise<StoreError> {
  try {
    await p
  } catch (e) {
    if (e instanceof StoreError) return e
    t.fail(`expected a StoreError, got ${String(e)}`)
    throw e
  }
  t.fail('expected a StoreError, nothing was thrown')
  throw new Error('no error')
}

const backends = await storeBackends(t)

for (const b of backends) {
  t.test(`${b.name}: a call from arrival to end, wait and talk derived, duplicates refused`, async (t) => {
    const repo = new CallPathRepository(await b.open(t))
    const c = await repo.startCall({
      callId: 'c1',
      tenantId: 'default',
      queueId: 'q1',
      arrivedAt: T0,
      callerNumber: '+4612345',
      enteredQueueAt: T0 + 2000,
    })
    t.same(c, {
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
    const dup = await storeError(t, repo.startCall({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 }))
    t.equal(dup.code, 'KOPLUS_STORE_DUPLICATE')
    t.equal(dup.message, "call 'c1' already recorded")
    t.same(
      (await repo.callsInProgress()).map((r) => r.callId),
      ['c1'],
    )
    const answered = await repo.updateCall('c1', { answeredAt: T0 + 32_000, agentId: 'a1' })
    t.equal(answered.waitMs, 30_000)
    const ended = await repo.updateCall('c1', { endedAt: T0 + 92_000, outcome: 'answered' })
    t.equal(ended.talkMs, 60_000)
    t.equal(ended.waitMs, 30_000)
    t.same(await repo.callsInProgress(), [])
    t.equal((await storeError(t, repo.updateCall('nope', { endedAt: T0 }))).code, 'KOPLUS_STORE_NOT_FOUND')
    const bad = await storeError(t, repo.updateCall('c1', { outcome: 'exploded' as never }))
    t.equal(bad.code, 'KOPLUS_STORE_INVALID')
    t.equal(bad.field, 'call.outcome')
    t.equal(
      (await storeError(t, repo.startCall({ callId: 'c2', tenantId: 'default', queueId: 'q1', arrivedAt: -1 }))).field,
      'call.arrivedAt',
    )
  })

  t.test(`${b.name}: offers are numbered, found by leg, finished keeping what is not given`, async (t) => {
    const repo = new CallPathRepository(await b.open(t))
    await repo.startCall({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
    const o1 = await repo.addOffer({
      callId: 'c1',
      agentId: 'a1',
      offeredAt: T0 + 1000,
      legUuid: 'leg-1',
      device: 'softphone:1001',
    })
    const o2 = await repo.addOffer({ callId: 'c1', agentId: 'a2', offeredAt: T0 + 1000 })
    t.equal(typeof o1.id, 'number')
    t.ok(o2.id > o1.id, 'ids increase')
    t.same((await repo.findOfferByLeg('leg-1'))?.id, o1.id)
    t.same(await repo.findOfferByLeg('leg-x'), undefined)
    t.same(
      (await repo.openOffers()).map((o) => o.id),
      [o1.id, o2.id],
    )
    const answered = await repo.finishOffer(o1.id, { result: 'answered', answeredAt: T0 + 5000 })
    t.same(
      [answered.result, answered.answeredAt, answered.endedAt, answered.device],
      ['answered', T0 + 5000, null, 'softphone:1001'],
    )
    const ended = await repo.finishOffer(o1.id, { result: 'answered', endedAt: T0 + 65_000 })
    t.same([ended.answeredAt, ended.endedAt], [T0 + 5000, T0 + 65_000], 'answeredAt kept')
    await repo.finishOffer(o2.id, { result: 'lost-race', cause: 'LOSE_RACE' })
    t.same(await repo.openOffers(), [])
    t.same(
      (await repo.offersForCall('c1')).map((o) => [o.agentId, o.result, o.cause]),
      [
        ['a1', 'answered', null],
        ['a2', 'lost-race', 'LOSE_RACE'],
      ],
    )
    t.equal((await storeError(t, repo.finishOffer(999, { result: 'busy' }))).code, 'KOPLUS_STORE_NOT_FOUND')
    t.equal((await storeError(t, repo.finishOffer(o1.id, { result: 'maybe' as never }))).field, 'offer.result')
  })

  t.test(`${b.name}: the event log keeps order, data as JSON, and filters`, async (t) => {
    const repo = new CallPathRepository(await b.open(t))
    const ids = [
      await repo.appendEvent({
        at: T0,
        callId: 'c1',
        queueId: 'q1',
        event: 'ARRIVE',
        data: { callerNumber: '+46 1?', note: "it's" },
      }),
      await repo.appendEvent({ at: T0 + 10, callId: 'c1', queueId: 'q1', event: 'ENTERQUEUE', data: { position: 1 } }),
      await repo.appendEvent({ at: T0 + 10, agentId: 'a1', event: 'AGENTLOGIN' }),
      await repo.appendEvent({ at: T0 + 5, callId: 'c2', queueId: 'q1', event: 'ARRIVE' }),
    ]
    t.same(
      [...ids].sort((x, y) => x - y),
      ids,
      'ids ascend in append order',
    )
    const all = await repo.listEvents()
    t.same(
      all.map((e) => e.event),
      ['ARRIVE', 'ARRIVE', 'ENTERQUEUE', 'AGENTLOGIN'],
      'ordered by at, then id',
    )
    t.same(all[0].data, { callerNumber: '+46 1?', note: "it's" }, 'a ? inside a value is data, not a placeholder')
    t.same(all[3].data, null)
    t.same(
      (await repo.listEvents({ callId: 'c1' })).map((e) => e.event),
      ['ARRIVE', 'ENTERQUEUE'],
    )
    t.same(
      (await repo.listEvents({ since: T0 + 5, until: T0 + 10 })).map((e) => e.callId),
      ['c2'],
    )
    t.same(
      (await repo.listEvents({ afterId: ids[2], event: 'ARRIVE' })).map((e) => e.callId),
      ['c2'],
    )
    t.same((await repo.listEvents({ limit: 1 })).length, 1)
    t.equal((await storeError(t, repo.appendEvent({ at: T0, event: 'not-upper' }))).field, 'event.event')
  })

  t.test(`${b.name}: EWT announcements resolved with the wait that followed`, async (t) => {
    const repo = new CallPathRepository(await b.open(t))
    await repo.recordEwt({ callId: 'c1', queueId: 'q1', at: T0, position: 3, announcedSeconds: 120 })
    await repo.recordEwt({ callId: 'c1', queueId: 'q1', at: T0 + 60_000, position: 1, announcedSeconds: null })
    await repo.recordEwt({ callId: 'c1', queueId: 'q1', at: T0 + 100_000, position: 1, announcedSeconds: 10 })
    t.equal(await repo.resolveEwt('c1', T0 + 90_000), 3)
    t.same(
      (await repo.ewtForCall('c1')).map((e) => [e.position, e.announcedSeconds, e.actualWaitMs]),
      [
        [3, 120, 90_000],
        [1, null, 30_000],
        [1, 10, 0],
      ],
    )
    t.equal(await repo.resolveEwt('c1', T0 + 95_000), 0, 'resolved once')
    t.equal(
      (await storeError(t, repo.recordEwt({ callId: 'c1', queueId: 'q1', at: T0, position: 0, announcedSeconds: 1 })))
        .field,
      'ewt.position',
    )
  })

  t.test(`${b.name}: agent sessions: members only, since kept, pause inherited and cleared`, async (t) => {
    const db = await b.open(t)
    await seedAgents(db)
    const repo = new CallPathRepository(db)
    const s = await repo.login('a1', 'q1', T0)
    t.same(s, { agentId: 'a1', queueId: 'q1', since: T0, paused: false, pauseReason: null, pausedAt: null })
    t.equal((await repo.login('a1', 'q1', T0 + 1000)).since, T0, 'logging in again keeps since')
    const notMember = await storeError(t, repo.login('a2', 'q1', T0))
    t.equal(notMember.code, 'KOPLUS_STORE_INVALID')
    t.equal(notMember.message, "agent 'a2' is not a member of queue 'q1'")
    t.equal((await storeError(t, repo.login('ghost', 'q1', T0))).code, 'KOPLUS_STORE_NOT_FOUND')
    t.equal(await repo.setPaused('a1', true, 'lunch', T0 + 5000), 1)
    t.same((await repo.sessions({ agentId: 'a1' }))[0], {
      agentId: 'a1',
      queueId: 'q1',
      since: T0,
      paused: true,
      pauseReason: 'lunch',
      pausedAt: T0 + 5000,
    })
    t.same(await repo.logout('a1'), ['q1'])
    t.same(await repo.sessions(), [])
    t.same(await repo.logout('a1', 'q1'), [], 'nothing left to leave')
  })

  t.test(`${b.name}: one transaction: a throw rolls every write of the event back`, async (t) => {
    const db = await b.open(t)
    await t.rejects(
      db.transaction(async (tx) => {
        const repo = new CallPathRepository(tx)
        await repo.startCall({ callId: 'c1', tenantId: 'default', queueId: 'q1', arrivedAt: T0 })
        await repo.appendEvent({ at: T0, callId: 'c1', event: 'ARRIVE' })
        throw new Error('boom')
      }),
      /boom/,
    )
    const repo = new CallPathRepository(db)
    t.same(await repo.findCall('c1'), undefined)
    t.same(await repo.listEvents(), [])
  })
}
