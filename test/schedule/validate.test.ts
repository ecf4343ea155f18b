import t from 'tap'
import {
  ScheduleValidationError,
  explain,
  parseRRule,
  validateCalendar,
  validateSchedule,
  type Schedule,
} from '../../src/core/schedule/index.js'

const ok = { id: 'wd', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 540 }
const sched = (rules: unknown[], extra: Record<string, unknown> = {}) =>
  ({ timeZone: 'Europe/Stockholm', rules, calendarIds: [], ...extra }) as unknown as Schedule

/**
 * Runs fn, expecting a ScheduleValidationError with an issue for `field`; returns that issue as
 * 'field: problem' (also checked to be part of the error message), or a description of what
 * happened instead, so a failing case prints something readable.
 */
function issueOf(fn: () => void, field: string): string {
  try {
    fn()
    return 'did not throw'
  } catch (e) {
    if (!(e instanceof ScheduleValidationError)) return `threw ${String(e)}`
    if (e.code !== 'KOPLUS_SCHEDULE_INVALID') return `wrong code ${e.code}`
    const issue = e.issues.find((i) => i.field === field)
    if (!issue) return `no issue for ${field}: ${e.message}`
    const text = `${issue.field}: ${issue.problem}`
    return e.message.includes(text) ? text : `message '${e.message}' lacks '${text}'`
  }
}

t.test('a valid schedule passes', async (t) => {
  t.doesNotThrow(() => validateSchedule(sched([ok, { ...ok, id: 'x', rrule: 'RRULE:FREQ=DAILY' }])))
  t.doesNotThrow(() => validateSchedule(sched([], { alwaysOpen: true, timeZone: 'UTC' })))
  t.doesNotThrow(() => validateSchedule(sched([{ ...ok, id: 'y', rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29' }])))
  t.doesNotThrow(() =>
    validateSchedule(sched([{ ...ok, id: 'z', rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO', from: '2026-01-05' }])),
  )
})

t.test('bad RRULEs name rules[i].rrule', async (t) => {
  const bad = (rrule: unknown, re: RegExp) =>
    t.match(
      issueOf(() => validateSchedule(sched([ok, ok, { ...ok, id: 'third', rrule }])), 'rules[2].rrule'),
      new RegExp(`^rules\\[2\\]\\.rrule: .*${re.source}`),
      String(rrule),
    )
  bad('FREQ=WEEK', /unknown FREQ 'WEEK'/)
  bad('FREQ=HOURLY', /unknown FREQ 'HOURLY'/)
  bad('BYDAY=MO', /FREQ is missing/)
  bad('FREQ=DAILY;FOO=1', /unknown RRULE part 'FOO'/)
  bad('FREQ=WEEKLY;BYDAY=MO,XX', /'XX' is not a weekday/)
  bad('FREQ=MONTHLY;BYMONTHDAY=40', /BYMONTHDAY: '40' is out of range/)
  bad('FREQ=MONTHLY;BYMONTHDAY=0', /out of range/)
  bad('FREQ=YEARLY;BYMONTH=13;BYMONTHDAY=1', /BYMONTH: '13' is out of range/)
  bad('FREQ=DAILY;INTERVAL=0', /INTERVAL: must be a positive integer/)
  bad('FREQ=DAILY;COUNT=3;UNTIL=20270101', /COUNT and UNTIL/)
  bad('FREQ=DAILY;BYHOUR=8', /BYHOUR: time of day comes from the rule's 'start'/)
  bad('DTSTART:20260101T080000\nRRULE:FREQ=DAILY', /no DTSTART/)
  bad('FREQ=DAILY;UNTIL=2027', /UNTIL: must be a date/)
  bad('FREQ=DAILY;FREQ=WEEKLY', /FREQ given twice/)
  bad('', /non-empty/)
  bad(42, /non-empty RRULE string/)
})

t.test('rules that depend on their anchor need from', async (t) => {
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, rrule: 'FREQ=WEEKLY' }])), 'rules[0].from'),
    /^rules\[0\]\.from: .*is required/,
    'weekly without BYDAY',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, rrule: 'FREQ=DAILY;INTERVAL=2' }])), 'rules[0].from'),
    /^rules\[0\]\.from: .*is required/,
    'interval 2',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, rrule: 'FREQ=YEARLY' }])), 'rules[0].from'),
    /^rules\[0\]\.from: .*is required/,
    'yearly bare',
  )
})

t.test('bad start, duration, dates, kind, ids, zone', async (t) => {
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, start: '8:00' }])), 'rules[0].start'),
    /^rules\[0\]\.start: .*HH:MM/,
    'start 8:00',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, start: '24:00' }])), 'rules[0].start'),
    /^rules\[0\]\.start: .*HH:MM/,
    'start 24:00',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, start: '12:60' }])), 'rules[0].start'),
    /^rules\[0\]\.start: .*HH:MM/,
    'start 12:60',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, durationMinutes: 0 }])), 'rules[0].durationMinutes'),
    /^rules\[0\]\.durationMinutes: .*from 1 to 10080, got 0/,
    'zero',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, durationMinutes: -5 }])), 'rules[0].durationMinutes'),
    /^rules\[0\]\.durationMinutes: .*got -5/,
    'negative',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, durationMinutes: 1.5 }])), 'rules[0].durationMinutes'),
    /^rules\[0\]\.durationMinutes: .*whole number/,
    'fraction',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, from: '2026-02-30' }])), 'rules[0].from'),
    /^rules\[0\]\.from: .*YYYY-MM-DD/,
    'feb 30',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, from: '2026-05-01', until: '2026-04-01' }])), 'rules[0].until'),
    /^rules\[0\]\.until: .*before 'from'/,
    'until<from',
  )
  t.match(
    issueOf(() => validateSchedule(sched([{ ...ok, kind: 'maybe' }])), 'rules[0].kind'),
    /^rules\[0\]\.kind: .*'open', 'closed' or 'special'/,
    'kind',
  )
  t.match(
    issueOf(() => validateSchedule(sched([ok, ok])), 'rules[1].id'),
    /^rules\[1\]\.id: .*already used by rules\[0\]/,
    'duplicate id',
  )
  t.match(
    issueOf(() => validateSchedule(sched([ok], { timeZone: 'Europe/Stokholm' })), 'timeZone'),
    /^timeZone: .*unknown time zone "Europe\/Stokholm"/,
    'zone',
  )
  t.match(
    issueOf(() => validateSchedule(sched([ok], { calendarIds: 'se' })), 'calendarIds'),
    /^calendarIds: .*list/,
    'calendarIds',
  )
  t.match(
    issueOf(() => validateSchedule({ timeZone: 'UTC', calendarIds: [] }), 'rules'),
    /^rules: .*list/,
    'no rules',
  )
})

t.test('every issue is reported, not only the first', async (t) => {
  try {
    validateSchedule(sched([{ ...ok, start: 'x', durationMinutes: 0 }], { timeZone: 'Nowhere' }))
    t.fail('should throw')
  } catch (e) {
    const err = e as ScheduleValidationError
    t.same(err.issues.map((i) => i.field).sort(), ['rules[0].durationMinutes', 'rules[0].start', 'timeZone'])
    t.equal(err.field, 'timeZone')
  }
})

t.test('the evaluator refuses an invalid schedule', async (t) => {
  t.throws(() => explain(sched([{ ...ok, rrule: 'FREQ=WEEK' }]), [], [], 'q', 0), ScheduleValidationError)
})

t.test('parseRRule normalises and accepts the RRULE: prefix', async (t) => {
  const p = parseRRule('rrule:freq=weekly;byday=mo,fr')
  t.not(typeof p, 'string')
  if (typeof p !== 'string') {
    t.equal(p.body, 'FREQ=WEEKLY;BYDAY=MO,FR')
    t.equal(p.freq, 'WEEKLY')
  }
  t.match(parseRRule('FREQ=MONTHLY;BYDAY=-1FR'), { freq: 'MONTHLY' })
  t.match(parseRRule('FREQ=WEEKLY;BYDAY=1MO'), /ordinal/)
})

t.test('holiday calendars', async (t) => {
  t.doesNotThrow(() => validateCalendar({ id: 'se', name: 'Sverige', customDates: [] }))
  t.doesNotThrow(() =>
    validateCalendar({
      id: 'de',
      name: 'Bayern',
      country: 'DE',
      region: 'BY',
      closedTypes: ['public'],
      customDates: [{ date: '2026-12-24', name: 'Julafton', closed: false, start: '08:00', end: '12:00' }],
    }),
  )
  t.match(
    issueOf(() => validateCalendar({ id: 'x', name: 'X', country: 'XX', customDates: [] }), 'country'),
    /^country: .*unknown country "XX"/,
    'country',
  )
  t.match(
    issueOf(() => validateCalendar({ id: 'x', name: 'X', country: 'DE', region: 'ZZ', customDates: [] }), 'region'),
    /^region: .*unknown region 'ZZ' of DE/,
    'region',
  )
  t.match(
    issueOf(
      () => validateCalendar({ id: 'x', name: 'X', closedTypes: ['public', 'national'], customDates: [] }),
      'closedTypes[1]',
    ),
    /^closedTypes\[1\]: .*unknown holiday type "national"/,
    'type',
  )
  t.match(
    issueOf(
      () => validateCalendar({ id: 'x', name: 'X', customDates: [{ date: '2026-13-01', name: 'a', closed: true }] }),
      'customDates[0].date',
    ),
    /^customDates\[0\]\.date: .*YYYY-MM-DD/,
    'date',
  )
  t.match(
    issueOf(
      () => validateCalendar({ id: 'x', name: 'X', customDates: [{ date: '2026-12-01', name: 'a', closed: 'yes' }] }),
      'customDates[0].closed',
    ),
    /^customDates\[0\]\.closed: .*true .*false/,
    'closed',
  )
  t.match(
    issueOf(
      () =>
        validateCalendar({
          id: 'x',
          name: 'X',
          customDates: [{ date: '2026-12-01', name: 'a', closed: true, start: '12:00', end: '11:00' }],
        }),
      'customDates[0].end',
    ),
    /^customDates\[0\]\.end: .*after start/,
    'end<start',
  )
  t.match(
    issueOf(() => validateCalendar({ id: '', name: 'X', customDates: [] }), 'id'),
    /^id: .*non-empty/,
    'id',
  )
  t.match(
    issueOf(() => validateCalendar({ id: 'x', name: 'X' }), 'customDates'),
    /^customDates: .*list/,
    'customDates missing',
  )
})

t.test('a schedule stored without a time zone uses Europe/Stockholm', async (t) => {
  const s = { rules: [ok], calendarIds: [] } as unknown as Schedule
  t.doesNotThrow(() => validateSchedule(s))
  t.equal(explain(s, [], [], 'q', Date.parse('2026-06-10T06:00:00Z')).open, true, '08:00 CEST open')
  t.equal(explain(s, [], [], 'q', Date.parse('2026-06-10T05:59:00Z')).open, false)
})
