/**
 * Report queries: licences across month boundaries, queue and agent statistics, EWT accuracy — on SQLite and
 * PostgreSQL, with the same figures (local-day buckets, averages and ratios, ordering), under several host zones.
 * Tenants, queues, agents and membership intervals (other repositories) are seeded with plain SQL.
 */
import t from 'tap'
import { alsoUnderZones } from '../helpers/under-zones.js'
import type { Plan } from '../../src/core/model.js'
import type { Store } from '../../src/store/index.js'
import { VirtualClock } from '../../src/util/clock.js'
import { bucketOf, localToInstant, monthRange } from '../../src/store/timezone.js'
import { storeBackends } from '../helpers/store-backends.js'

const S = 1000
const MIN = 60 * S
/** Europe/Stockholm local time → epoch ms (CET in November: UTC+1). */
const cet = (d: string, hm: string, sec = 0): number => Date.parse(`${d}T${hm}:00+01:00`) + sec * S
const cest = (d: string, hm: string): number => Date.parse(`${d}T${hm}:00+02:00`)

const backends = await storeBackends(t)

t.test('time zone helpers: month ranges and buckets in Europe/Stockholm', async (t) => {
  t.strictSame(monthRange('2026-11', 'Europe/Stockholm'), {
    start: cet('2026-11-01', '00:00'),
    end: cet('2026-12-01', '00:00'),
  })
  t.strictSame(
    monthRange('2026-10', 'Europe/Stockholm'),
    { start: cest('2026-10-01', '00:00'), end: cet('2026-11-01', '00:00') },
    'October spans the DST change',
  )
  t.strictSame(
    monthRange('2026-12', 'UTC'),
    { start: Date.UTC(2026, 11, 1), end: Date.UTC(2027, 0, 1) },
    'December rolls into January',
  )
  t.equal(
    localToInstant(2026, 3, 29, 3, 'Europe/Stockholm'),
    Date.parse('2026-03-29T03:00:00+02:00'),
    'after the spring-forward gap',
  )
  t.equal(bucketOf(cet('2026-11-02', '09:59'), 'hour', 'Europe/Stockholm'), '2026-11-02 09')
  t.equal(bucketOf(cet('2026-11-02', '23:30'), 'day', 'Europe/Stockholm'), '2026-11-02', 'local day, not the UTC one')
  t.equal(bucketOf(cet('2026-11-02', '23:30'), 'day', 'UTC'), '2026-11-02')
  t.equal(bucketOf(cet('2026-11-03', '00:30'), 'day', 'Europe/Stockholm'), '2026-11-03')
  t.throws(() => monthRange('2026-13', 'UTC'), /expected YYYY-MM/)
})

async function addQueue(store: Store, id: string, number: string, tenant = 'default'): Promise<void> {
  await store.db.run('INSERT INTO queues (id, tenant_id, number, name, created_at) VALUES (?, ?, ?, ?, 1)', [
    id,
    tenant,
    number,
    id,
  ])
}
async function addAgent(store: Store, id: string, ext: string, name: string, plan = 'pro', tenant = 'default') {
  await store.db.run(
    'INSERT INTO agents (id, tenant_id, extension, name, plan, created_at) VALUES (?, ?, ?, ?, ?, 1)',
    [id, tenant, ext, name, plan],
  )
}
/** A membership interval [from, until) as memberships.add / remove record it (agent details copied). */
async function member(store: Store, agentId: string, queueId: string, from: number, until: number | null = null) {
  const a = await store.db.get<{ tenant_id: string; extension: string; name: string; plan: string }>(
    'SELECT tenant_id, extension, name, plan FROM agents WHERE id = ?',
    [agentId],
  )
  await store.db.run(
    'INSERT INTO membership_history (tenant_id, agent_id, queue_id, extension, name, plan, from_at, until_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [a!.tenant_id, agentId, queueId, a!.extension, a!.name, a!.plan, from, until],
  )
}

/** A hand-made day of queue 5000 (q1) and 5001 (q2) through the repositories, as the daemon writes it. */
async function seed(store: Store): Promise<void> {
  const call = async (
    id: string,
    q: string,
    arrived: number,
    o: {
      enter?: number
      waitS?: number
      talkS?: number
      agent?: string
      outcome: 'answered' | 'abandoned' | 'closed'
      number?: string
    },
  ) => {
    await store.calls.start({
      callId: id,
      tenantId: 'default',
      queueId: q,
      arrivedAt: arrived,
      callerNumber: o.number ?? '0700000000',
      enteredQueueAt: o.enter === undefined ? undefined : arrived + o.enter * S,
    })
    await store.events.append({ at: arrived, callId: id, queueId: q, event: 'ARRIVE' })
    if (o.outcome === 'answered') {
      const answered = arrived + (o.enter ?? 0) * S + (o.waitS ?? 0) * S
      await store.calls.update(id, { answeredAt: answered, agentId: o.agent })
      await store.calls.update(id, { endedAt: answered + (o.talkS ?? 0) * S, outcome: 'answered' })
    } else if (o.outcome === 'abandoned') {
      await store.calls.update(id, { endedAt: arrived + (o.enter ?? 0) * S + (o.waitS ?? 0) * S, outcome: 'abandoned' })
    } else {
      await store.calls.update(id, { endedAt: arrived + 5 * S, outcome: 'closed' })
    }
  }
  const d = '2026-11-02'
  await call('c1', 'q1', cet(d, '09:00'), { enter: 10, waitS: 15, talkS: 300, agent: 'a1', outcome: 'answered' })
  await call('c2', 'q1', cet(d, '09:10'), { enter: 10, waitS: 40, talkS: 120, agent: 'a2', outcome: 'answered' })
  await call('c3', 'q1', cet(d, '09:20'), { enter: 10, waitS: 30, outcome: 'abandoned', number: '0702223344' })
  await call('c4', 'q1', cet(d, '10:05'), { outcome: 'closed' })
  await call('c5', 'q1', cet(d, '10:30'), { enter: 10, waitS: 5, talkS: 60, agent: 'a1', outcome: 'answered' })
  await call('c6', 'q2', cet('2026-11-03', '08:00'), {
    enter: 10,
    waitS: 100,
    talkS: 30,
    agent: 'a2',
    outcome: 'answered',
  })
  await call('c7', 'q1', cet('2026-11-04', '08:00'), {
    enter: 10,
    waitS: 1,
    talkS: 1,
    agent: 'a1',
    outcome: 'answered',
  }) // outside the range

  const offer = async (
    callId: string,
    agent: string,
    at: number,
    result: 'answered' | 'no-answer' | 'busy' | 'lost-race' | 'cancelled',
  ) => {
    const o = await store.calls.addOffer({ callId, agentId: agent, offeredAt: at })
    await store.calls.finishOffer(o.id, { result, endedAt: at + 5 * S })
  }
  await offer('c1', 'a2', cet(d, '09:00', 10), 'no-answer')
  await offer('c1', 'a1', cet(d, '09:00', 20), 'answered')
  await offer('c2', 'a2', cet(d, '09:10', 30), 'answered')
  await offer('c3', 'a1', cet(d, '09:20', 12), 'no-answer')
  await offer('c3', 'a2', cet(d, '09:20', 30), 'cancelled')
  await offer('c5', 'a3', cet(d, '10:30', 12), 'lost-race')
  await offer('c5', 'a1', cet(d, '10:30', 12), 'answered')

  await store.events.appendMany([
    { at: cet(d, '09:05', 25), agentId: 'a1', queueId: 'q1', event: 'WRAPUPSTART' },
    { at: cet(d, '09:05', 35), agentId: 'a1', queueId: 'q1', event: 'WRAPUPEND' },
    { at: cet(d, '09:12', 50), agentId: 'a2', queueId: 'q1', event: 'WRAPUPSTART' },
    { at: cet(d, '09:13', 0), agentId: 'a2', queueId: 'q1', event: 'WRAPUPEND' },
    { at: cet(d, '10:31', 15), agentId: 'a1', queueId: 'q1', event: 'WRAPUPSTART' },
    { at: cet(d, '10:31', 30), agentId: 'a1', queueId: 'q1', event: 'WRAPUPEND' },
    { at: cet(d, '10:40', 0), agentId: 'a1', queueId: 'q1', event: 'WRAPUPEND' }, // stray end: ignored
  ])
}

for (const b of backends) {
  t.test(`${b.name}: licences: any membership in the month, one per agent, across month boundaries`, async (t) => {
    // Through the repositories, as an operator makes the changes: memberships.add / remove write the intervals.
    const clock = new VirtualClock(cet('2026-09-01', '08:00'))
    const store = await b.openStore(t, { clock })
    await store.tenants.create({ id: 'acme', name: 'Acme', domain: 'acme.example' })
    await store.queues.create({ id: 'q1', number: '5000', name: 'Support' })
    await store.queues.create({ id: 'q2', number: '5001', name: 'Sales' })
    await store.queues.create({ id: 'qa', tenantId: 'acme', number: '5000', name: 'Acme' })
    const agent = (id: string, extension: string, name: string, plan: Plan, tenantId?: string) =>
      store.agents.create({ id, extension, name, plan, ...(tenantId ? { tenantId } : {}) })
    await agent('anna', '1001', 'Anna', 'pro')
    await agent('bo', '1002', 'Bo', 'business')
    await agent('cia', '1003', 'Cia', 'basic')
    await agent('dan', '1004', 'Dan', 'pro')
    await agent('eve', '2001', 'Eve', 'enterprise', 'acme')
    await agent('fia', '1006', 'Fia', 'pro')
    const m = store.memberships

    // Anna: a member 2026-10-28 .. 2026-11-02 → October and November
    await m.add('anna', 'q1', cet('2026-10-28', '10:00'))
    await m.remove('anna', 'q1', cet('2026-11-02', '12:00'))
    // Bo: two queues all of November → one licence
    await m.add('bo', 'q1', cet('2026-11-01', '00:00'))
    await m.add('bo', 'q2', cet('2026-11-05', '09:00'))
    // Cia: September only → no licence in October
    await m.add('cia', 'q1', cest('2026-09-10', '09:00'))
    await m.remove('cia', 'q1', cest('2026-09-20', '09:00'))
    // Dan: removed exactly at local midnight 1 November → October only
    await m.add('dan', 'q2', cest('2026-10-15', '09:00'))
    await m.remove('dan', 'q2', cet('2026-11-01', '00:00'))
    // Eve: another tenant, joins 1 December 00:30 local (30 November 23:30 UTC) → December in Stockholm time
    await m.add('eve', 'qa', cet('2026-12-01', '00:30'))
    // Fia: member in November, then removed as an agent → still reported under her name
    await m.add('fia', 'q2', cet('2026-11-10', '09:00'))
    clock.runUntil(cet('2026-11-20', '09:00'))
    await store.agents.remove('fia')
    // A membership interval of no length counts for nothing.
    await member(store, 'cia', 'q2', cet('2026-11-15', '09:00'), cet('2026-11-15', '09:00'))

    const oct = await store.report.licences('2026-10')
    t.strictSame(
      oct.map((l) => l.agentId),
      ['anna', 'dan'],
      'October: Anna and Dan',
    )
    t.equal(oct[0].firstMemberAt, cet('2026-10-28', '10:00'))

    const nov = await store.report.licences('2026-11')
    t.strictSame(
      nov.map((l) => [l.tenant, l.agentId, l.extension, l.name, l.plan, l.queues]),
      [
        ['default', 'anna', '1001', 'Anna', 'pro', 1],
        ['default', 'bo', '1002', 'Bo', 'business', 2],
        ['default', 'fia', '1006', 'Fia', 'pro', 1],
      ],
    )
    t.equal(
      nov.find((l) => l.agentId === 'anna')!.firstMemberAt,
      cet('2026-11-01', '00:00'),
      'first moment of the month as a member',
    )
    t.equal(nov.find((l) => l.agentId === 'bo')!.firstMemberAt, cet('2026-11-01', '00:00'))
    t.strictSame(
      (await store.report.licences('2026-11', 'default')).map((l) => l.agentId),
      ['anna', 'bo', 'fia'],
      'filtered by tenant',
    )
    t.strictSame(await store.report.licences('2026-11', 'acme'), [], 'Eve joined in December, Stockholm time')
    t.strictSame(
      (await store.report.licences('2026-11', 'acme', { timeZone: 'UTC' })).map((l) => [l.agentId, l.firstMemberAt]),
      [['eve', Date.UTC(2026, 10, 30, 23, 30)]],
      'but in November, UTC',
    )
    t.strictSame(
      (await store.report.licences('2026-12')).map((l) => [l.tenant, l.agentId]),
      [
        ['acme', 'eve'],
        ['default', 'bo'],
      ],
      'sorted by tenant, extension',
    )
    t.strictSame(
      (await store.report.licences('2026-09')).map((l) => l.agentId),
      ['cia'],
    )
    await t.rejects(store.report.licences('Nov 2026'), { code: 'KOPLUS_STORE_INVALID', field: 'month' })
  })

  t.test(`${b.name}: queue statistics per hour, per day and in total`, async (t) => {
    const store = await b.openStore(t)
    await addAgent(store, 'a1', '1001', 'Anna')
    await addAgent(store, 'a2', '1002', 'Bo')
    await seed(store)
    const since = cet('2026-11-02', '00:00')
    const until = cet('2026-11-04', '00:00')

    const hours = await store.report.queueStats({ since, until, bucket: 'hour', serviceLevelSec: 20 })
    t.strictSame(
      hours.map((h) => [h.queueId, h.bucket]),
      [
        ['q1', '2026-11-02 09'],
        ['q1', '2026-11-02 10'],
        ['q2', '2026-11-03 08'],
      ],
    )
    const h9 = hours[0]
    t.equal(h9.arrived, 3)
    t.equal(h9.offered, 3)
    t.equal(h9.answered, 2)
    t.equal(h9.abandoned, 1)
    t.strictSame(
      h9.abandonedCallers.map((a) => [a.callId, a.callerNumber, a.waitMs]),
      [['c3', '0702223344', 30000]],
    )
    t.equal(h9.answeredWithinSl, 1)
    t.equal(h9.serviceLevel, 1 / 3)
    t.equal(h9.avgWaitMs, 27500)
    t.equal(h9.p90WaitMs, 40000)
    t.equal(h9.avgTalkMs, 210000)
    const h10 = hours[1]
    t.strictSame(
      [h10.arrived, h10.offered, h10.answered, h10.serviceLevel, h10.outcomes],
      [2, 1, 1, 1, { closed: 1, answered: 1 }],
    )

    const days = await store.report.queueStats({ since, until, queueId: 'q1' })
    t.equal(days.length, 1)
    t.strictSame(
      [days[0].bucket, days[0].arrived, days[0].offered, days[0].answered, days[0].abandoned],
      ['2026-11-02', 5, 4, 3, 1],
    )
    t.equal(days[0].avgWaitMs, 20000)
    t.equal(days[0].p90WaitMs, 40000)
    t.equal(days[0].serviceLevel, 2 / 4)

    const total = await store.report.queueStats({ since, until, bucket: 'total', serviceLevelSec: 120 })
    t.strictSame(
      total.map((r) => [r.queueId, r.answered, r.serviceLevel]),
      [
        ['q1', 3, 3 / 4],
        ['q2', 1, 1],
      ],
    )
    await t.rejects(store.report.queueStats({ since: until, until: since }), { code: 'KOPLUS_STORE_INVALID' })
    await t.rejects(store.report.queueStats({ since, until, timeZone: 'Mars/Olympus' }), {
      code: 'KOPLUS_STORE_INVALID',
      field: 'timeZone',
    })
  })

  t.test(`${b.name}: agent statistics: answered, missed, talk and wrap-up time`, async (t) => {
    const store = await b.openStore(t)
    await addAgent(store, 'a1', '1001', 'Anna')
    await addAgent(store, 'a2', '1002', 'Bo')
    await addQueue(store, 'q1', '5000')
    await seed(store)
    const since = cet('2026-11-02', '00:00')
    const until = cet('2026-11-03', '00:00')
    const rows = await store.report.agentStats({ since, until })
    t.strictSame(
      rows.map((r) => [r.agentId, r.extension, r.offered, r.answered, r.missed, r.talkMs, r.wrapUpMs]),
      [
        ['a1', '1001', 3, 2, 1, 360000, 25000],
        ['a2', '1002', 3, 1, 1, 120000, 10000],
        ['a3', null, 1, 0, 0, 0, 0],
      ],
      'a lost parallel race and a cancelled offer are not missed',
    )
    const nextDay = await store.report.agentStats({ since: until, until: cet('2026-11-04', '00:00') })
    t.strictSame(
      nextDay.map((r) => [r.agentId, r.talkMs]),
      [['a2', 30000]],
    )
    t.strictSame(
      (await store.report.agentStats({ since, until, agentId: 'a2' })).map((r) => r.agentId),
      ['a2'],
    )
  })

  t.test(`${b.name}: EWT accuracy from the EWT log`, async (t) => {
    const store = await b.openStore(t)
    t.strictSame(await store.report.ewtAccuracy(), { n: 0, maeSeconds: null, biasSeconds: null, within60Share: null })
    const at = cet('2026-11-02', '09:00')
    await store.ewt.record({ callId: 'c1', queueId: 'q1', at, position: 1, announcedSeconds: 60 })
    await store.ewt.resolve('c1', at + 30 * S) // actual 30 s: error +30
    await store.ewt.record({ callId: 'c2', queueId: 'q1', at, position: 2, announcedSeconds: 120 })
    await store.ewt.record({ callId: 'c2', queueId: 'q1', at: at + MIN, position: 1, announcedSeconds: null }) // silence: not counted
    await store.ewt.resolve('c2', at + 200 * S) // actual 200 s: error -80
    await store.ewt.record({ callId: 'c3', queueId: 'q1', at, position: 3, announcedSeconds: 60 }) // abandoned: unknown
    await store.ewt.record({ callId: 'c4', queueId: 'q2', at, position: 1, announcedSeconds: 10 })
    await store.ewt.resolve('c4', at + 10 * S)
    t.strictSame(await store.report.ewtAccuracy({ queueId: 'q1' }), {
      n: 2,
      maeSeconds: 55,
      biasSeconds: -25,
      within60Share: 0.5,
    })
    t.strictSame(await store.report.ewtAccuracy(), {
      n: 3,
      maeSeconds: 110 / 3,
      biasSeconds: -50 / 3,
      within60Share: 2 / 3,
    })
  })
}

// local days, months and closure times must not lean on the host's zone
alsoUnderZones(t, import.meta.url)
