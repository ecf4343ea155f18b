/**
 * Issue 9 (hardening), validation gaps of the HTTP API: an unknown holiday country, a schedule naming a calendar
 * that does not exist (or another tenant's), a rule that never occurs, a schedule that keeps a queue closed, names
 * with NUL or bidirectional-override characters. The world's clock is 2026-11-25 12:00 UTC.
 */
import t from 'tap'
import { ruleOccurrence } from '../../src/core/schedule/index.js'
import { call, world } from './fixture.js'

const rule = (extra: Record<string, unknown>) => ({
  kind: 'open',
  rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  start: '08:00',
  durationMinutes: 540,
  ...extra,
})
const NOW = Date.UTC(2026, 10, 25, 12)

t.test('ruleOccurrence: occurs, ended, never', async (t) => {
  const z = 'Europe/Stockholm'
  t.equal(
    ruleOccurrence({ id: 'a', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 60 }, z, NOW),
    'occurs',
  )
  t.equal(
    ruleOccurrence(
      { id: 'b', kind: 'open', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30', start: '08:00', durationMinutes: 60 },
      z,
      NOW,
    ),
    'never',
    '30 February',
  )
  t.equal(
    ruleOccurrence(
      { id: 'c', kind: 'open', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29', start: '08:00', durationMinutes: 60 },
      z,
      NOW,
    ),
    'occurs',
    '29 February: 2028',
  )
  t.equal(
    ruleOccurrence(
      { id: 'd', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 60, until: '2025-12-31' },
      z,
      NOW,
    ),
    'ended',
  )
  t.equal(
    ruleOccurrence(
      { id: 'e', kind: 'open', rrule: 'FREQ=DAILY;COUNT=3', start: '08:00', durationMinutes: 60, from: '2026-01-01' },
      z,
      NOW,
    ),
    'ended',
    'COUNT used up',
  )
  t.equal(
    ruleOccurrence(
      {
        id: 'f',
        kind: 'open',
        rrule: 'FREQ=WEEKLY;BYDAY=SA',
        start: '08:00',
        durationMinutes: 60,
        from: '2026-12-01',
        until: '2026-12-04',
      },
      z,
      NOW,
    ),
    'never',
    'no Saturday between from and until',
  )
  t.equal(
    ruleOccurrence(
      { id: 'g', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 60, from: '2041-06-01' },
      z,
      NOW,
    ),
    'occurs',
    'far in the future is still an occurrence',
  )
})

t.test('holiday calendars: an unknown country or region is refused', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const xx = await call(w.url, 'POST', '/api/v1/calendars', {
    token: w.tokens.adminA,
    body: { name: 'Nowhere', country: 'XX' },
  })
  t.equal(xx.status, 400)
  t.equal(xx.body.error.field, 'calendar.country')
  t.match(xx.body.error.message, /unknown country "XX"/)
  const region = await call(w.url, 'POST', '/api/v1/calendars', {
    token: w.tokens.adminA,
    body: { name: 'Nowhere', country: 'SE', region: 'ZZ' },
  })
  t.equal(region.status, 400)
  t.equal(region.body.error.field, 'calendar.region')
  const se = await call(w.url, 'POST', '/api/v1/calendars', {
    token: w.tokens.adminA,
    body: { name: 'Sweden', country: 'SE' },
  })
  t.equal(se.status, 201)
  const patch = await call(w.url, 'PATCH', `/api/v1/calendars/${se.body.id}`, {
    token: w.tokens.adminA,
    body: { country: 'XX' },
  })
  t.equal(patch.status, 400, 'nor can it be patched in')
  t.equal((await w.store.holidayCalendars.get(se.body.id)).country, 'SE')
})

t.test('schedules: calendars must exist in the tenant or be shared', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const put = (calendarIds: string[]) =>
    call(w.url, 'PUT', '/api/v1/queues/qa/schedule', {
      token: w.tokens.adminA,
      body: { schedule: { calendarIds, rules: [rule({ id: 'wd' })] } },
    })
  const missing = await put(['no-such-calendar'])
  t.equal(missing.status, 400)
  t.equal(missing.body.error.field, 'schedule.calendarIds[0]')
  t.match(missing.body.error.message, /no holiday calendar 'no-such-calendar'/)
  t.equal((await w.store.queues.get('qa')).schedule, null, 'nothing saved')
  const theirs = await call(w.url, 'POST', '/api/v1/calendars', { token: w.tokens.adminB, body: { name: 'B days' } })
  t.equal((await put([theirs.body.id])).status, 400, "another tenant's calendar is not usable")
  const shared = await call(w.url, 'POST', '/api/v1/calendars', {
    token: w.tokens.operator,
    body: { tenantId: null, name: 'Shared' },
  })
  const own = await call(w.url, 'POST', '/api/v1/calendars', { token: w.tokens.adminA, body: { name: 'A days' } })
  const ok = await put([shared.body.id, own.body.id])
  t.equal(ok.status, 200)
  t.notOk('warnings' in ok.body, 'a sound schedule has no warnings')
})

t.test(
  'schedules: a rule that never occurs is refused; one that ended, or a queue never open, is warned about',
  async (t) => {
    const w = await world()
    t.teardown(() => w.close())
    const feb30 = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
      token: w.tokens.adminA,
      body: rule({ rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30' }),
    })
    t.equal(feb30.status, 400)
    t.equal(feb30.body.error.field, 'schedule.rules[0].rrule')
    t.match(feb30.body.error.message, /never occurs/)
    t.equal((await w.store.queues.get('qa')).schedule, null, 'nothing saved')

    const ended = await call(w.url, 'PUT', '/api/v1/queues/qa/schedule', {
      token: w.tokens.adminA,
      body: { schedule: { rules: [rule({ id: 'old', until: '2025-06-30' })] } },
    })
    t.equal(ended.status, 200, 'saved')
    t.same(ended.body.warnings, [
      'rules[0] (old) ended on 2025-06-30; it opens or closes nothing any more',
      'the queue does not open at all in the next 366 days under this schedule: callers will only hear it is closed',
    ])
    const fixed = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
      token: w.tokens.adminA,
      body: rule({ id: 'new' }),
    })
    t.equal(fixed.status, 201)
    t.same(
      fixed.body.warnings,
      ['rules[0] (old) ended on 2025-06-30; it opens or closes nothing any more'],
      'open again: only the ended rule is mentioned',
    )
  },
)

t.test('names with NUL or bidi-override characters are refused', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  const cases: [string, string, string, Record<string, unknown>, string][] = [
    ['POST', '/api/v1/queues', w.tokens.adminA, { number: '5009', name: 'Sales\u0000' }, 'name'],
    ['PATCH', '/api/v1/queues/qa', w.tokens.adminA, { name: 'Support \u202Eexe.gpj' }, 'name'],
    ['POST', '/api/v1/agents', w.tokens.adminA, { extension: '1009', name: 'Eve\u2066', plan: 'pro' }, 'name'],
    ['POST', '/api/v1/tenants', w.tokens.operator, { name: 'T\u0007', domain: 'c.example' }, 'name'],
    ['POST', '/api/v1/calendars', w.tokens.adminA, { name: 'Cal\u202B' }, 'name'],
    ['POST', '/api/v1/queues/qa/close', w.tokens.adminA, { reason: 'gone\u0000' }, 'reason'],
  ]
  for (const [method, path, token, body, field] of cases) {
    const r = await call(w.url, method, path, { token, body })
    t.equal(r.status, 400, `${method} ${path}`)
    t.equal(r.body.error.field, field)
    t.match(
      r.body.error.message,
      /must not contain control or bidirectional-override characters \(found U\+[0-9A-F]{4}/,
    )
  }
  t.equal((await w.store.queues.get('qa')).name, 'Support A', 'nothing changed')
  t.equal(
    (
      await call(w.url, 'POST', '/api/v1/queues/qa/close', {
        token: w.tokens.adminA,
        body: { reason: 'Staff meeting\nback at 14:00' },
      })
    ).status,
    201,
    'line breaks in a reason are fine',
  )
  // the store refuses them too (the CLI and imports do not pass the API's validator)
  await t.rejects(w.store.queues.update('qa', { name: 'x\u202Ey' }), {
    code: 'KOPLUS_STORE_INVALID',
    storeCode: 'INVALID',
    field: 'queue.name',
  })
  await t.rejects(w.store.tenants.create({ name: 'x\u0000', domain: 'd.example' }), {
    code: 'KOPLUS_STORE_INVALID',
    storeCode: 'INVALID',
    field: 'tenant.name',
  })
})

t.test('a rule added to a schedule stored without a time zone', async (t) => {
  const w = await world()
  t.teardown(() => w.close())
  await w.store.db.run('UPDATE queues SET schedule = ? WHERE id = ?', [
    JSON.stringify({ rules: [], calendarIds: [] }),
    'qa',
  ])
  const r = await call(w.url, 'POST', '/api/v1/queues/qa/schedule/rules', {
    token: w.tokens.adminA,
    body: rule({ id: 'wd' }),
  })
  t.equal(r.status, 201, 'the default zone (Europe/Stockholm) is used')
  t.equal(
    ruleOccurrence({ id: 'a', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 60 }, undefined, NOW),
    'occurs',
  )
})
