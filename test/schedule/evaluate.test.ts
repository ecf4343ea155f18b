import t from 'tap'
import {
  explain,
  isOpen,
  nextChange,
  transitions,
  type Closure,
  type HolidayCalendar,
  type OpeningRule,
  type Schedule,
} from '../../src/core/schedule/index.js'

const Z = (s: string) => Date.parse(s)
const SE = 'Europe/Stockholm'
const weekdays: OpeningRule = {
  id: 'wd',
  kind: 'open',
  rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  start: '08:00',
  durationMinutes: 540,
  label: 'Weekdays',
}
const sched = (rules: OpeningRule[], extra: Partial<Schedule> = {}): Schedule => ({
  timeZone: SE,
  rules,
  calendarIds: [],
  ...extra,
})
const sweden: HolidayCalendar = { id: 'se', name: 'Svenska helgdagar', customDates: [] }
const open = (s: Schedule, at: number, cals: HolidayCalendar[] = [], cl: Closure[] = []) =>
  isOpen(s, cals, cl, 'q1', at)
const why = (s: Schedule, at: number, cals: HolidayCalendar[] = [], cl: Closure[] = []) =>
  explain(s, cals, cl, 'q1', at)

t.test('weekdays 08–17 in Stockholm on ordinary days', async (t) => {
  const s = sched([weekdays])
  // Wednesday 2026-11-18, CET (UTC+1)
  t.equal(open(s, Z('2026-11-18T06:59:59Z')), false, '07:59:59 closed')
  t.equal(open(s, Z('2026-11-18T07:00:00Z')), true, '08:00 open')
  t.equal(open(s, Z('2026-11-18T15:59:59Z')), true, '16:59:59 open')
  t.equal(open(s, Z('2026-11-18T16:00:00Z')), false, '17:00 closed')
  t.equal(open(s, Z('2026-11-21T10:00:00Z')), false, 'Saturday closed')
  t.equal(open(s, Z('2026-11-22T10:00:00Z')), false, 'Sunday closed')
  // Summer (CEST, UTC+2)
  t.equal(open(s, Z('2026-06-10T05:59:00Z')), false, '07:59 CEST closed')
  t.equal(open(s, Z('2026-06-10T06:00:00Z')), true, '08:00 CEST open')
  t.equal(open(s, Z('2026-06-10T15:00:00Z')), false, '17:00 CEST closed')

  t.same(why(s, Z('2026-11-18T09:00:00Z')), {
    open: true,
    reason: 'open: rule "Weekdays" 08:00–17:00',
    decidedBy: { kind: 'rule', id: 'wd', name: 'Weekdays' },
    nextChange: Z('2026-11-18T16:00:00Z'),
    openUntil: Z('2026-11-18T16:00:00Z'),
  })
  const fri = why(s, Z('2026-11-20T16:30:00Z'))
  t.same(fri, {
    open: false,
    reason: 'closed: outside opening hours',
    decidedBy: { kind: 'default' },
    nextChange: Z('2026-11-23T07:00:00Z'),
  })
  t.equal(
    nextChange(s, [], [], 'q1', Z('2026-11-20T16:30:00Z')),
    Z('2026-11-23T07:00:00Z'),
    'Friday evening → Monday 08:00',
  )
  t.equal(
    why({ ...s, rules: [{ ...weekdays, label: undefined }] }, Z('2026-11-18T09:00:00Z')).decidedBy.name,
    'wd',
    'id when no label',
  )
})

t.test('DST change days: 08:00 local is 06:00Z in spring and 07:00Z in autumn', async (t) => {
  const daily: OpeningRule = { id: 'd', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 540 }
  const s = sched([daily])
  t.equal(open(s, Z('2026-03-29T05:59:59Z')), false)
  t.equal(open(s, Z('2026-03-29T06:00:00Z')), true, 'spring-forward day opens 06:00Z')
  t.equal(open(s, Z('2026-03-29T14:59:59Z')), true)
  t.equal(open(s, Z('2026-03-29T15:00:00Z')), false, 'closes 17:00 CEST = 15:00Z')
  t.equal(open(s, Z('2026-10-25T06:59:59Z')), false)
  t.equal(open(s, Z('2026-10-25T07:00:00Z')), true, 'fall-back day opens 07:00Z')
  t.equal(open(s, Z('2026-10-25T16:00:00Z')), false, 'closes 17:00 CET = 16:00Z')
  const ts = transitions(s, [], [], 'q1', Z('2026-03-28T00:00:00Z'), Z('2026-03-31T00:00:00Z'))
  t.same(
    ts.map((x) => [new Date(x.at).toISOString(), x.open]),
    [
      ['2026-03-28T07:00:00.000Z', true],
      ['2026-03-28T16:00:00.000Z', false],
      ['2026-03-29T06:00:00.000Z', true],
      ['2026-03-29T15:00:00.000Z', false],
      ['2026-03-30T06:00:00.000Z', true],
      ['2026-03-30T15:00:00.000Z', false],
    ],
  )
  const autumn = transitions(s, [], [], 'q1', Z('2026-10-24T00:00:00Z'), Z('2026-10-26T00:00:00Z'))
  t.same(
    autumn.map((x) => x.at),
    [Z('2026-10-24T06:00:00Z'), Z('2026-10-24T15:00:00Z'), Z('2026-10-25T07:00:00Z'), Z('2026-10-25T16:00:00Z')],
  )
  t.equal(why(s, Z('2026-03-29T10:00:00Z')).reason, 'open: rule "d" 08:00–17:00', 'reason in local wall time')
})

t.test('an opening spanning 02:00–03:00 on DST nights (wall-clock semantics)', async (t) => {
  const night: OpeningRule = {
    id: 'n',
    kind: 'open',
    rrule: 'FREQ=DAILY',
    start: '02:00',
    durationMinutes: 60,
    label: 'Night',
  }
  const s = sched([night])
  // ordinary night before: 02:00–03:00 CET = 01:00Z–02:00Z
  t.equal(open(s, Z('2026-03-28T01:30:00Z')), true)
  // spring-forward night: 02:00–03:00 local does not exist, so there is no opening at all
  for (const x of [
    '2026-03-29T00:30:00Z',
    '2026-03-29T00:59:59Z',
    '2026-03-29T01:00:00Z',
    '2026-03-29T01:30:00Z',
    '2026-03-29T02:00:00Z',
  ]) {
    t.equal(open(s, Z(x)), false, `closed at ${x}`)
  }
  t.same(
    transitions(s, [], [], 'q1', Z('2026-03-28T12:00:00Z'), Z('2026-03-29T12:00:00Z')),
    [],
    'no transitions that night',
  )
  // the night after: 02:00–03:00 CEST = 00:00Z–01:00Z
  t.same(
    transitions(s, [], [], 'q1', Z('2026-03-29T12:00:00Z'), Z('2026-03-30T12:00:00Z')).map((x) => x.at),
    [Z('2026-03-30T00:00:00Z'), Z('2026-03-30T01:00:00Z')],
  )
  // fall-back night: 02:00 (first, CEST) to 03:00 (CET): two real hours, 00:00Z–02:00Z
  t.same(
    transitions(s, [], [], 'q1', Z('2026-10-24T12:00:00Z'), Z('2026-10-25T12:00:00Z')).map((x) => [x.at, x.open]),
    [
      [Z('2026-10-25T00:00:00Z'), true],
      [Z('2026-10-25T02:00:00Z'), false],
    ],
  )
  t.equal(open(s, Z('2026-10-25T01:30:00Z')), true, 'open during the repeated hour')
  // 01:30 + 60 on the spring night: 01:30 CET → 02:30 (nonexistent → 03:30 CEST)
  const s2 = sched([{ ...night, start: '01:30' }])
  t.same(
    transitions(s2, [], [], 'q1', Z('2026-03-28T12:00:00Z'), Z('2026-03-29T12:00:00Z')).map((x) => x.at),
    [Z('2026-03-29T00:30:00Z'), Z('2026-03-29T01:30:00Z')],
  )
})

t.test('overnight openings: 22:00 + 600 minutes', async (t) => {
  const night: OpeningRule = {
    id: 'night',
    kind: 'open',
    rrule: 'FREQ=WEEKLY;BYDAY=FR',
    start: '22:00',
    durationMinutes: 600,
    label: 'Friday night',
  }
  const s = sched([night])
  t.equal(open(s, Z('2026-11-20T20:59:00Z')), false, 'Fri 21:59 closed')
  t.equal(open(s, Z('2026-11-20T21:00:00Z')), true, 'Fri 22:00 open')
  t.equal(open(s, Z('2026-11-21T01:00:00Z')), true, 'Sat 02:00 open (occurrence began Friday)')
  t.equal(open(s, Z('2026-11-21T06:59:00Z')), true, 'Sat 07:59 open')
  t.equal(open(s, Z('2026-11-21T07:00:00Z')), false, 'Sat 08:00 closed')
  t.equal(open(s, Z('2026-11-21T21:30:00Z')), false, 'Sat 22:30 closed (Fridays only)')
  const e = why(s, Z('2026-11-21T01:00:00Z'))
  t.equal(e.reason, 'open: rule "Friday night" 22:00–08:00')
  t.equal(e.openUntil, Z('2026-11-21T07:00:00Z'))
  // across the spring-forward night: 22:00 CET Fri 27 Mar → 08:00 CEST Sat 28? (no: 2026-03-27 is a Friday, DST is Sun 29)
  const daily = sched([{ ...night, rrule: 'FREQ=DAILY' }])
  t.same(
    transitions(daily, [], [], 'q1', Z('2026-03-28T12:00:00Z'), Z('2026-03-29T12:00:00Z')).map((x) => x.at),
    [Z('2026-03-28T21:00:00Z'), Z('2026-03-29T06:00:00Z')],
    'Sat 22:00 CET → Sun 08:00 CEST: 9 real hours',
  )
  t.equal(open(daily, Z('2026-03-29T01:30:00Z')), true, 'open through the DST jump')
  // daily overnight openings that touch: 22:00+1440 every day is open all the time
  const allDay = sched([{ ...night, rrule: 'FREQ=DAILY', durationMinutes: 1440 }])
  t.same(
    transitions(allDay, [], [], 'q1', Z('2026-03-01T12:00:00Z'), Z('2026-04-01T12:00:00Z')),
    [],
    'back-to-back occurrences never flip',
  )
  t.equal(open(allDay, Z('2026-03-29T01:30:00Z')), true)
})

t.test('leap years', async (t) => {
  const feb29: OpeningRule = {
    id: 'leap',
    kind: 'open',
    rrule: 'FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29',
    start: '10:00',
    durationMinutes: 60,
  }
  const s = sched([feb29])
  t.same(transitions(s, [], [], 'q1', Z('2027-01-01T00:00:00Z'), Z('2028-01-01T00:00:00Z')), [], 'no Feb 29 in 2027')
  t.same(
    transitions(s, [], [], 'q1', Z('2028-01-01T00:00:00Z'), Z('2029-01-01T00:00:00Z')).map((x) => x.at),
    [Z('2028-02-29T09:00:00Z'), Z('2028-02-29T10:00:00Z')],
  )
  t.equal(open(s, Z('2028-02-29T09:30:00Z')), true)
  t.equal(open(s, Z('2027-03-01T09:30:00Z')), false, 'not moved to 1 March')
  t.equal(nextChange(s, [], [], 'q1', Z('2026-06-01T00:00:00Z')), undefined, 'beyond the 400-day horizon')
  t.equal(nextChange(s, [], [], 'q1', Z('2027-06-01T00:00:00Z')), Z('2028-02-29T09:00:00Z'))

  const lastDay: OpeningRule = {
    id: 'last',
    kind: 'open',
    rrule: 'FREQ=MONTHLY;BYMONTHDAY=-1',
    start: '09:00',
    durationMinutes: 120,
  }
  const m = sched([lastDay])
  const feb2028 = transitions(m, [], [], 'q1', Z('2028-02-01T00:00:00Z'), Z('2028-03-01T00:00:00Z'))
  t.same(
    feb2028.map((x) => x.at),
    [Z('2028-02-29T08:00:00Z'), Z('2028-02-29T10:00:00Z')],
    'last day of Feb 2028 is the 29th',
  )
  const feb2027 = transitions(m, [], [], 'q1', Z('2027-02-01T00:00:00Z'), Z('2027-03-01T00:00:00Z'))
  t.same(
    feb2027.map((x) => x.at),
    [Z('2027-02-28T08:00:00Z'), Z('2027-02-28T10:00:00Z')],
    'and the 28th in 2027',
  )
  const year = transitions(m, [], [], 'q1', Z('2028-01-01T00:00:00Z'), Z('2029-01-01T00:00:00Z'))
  t.equal(year.length, 24, 'twelve openings in 2028')
})

t.test('rules bounded by from/until, INTERVAL anchored at from, COUNT', async (t) => {
  const bounded = sched([{ ...weekdays, from: '2026-11-18', until: '2026-11-19' }])
  t.equal(open(bounded, Z('2026-11-17T09:00:00Z')), false, 'before from')
  t.equal(open(bounded, Z('2026-11-18T09:00:00Z')), true)
  t.equal(open(bounded, Z('2026-11-19T09:00:00Z')), true, 'until is inclusive')
  t.equal(open(bounded, Z('2026-11-20T09:00:00Z')), false, 'after until')
  const biweekly = sched([
    {
      id: 'b',
      kind: 'open',
      rrule: 'FREQ=WEEKLY;INTERVAL=2;BYDAY=MO',
      start: '08:00',
      durationMinutes: 60,
      from: '2026-11-02',
    },
  ])
  t.equal(open(biweekly, Z('2026-11-02T07:30:00Z')), true, 'first Monday')
  t.equal(open(biweekly, Z('2026-11-09T07:30:00Z')), false, 'skipped Monday')
  t.equal(open(biweekly, Z('2026-11-16T07:30:00Z')), true, 'third Monday')
  const counted = sched([
    { id: 'c', kind: 'open', rrule: 'FREQ=DAILY;COUNT=3', start: '08:00', durationMinutes: 60, from: '2026-11-02' },
  ])
  t.equal(transitions(counted, [], [], 'q1', Z('2026-11-01T00:00:00Z'), Z('2026-12-01T00:00:00Z')).length, 6)
  const lastFriday = sched([
    { id: 'lf', kind: 'open', rrule: 'FREQ=MONTHLY;BYDAY=-1FR', start: '08:00', durationMinutes: 60 },
  ])
  t.equal(open(lastFriday, Z('2026-11-27T07:30:00Z')), true, 'last Friday of November 2026')
  t.equal(open(lastFriday, Z('2026-11-20T07:30:00Z')), false)
})

t.test('Swedish holidays close the regular hours', async (t) => {
  const s = sched([weekdays], { calendarIds: ['se'] })
  const cals = [sweden]
  const at10 = (date: string) => Z(`${date}T09:00:00Z`) // 10:00 CET
  t.equal(open(s, at10('2026-12-23'), cals), true, 'lillejulafton is an ordinary day')
  t.equal(open(s, at10('2026-12-24'), cals), false, 'julafton closed')
  t.same(
    why(s, at10('2026-12-24'), cals),
    {
      open: false,
      reason: 'closed: holiday Julafton (bank)',
      decidedBy: { kind: 'holiday', id: 'se', name: 'Julafton' },
      nextChange: Z('2026-12-28T07:00:00Z'),
    },
    'julafton, juldagen, the weekend: open again Monday 28th',
  )
  t.equal(why(s, at10('2026-12-25'), cals).reason, 'closed: holiday Juldagen (public)')
  t.equal(open(s, Z('2026-06-19T08:00:00Z'), cals), false, 'midsommarafton 2026-06-19 closed')
  t.equal(why(s, Z('2026-06-19T08:00:00Z'), cals).reason, 'closed: holiday Midsommarafton (bank)')
  t.equal(open(s, at10('2026-12-31'), cals), false, 'nyårsafton closed')
  t.equal(open(s, at10('2026-01-06'), cals), false, 'trettondedag jul closed')
  t.equal(open(s, Z('2026-04-03T08:00:00Z'), cals), false, 'långfredagen closed')
  t.equal(open(s, Z('2026-04-06T08:00:00Z'), cals), false, 'annandag påsk closed')
  t.equal(open(s, Z('2026-05-14T08:00:00Z'), cals), false, 'Kristi himmelsfärd closed')
  t.equal(open(s, Z('2026-05-25T08:00:00Z'), cals), true, 'annandag pingst is not a holiday (observance)')
  t.equal(open(s, Z('2026-04-30T11:00:00Z'), cals), true, 'valborgsmässoafton afternoon open by default (optional)')
  t.equal(open(s, at10('2026-12-24'), []), true, 'no calendar given: julafton open')
  t.equal(
    open({ ...s, calendarIds: ['se', 'missing'] }, at10('2026-12-24'), cals),
    false,
    'unknown calendar ids are ignored',
  )
})

t.test('custom dates and closedTypes', async (t) => {
  const s = sched([weekdays], { calendarIds: ['se'] })
  const withCustom: HolidayCalendar = {
    ...sweden,
    customDates: [
      { date: '2026-11-18', name: 'Kick-off', closed: true },
      { date: '2026-11-19', name: 'Half day', closed: true, start: '12:00' },
      { date: '2026-12-24', name: 'Julafton open', closed: false },
      { date: '2026-12-31', name: 'Nyårsafton morning', closed: false, start: '08:00', end: '12:00' },
    ],
  }
  const cals = [withCustom]
  t.equal(open(s, Z('2026-11-18T09:00:00Z'), cals), false, 'custom closed date')
  t.same(why(s, Z('2026-11-18T09:00:00Z'), cals).decidedBy, { kind: 'holiday', id: 'se', name: 'Kick-off' })
  t.equal(why(s, Z('2026-11-18T09:00:00Z'), cals).reason, 'closed: holiday Kick-off (custom)')
  t.equal(open(s, Z('2026-11-19T10:59:00Z'), cals), true, 'half day: open 11:59')
  t.equal(open(s, Z('2026-11-19T11:00:00Z'), cals), false, 'half day: closed from 12:00')
  t.equal(open(s, Z('2026-12-24T09:00:00Z'), cals), true, 'julafton forced open: the weekday rule decides')
  t.equal(why(s, Z('2026-12-24T09:00:00Z'), cals).reason, 'open: rule "Weekdays" 08:00–17:00')
  t.equal(open(s, Z('2026-12-24T17:00:00Z'), cals), false, 'forced open, still outside the rule at 18:00')
  t.equal(open(s, Z('2026-12-31T10:00:00Z'), cals), true, 'nyårsafton forced open 08–12: 11:00 open')
  t.equal(open(s, Z('2026-12-31T11:00:00Z'), cals), false, 'nyårsafton after 12:00 closed by the holiday')
  t.equal(why(s, Z('2026-12-31T11:00:00Z'), cals).reason, 'closed: holiday Nyårsafton (bank)')
  t.equal(open(s, Z('2026-12-25T09:00:00Z'), cals), false, 'juldagen untouched')

  // a force-open date in a customer's own calendar cancels the shared Swedish calendar's holiday
  const customer: HolidayCalendar = {
    id: 'acme',
    name: 'Acme',
    customDates: [{ date: '2026-12-24', name: 'Open', closed: false }],
  }
  const both = { ...s, calendarIds: ['se', 'acme'] }
  t.equal(open(both, Z('2026-12-24T09:00:00Z'), [sweden, customer]), true)

  const publicOnly: HolidayCalendar = { ...sweden, closedTypes: ['public'] }
  t.equal(open(s, Z('2026-12-24T09:00:00Z'), [publicOnly]), true, "closedTypes ['public']: julafton open")
  t.equal(open(s, Z('2026-12-25T09:00:00Z'), [publicOnly]), false, 'juldagen still closed')
  const withOptional: HolidayCalendar = { ...sweden, closedTypes: ['public', 'bank', 'optional'] }
  t.equal(open(s, Z('2026-04-30T09:00:00Z'), [withOptional]), true, 'valborgsmässoafton 11:00 open')
  t.equal(open(s, Z('2026-04-30T10:00:00Z'), [withOptional]), false, 'valborgsmässoafton closed from 12:00')
  t.equal(why(s, Z('2026-04-30T10:00:00Z'), [withOptional]).reason, 'closed: holiday Valborgsmässoafton (optional)')
})

t.test('other countries', async (t) => {
  const us: HolidayCalendar = { id: 'us', name: 'US', country: 'US', customDates: [] }
  const s: Schedule = { timeZone: 'America/New_York', rules: [weekdays], calendarIds: ['us'] }
  t.equal(isOpen(s, [us], [], 'q1', Z('2026-11-25T15:00:00Z')), true, 'Wednesday 10:00 EST open')
  t.equal(isOpen(s, [us], [], 'q1', Z('2026-11-26T15:00:00Z')), false, 'Thanksgiving closed')
  t.match(explain(s, [us], [], 'q1', Z('2026-11-26T15:00:00Z')).reason, /^closed: holiday Thanksgiving Day \(public\)$/)
  t.equal(isOpen(s, [us], [], 'q1', Z('2026-12-24T15:00:00Z')), true, 'no julafton in the US')
})

t.test('exception closings and special openings', async (t) => {
  const training: OpeningRule = {
    id: 'tr',
    kind: 'closed',
    rrule: 'FREQ=MONTHLY;BYDAY=1MO',
    start: '12:00',
    durationMinutes: 120,
    label: 'Staff training',
  }
  const s = sched([weekdays, training], { calendarIds: ['se'] })
  t.equal(open(s, Z('2026-12-07T10:00:00Z'), [sweden]), true, 'first Monday 11:00 open')
  t.equal(open(s, Z('2026-12-07T12:00:00Z'), [sweden]), false, 'first Monday 13:00 closed')
  t.same(why(s, Z('2026-12-07T12:00:00Z'), [sweden]), {
    open: false,
    reason: 'closed: exception "Staff training" 12:00–14:00',
    decidedBy: { kind: 'exception', id: 'tr', name: 'Staff training' },
    nextChange: Z('2026-12-07T13:00:00Z'),
  })
  t.equal(open(s, Z('2026-12-14T12:00:00Z'), [sweden]), true, 'second Monday open')

  // a special opening on a holiday: julafton 09:00–12:00
  const xmasEve: OpeningRule = {
    id: 'xe',
    kind: 'special',
    rrule: 'FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24',
    start: '09:00',
    durationMinutes: 180,
    label: 'Julafton morning',
  }
  // the Sunday before Christmas 10:00–14:00
  const sunday: OpeningRule = {
    id: 'sun',
    kind: 'special',
    rrule: 'FREQ=DAILY',
    start: '10:00',
    durationMinutes: 240,
    from: '2026-12-20',
    until: '2026-12-20',
    label: 'Christmas Sunday',
  }
  // a special opening inside the exception closing
  const training2: OpeningRule = {
    id: 'tr2',
    kind: 'special',
    rrule: 'FREQ=DAILY',
    start: '13:00',
    durationMinutes: 30,
    from: '2026-12-07',
    until: '2026-12-07',
    label: 'Demo',
  }
  const s2 = sched([weekdays, training, xmasEve, sunday, training2], { calendarIds: ['se'] })
  const cals = [sweden]
  t.equal(open(s2, Z('2026-12-24T07:59:00Z'), cals), false, 'julafton 08:59 closed (holiday)')
  t.equal(open(s2, Z('2026-12-24T08:00:00Z'), cals), true, 'julafton 09:00 open (special wins over the holiday)')
  t.same(why(s2, Z('2026-12-24T09:00:00Z'), cals), {
    open: true,
    reason: 'open: special opening "Julafton morning" 09:00–12:00',
    decidedBy: { kind: 'exception', id: 'xe', name: 'Julafton morning' },
    nextChange: Z('2026-12-24T11:00:00Z'),
    openUntil: Z('2026-12-24T11:00:00Z'),
  })
  t.equal(
    why(s2, Z('2026-12-24T11:00:00Z'), cals).reason,
    'closed: holiday Julafton (bank)',
    'after the special opening the holiday closes',
  )
  t.equal(open(s2, Z('2026-12-20T09:30:00Z'), cals), true, 'Sunday before Christmas open')
  t.equal(open(s2, Z('2026-12-27T09:30:00Z'), cals), false, 'the Sunday after is not')
  t.equal(open(s2, Z('2026-12-07T12:15:00Z'), cals), true, 'special beats the exception closing')
  t.equal(open(s2, Z('2026-12-07T12:45:00Z'), cals), false, 'then the exception closing again')
  // a special opening on a public holiday that is also a Sunday-like day with no rule: juldagen
  const juldagen = sched(
    [{ ...sunday, id: 'jd', from: '2026-12-25', until: '2026-12-25', label: 'Juldagen hotline' }],
    { calendarIds: ['se'] },
  )
  t.equal(open(juldagen, Z('2026-12-25T10:00:00Z'), cals), true)
})

t.test('precedence: closure > special > holiday > exception closing > regular > default', async (t) => {
  // all on Thursday 2026-12-24 at 10:00 local (09:00Z)
  const at = Z('2026-12-24T09:00:00Z')
  const base = {
    rrule: 'FREQ=DAILY',
    from: '2026-12-24',
    until: '2026-12-24',
    start: '08:00',
    durationMinutes: 240,
  } as const
  const regular: OpeningRule = { ...base, id: 'r', kind: 'open', label: 'Regular' }
  const closing: OpeningRule = { ...base, id: 'c', kind: 'closed', label: 'Closing' }
  const special: OpeningRule = { ...base, id: 's', kind: 'special', label: 'Special' }
  const closure: Closure = {
    id: 'k',
    queueIds: ['q1'],
    from: at - 3_600_000,
    until: at + 3_600_000,
    reason: 'Fire drill',
    by: 'anna',
    createdAt: at - 7_200_000,
  }
  const cals = [sweden]
  const kindOf = (rules: OpeningRule[], calendarIds: string[], closures: Closure[] = [], alwaysOpen = false) => {
    const e = why(sched(rules, { calendarIds, alwaysOpen }), at, cals, closures)
    return [e.open, e.decidedBy.kind, e.decidedBy.id]
  }
  t.same(kindOf([regular, closing, special], ['se'], [closure]), [false, 'closure', 'k'])
  t.same(kindOf([regular, closing, special], ['se']), [true, 'exception', 's'])
  t.same(kindOf([regular, closing], ['se']), [false, 'holiday', 'se'])
  t.same(kindOf([regular, closing], []), [false, 'exception', 'c'])
  t.same(kindOf([regular], []), [true, 'rule', 'r'])
  t.same(kindOf([], []), [false, 'default', undefined])
  t.same(kindOf([], [], [], true), [true, 'default', undefined])
  t.same(kindOf([], ['se'], [], true), [false, 'holiday', 'se'], 'alwaysOpen still closes on holidays')
  t.same(kindOf([closing], [], [], true), [false, 'exception', 'c'], 'alwaysOpen still honours exception closings')
  // priority chooses the named rule among rules of the same kind
  const other: OpeningRule = { ...regular, id: 'r2', label: 'Other', priority: 5 }
  t.same(kindOf([regular, other], []), [true, 'rule', 'r2'])
})

t.test('always open and never open', async (t) => {
  const always = sched([], { alwaysOpen: true })
  const e = why(always, Z('2026-11-18T09:00:00Z'))
  t.same(e, { open: true, reason: 'open: always open', decidedBy: { kind: 'default' } }, 'no next change')
  const never = sched([])
  t.same(why(never, Z('2026-11-18T09:00:00Z')), {
    open: false,
    reason: 'closed: no opening hours',
    decidedBy: { kind: 'default' },
  })
  const alwaysSe = sched([], { alwaysOpen: true, calendarIds: ['se'] })
  t.equal(
    why(alwaysSe, Z('2026-12-23T12:00:00Z'), [sweden]).nextChange,
    Z('2026-12-23T23:00:00Z'),
    'closes at midnight before julafton',
  )
})

t.test('a changed calendar (new object) is picked up; the same schedule object keeps its cache', async (t) => {
  const s = sched([weekdays], { calendarIds: ['se'] })
  const at = Z('2026-11-18T09:00:00Z')
  t.equal(open(s, at, [sweden]), true)
  const changed: HolidayCalendar = { ...sweden, customDates: [{ date: '2026-11-18', name: 'Closed', closed: true }] }
  t.equal(open(s, at, [changed]), false)
  t.equal(open(s, at, [sweden]), true)
})
