/**
 * The API's half of the time rule (docs/api.md "Times and time zones"): an instant typed without an offset is read
 * in the queue's zone, never the daemon host's; explain names the zone of its reason; stats buckets are each queue's
 * local days and say which zone; CSV instants are ISO 8601 with the offset. Runs again under TZ=UTC,
 * America/New_York and Asia/Kolkata.
 */
import t from 'tap'
import { call, world, type World } from './fixture.js'
import { alsoUnderZones } from '../helpers/under-zones.js'

const Z = (iso: string): number => Date.parse(iso)
const op = (w: World) => ({ token: w.tokens.operator })
const weekdays = (timeZone: string) => ({
  timeZone,
  calendarIds: [],
  rules: [
    {
      id: 'wd',
      kind: 'open' as const,
      rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
      start: '08:00',
      durationMinutes: 540,
    },
  ],
})

t.test("instants without an offset are read in the queue's zone", async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  await w.store.queues.update('qa', { schedule: weekdays('Europe/Stockholm') })
  await w.store.queues.update('qa2', { schedule: weekdays('America/New_York') })

  const sto = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-11-25T13:00', op(w))
  t.equal(sto.status, 200)
  t.match(sto.body, {
    at: Z('2026-11-25T12:00:00Z'),
    open: true,
    timeZone: 'Europe/Stockholm',
    nextChange: Z('2026-11-25T16:00:00Z'),
  })
  const ny = await call(w.url, 'GET', '/api/v1/queues/qa2/schedule/explain?at=2026-11-25T13:00', op(w))
  t.match(ny.body, { at: Z('2026-11-25T18:00:00Z'), timeZone: 'America/New_York' })
  const day = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-11-26', op(w))
  t.equal(day.body.at, Z('2026-11-25T23:00:00Z'), 'a date is the midnight starting it in the zone')
  const offset = await call(
    w.url,
    'GET',
    `/api/v1/queues/qa/schedule/explain?at=${encodeURIComponent('2026-11-25T13:00:00+05:30')}`,
    op(w),
  )
  t.equal(offset.body.at, Z('2026-11-25T07:30:00Z'), 'an explicit offset wins')
  const next = await call(w.url, 'GET', '/api/v1/queues/qa2/schedule/next?days=7', op(w))
  t.equal(next.body.timeZone, 'America/New_York', 'the coming transitions name their zone too')
  t.ok(next.body.items.length > 0)
  const bad = await call(w.url, 'GET', '/api/v1/queues/qa/schedule/explain?at=2026-02-30T10:00', op(w))
  t.equal(bad.status, 400)
  t.equal(bad.body.error.field, 'at')

  const c = await call(w.url, 'POST', '/api/v1/closures', {
    ...op(w),
    body: { tenantId: 'ta', queueIds: ['qa2'], reason: 'Storm', from: '2026-11-25T09:00', until: '2026-11-25T10:30' },
  })
  t.equal(c.status, 201, JSON.stringify(c.body))
  t.match(
    c.body,
    { from: Z('2026-11-25T14:00:00Z'), until: Z('2026-11-25T15:30:00Z') },
    'a closure window in New York time',
  )
  const one = await call(w.url, 'POST', '/api/v1/queues/qa/close', {
    ...op(w),
    body: { reason: 'Lunch', until: '2026-11-25T14:00' },
  })
  t.equal(one.body.until, Z('2026-11-25T13:00:00Z'))
})

t.test("stats buckets in each queue's zone; CSV instants with the offset", async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  await w.store.queues.update('qa2', { schedule: weekdays('America/New_York') })
  // 2026-11-25 02:00Z: the 25th in Stockholm (03:00), the 24th in New York (21:00)
  const at = Z('2026-11-25T02:00:00Z')
  for (const [id, queueId] of [
    ['c1', 'qa'],
    ['c2', 'qa2'],
  ] as const) {
    await w.store.calls.start({
      callId: id,
      tenantId: 'ta',
      queueId,
      arrivedAt: at,
      callerNumber: '0701',
      enteredQueueAt: at,
    })
    await w.store.calls.update(id, {
      answeredAt: at + 10_000,
      endedAt: at + 70_000,
      outcome: 'answered',
      agentId: 'aa',
      waitMs: 10_000,
      talkMs: 60_000,
    })
  }
  const stats = await call(w.url, 'GET', '/api/v1/stats/queues?tenant=ta&from=2026-11-20&to=2026-11-26', op(w))
  t.equal(stats.status, 200)
  const rows = stats.body.items
    .filter((r: { offered: number }) => r.offered > 0)
    .map((r: { queueId: string; bucket: string; timeZone: string }) => [r.queueId, r.bucket, r.timeZone])
  t.same(rows, [
    ['qa', '2026-11-25', 'Europe/Stockholm'],
    ['qa2', '2026-11-24', 'America/New_York'],
  ])
  const one = await call(
    w.url,
    'GET',
    '/api/v1/stats/queues?queue=qa2&by=hour&from=2026-11-24T00:00&to=2026-11-25T00:00',
    op(w),
  )
  t.same(
    one.body.items.filter((r: { offered: number }) => r.offered > 0).map((r: { bucket: string }) => r.bucket),
    ['2026-11-24 21'],
    'from/to and hours in New York time',
  )

  const csv = await call(w.url, 'GET', '/api/v1/calls?format=csv', op(w))
  const [header, ...lines] = csv.text.trim().split('\r\n')
  const col = header.split(',').indexOf('arrivedAt')
  const arrived = Object.fromEntries(lines.map((l) => [l.split(',')[0], l.split(',')[col]]))
  t.same(arrived, { c1: '2026-11-25T03:00:00+01:00', c2: '2026-11-24T21:00:00-05:00' })
  const statsCsv = await call(
    w.url,
    'GET',
    '/api/v1/stats/queues?tenant=ta&format=csv&from=2026-11-20&to=2026-11-26',
    op(w),
  )
  t.match(statsCsv.text, /^queueId,bucket,.*,timeZone,/)
  t.match(statsCsv.text, /\r\nqa,2026-11-25,.*,Europe\/Stockholm,/)
  await w.store.memberships.add('aa', 'qa2')
  const lic = await call(w.url, 'GET', '/api/v1/reports/licences?month=2026-11&tenant=ta&format=csv', op(w))
  t.match(
    lic.text,
    /\r\nta,aa,1001,Anna,pro,\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0[12]:00,/,
    'firstMemberAt with its offset',
  )
})

t.test("no queue named: from/to in the zone the tenant's queues share", async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  for (const id of ['qa', 'qa2']) await w.store.queues.update(id, { schedule: weekdays('America/New_York') })
  // 03:00Z on the 25th is 22:00 on the 24th in New York: before a New York '2026-11-25', after a Stockholm one
  const at = Z('2026-11-25T03:00:00Z')
  await w.store.calls.start({
    callId: 'n1',
    tenantId: 'ta',
    queueId: 'qa',
    arrivedAt: at,
    callerNumber: '0701',
    enteredQueueAt: at,
  })
  const offered = async (from: string): Promise<number> => {
    const r = await call(w.url, 'GET', `/api/v1/stats/queues?tenant=ta&by=total&from=${from}&to=2026-11-26`, op(w))
    return r.body.items.reduce((n: number, x: { offered: number }) => n + x.offered, 0)
  }
  t.equal(await offered('2026-11-25'), 0, "'2026-11-25' is New York's midnight, after the call")
  t.equal(await offered('2026-11-24'), 1)
})

alsoUnderZones(t, import.meta.url)
