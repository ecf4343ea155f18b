import t from 'tap'
import {
  explain,
  formatLocalTime,
  isOpen,
  nextChange,
  stateAt,
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
const sweden: HolidayCalendar = { id: 'se', name: 'Svenska helgdagar', customDates: [] }
const YEAR_FROM = Z('2025-12-31T23:00:00Z') // 2026-01-01 00:00 local
const YEAR_TO = Z('2026-12-31T23:00:00Z') // 2027-01-01 00:00 local

/** Swedish public and bank holidays of 2026 that fall on Monday–Friday (from the almanac). */
const WEEKDAY_HOLIDAYS_2026 = [
  '2026-01-01',
  '2026-01-06',
  '2026-04-03',
  '2026-04-06',
  '2026-05-01',
  '2026-05-14',
  '2026-06-19',
  '2026-12-24',
  '2026-12-25',
  '2026-12-31',
]

t.test('a whole year of weekday 08–17 with Swedish holidays', async (t) => {
  const s: Schedule = { timeZone: SE, rules: [weekdays], calendarIds: ['se'] }
  const ts = transitions(s, [sweden], [], 'q', YEAR_FROM, YEAR_TO)
  // expected opening days, computed independently of the evaluator
  const expectedDays: string[] = []
  for (let d = Date.UTC(2026, 0, 1); d < Date.UTC(2027, 0, 1); d += 86_400_000) {
    const wd = new Date(d).getUTCDay()
    const date = new Date(d).toISOString().slice(0, 10)
    if (wd >= 1 && wd <= 5 && !WEEKDAY_HOLIDAYS_2026.includes(date)) expectedDays.push(date)
  }
  t.equal(expectedDays.length, 251)
  t.equal(ts.length, 2 * 251, '502 transitions')
  t.equal(new Set(ts.map((x) => x.at)).size, ts.length, 'no duplicate instants')
  let ordered = true
  let flips = true
  for (let i = 0; i < ts.length; i++) {
    if (i > 0 && !(ts[i].at > ts[i - 1].at)) ordered = false
    if (ts[i].open !== (i % 2 === 0)) flips = false // starts closed at midnight, so open, closed, open, ...
  }
  t.ok(ordered, 'strictly increasing')
  t.ok(flips, 'every transition flips the state')
  const opens = ts.filter((x) => x.open)
  t.same(
    opens.map((x) =>
      new Date(x.at + (x.at >= Z('2026-03-29T01:00:00Z') && x.at < Z('2026-10-25T01:00:00Z') ? 7_200_000 : 3_600_000))
        .toISOString()
        .slice(0, 10),
    ),
    expectedDays,
    'opens on exactly the expected days',
  )
  t.ok(
    opens.every((x) => formatLocalTime(x.at, SE) === '08:00'),
    'every opening at 08:00 local',
  )
  t.ok(
    ts.filter((x) => !x.open).every((x) => formatLocalTime(x.at, SE) === '17:00'),
    'every closing at 17:00 local',
  )
  t.ok(opens.every((x) => x.reason === 'open: rule "Weekdays" 08:00–17:00'))
  t.ok(ts.filter((x) => !x.open).every((x) => x.reason === 'closed: outside opening hours'))
  // a transition window boundary does not duplicate or lose anything: split the year in two
  const mid = Z('2026-07-01T10:00:00Z') // during opening hours
  const a = transitions(s, [sweden], [], 'q', YEAR_FROM, mid)
  const b = transitions(s, [sweden], [], 'q', mid, YEAR_TO)
  t.same([...a, ...b], ts, 'split windows give the same list')
})

// A busy schedule exercising every level at once.
const rules: OpeningRule[] = [
  weekdays,
  {
    id: 'sat',
    kind: 'open',
    rrule: 'FREQ=WEEKLY;BYDAY=SA',
    start: '22:00',
    durationMinutes: 600,
    label: 'Saturday night',
  },
  {
    id: 'tr',
    kind: 'closed',
    rrule: 'FREQ=MONTHLY;BYDAY=1MO',
    start: '12:00',
    durationMinutes: 120,
    label: 'Training',
  },
  {
    id: 'xe',
    kind: 'special',
    rrule: 'FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24',
    start: '09:00',
    durationMinutes: 180,
    label: 'Julafton',
  },
  {
    id: 'lf',
    kind: 'open',
    rrule: 'FREQ=MONTHLY;BYDAY=-1FR',
    start: '16:30',
    durationMinutes: 90,
    label: 'Late Friday',
  },
  {
    id: 'dst',
    kind: 'open',
    rrule: 'FREQ=DAILY',
    start: '02:00',
    durationMinutes: 30,
    from: '2026-03-27',
    until: '2026-03-30',
    label: 'Night test',
  },
]
const calendar: HolidayCalendar = {
  ...sweden,
  customDates: [
    { date: '2026-11-18', name: 'Kick-off', closed: true, start: '13:00' },
    { date: '2026-05-01', name: 'Open anyway', closed: false, start: '10:00', end: '12:00' },
  ],
}
const closures: Closure[] = [
  {
    id: 'k1',
    queueIds: ['q'],
    from: Z('2026-02-10T10:00:00Z'),
    until: Z('2026-02-12T09:00:00Z'),
    reason: 'Move',
    by: 'anna',
    createdAt: 0,
  },
  {
    id: 'k2',
    queueIds: ['q'],
    from: Z('2026-02-11T10:00:00Z'),
    reopenedAt: Z('2026-02-13T10:17:00Z'),
    reason: 'Outage',
    by: 'bo',
    createdAt: 1,
  },
  { id: 'k3', queueIds: ['other'], from: Z('2026-06-01T00:00:00Z'), reason: 'Other queue', by: 'cia', createdAt: 2 },
]
const busy: Schedule = { timeZone: SE, rules, calendarIds: ['se'] }

t.test('isOpen agrees with transitions at every 10 minutes of a year, and around every transition', async (t) => {
  const ts = transitions(busy, [calendar], closures, 'q', YEAR_FROM, YEAR_TO)
  t.ok(ts.length > 500, `${ts.length} transitions`)
  t.equal(new Set(ts.map((x) => x.at)).size, ts.length, 'no duplicates')
  t.ok(
    ts.every((x, i) => i === 0 || x.open !== ts[i - 1].open),
    'every transition flips the state',
  )
  const initial = isOpen(busy, [calendar], closures, 'q', YEAR_FROM)
  t.equal(ts[0].open, !initial, 'the first flips the initial state')
  let i = 0
  let state = initial
  let mismatches = 0
  for (let x = YEAR_FROM + 1; x < YEAR_TO; x += 10 * 60_000) {
    while (i < ts.length && ts[i].at <= x) state = ts[i++].open
    if (isOpen(busy, [calendar], closures, 'q', x) !== state) mismatches++
  }
  t.equal(mismatches, 0, 'sampled every 10 minutes')
  let edge = 0
  for (const [k, x] of ts.entries()) {
    if (isOpen(busy, [calendar], closures, 'q', x.at) !== x.open) edge++
    const before = k === 0 ? initial : ts[k - 1].open
    if (isOpen(busy, [calendar], closures, 'q', x.at - 1) !== before) edge++
  }
  t.equal(edge, 0, 'at and 1 ms before every transition')
  // explain agrees too, with the next transition as nextChange (sample every 7 hours)
  let j = 0
  let bad = 0
  for (let x = YEAR_FROM; x < Z('2026-12-01T00:00:00Z'); x += 7 * 3_600_000) {
    while (j < ts.length && ts[j].at <= x) j++
    const e = explain(busy, [calendar], closures, 'q', x)
    if (e.open !== isOpen(busy, [calendar], closures, 'q', x) || e.nextChange !== ts[j]?.at) bad++
    if (e.open && e.openUntil !== e.nextChange) bad++
    if (!e.open && e.openUntil !== undefined) bad++
    if (!e.reason.startsWith(e.open ? 'open: ' : 'closed: ')) bad++
    const st = stateAt(busy, [calendar], closures, 'q', x)
    if (st.open !== e.open || st.reason !== e.reason || st.decidedBy.kind !== e.decidedBy.kind) bad++
  }
  t.equal(bad, 0, 'explain and stateAt agree with isOpen and transitions')
})

t.test('the busy schedule on its special days', async (t) => {
  const why = (iso: string) => explain(busy, [calendar], closures, 'q', Z(iso)).reason
  t.equal(why('2026-02-11T12:00:00Z'), 'closed: temporary closure "Outage" by bo until 2026-02-13 11:17')
  t.equal(why('2026-02-13T10:00:00Z'), 'closed: temporary closure "Outage" by bo until 11:17')
  t.equal(why('2026-02-13T10:17:00Z'), 'open: rule "Weekdays" 08:00–17:00')
  t.equal(why('2026-05-01T09:30:00Z'), 'open: rule "Weekdays" 08:00–17:00', 'first of May forced open 10–12')
  t.equal(why('2026-05-01T10:30:00Z'), 'closed: holiday Första maj (public)')
  t.equal(why('2026-11-18T12:30:00Z'), 'closed: holiday Kick-off (custom)')
  t.equal(why('2026-11-27T16:00:00Z'), 'open: rule "Late Friday" 16:30–18:00', 'last Friday of November')
  t.equal(why('2026-11-29T02:00:00Z'), 'open: rule "Saturday night" 22:00–08:00')
  t.equal(why('2026-12-24T09:00:00Z'), 'open: special opening "Julafton" 09:00–12:00')
  t.equal(why('2026-12-07T11:30:00Z'), 'closed: exception "Training" 12:00–14:00')
  t.equal(
    nextChange(busy, [calendar], closures, 'other', Z('2026-06-02T00:00:00Z')),
    undefined,
    'closed until reopened',
  )
})

t.test('transitions of an empty or reversed window', async (t) => {
  t.same(transitions(busy, [calendar], closures, 'q', YEAR_TO, YEAR_FROM), [])
  t.same(transitions(busy, [calendar], closures, 'q', YEAR_FROM, YEAR_FROM), [])
})
