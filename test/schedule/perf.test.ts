/**
 * Rough speed figures of the evaluator (printed as comments). The bounds are loose (100x the
 * figures measured on the development machine) so the test only catches a lost cache, not noise.
 */
import t from 'tap'
import {
  explain,
  isOpen,
  stateAt,
  transitions,
  type Closure,
  type HolidayCalendar,
  type Schedule,
} from '../../src/core/schedule/index.js'

const Z = (s: string) => Date.parse(s)
const schedule: Schedule = {
  timeZone: 'Europe/Stockholm',
  calendarIds: ['se'],
  rules: [
    { id: 'wd', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 540 },
    { id: 'tr', kind: 'closed', rrule: 'FREQ=MONTHLY;BYDAY=1MO', start: '12:00', durationMinutes: 120 },
    { id: 'xe', kind: 'special', rrule: 'FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=24', start: '09:00', durationMinutes: 180 },
  ],
}
const calendars: HolidayCalendar[] = [{ id: 'se', name: 'SE', customDates: [] }]
const closures: Closure[] = Array.from({ length: 20 }, (_, i) => ({
  id: `c${i}`,
  queueIds: [`other${i}`, 'q'].slice(i % 2),
  from: Z('2026-01-01T00:00:00Z') + i * 86_400_000,
  until: Z('2026-01-01T01:00:00Z') + i * 86_400_000,
  reason: 'r',
  by: 'x',
  createdAt: 0,
}))

function perCallMicros(n: number, fn: (i: number) => unknown): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) fn(i)
  return Number(process.hrtime.bigint() - start) / 1000 / n
}

t.test('isOpen and explain speed', async (t) => {
  const day = Z('2026-11-18T00:00:00Z')
  const yearStart = Z('2026-01-01T00:00:00Z')
  // warm up: day caches for the year
  transitions(schedule, calendars, closures, 'q', yearStart, yearStart + 365 * 86_400_000)
  // calls arriving every 3 seconds through a day (the daemon's pattern)
  const sequential = perCallMicros(28_800, (i) => isOpen(schedule, calendars, closures, 'q', day + i * 3000))
  // random instants across the year (segment cache misses, day cache hits)
  let seed = 42
  const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  const instants = Array.from({ length: 20_000 }, () => yearStart + Math.floor(rnd() * 365 * 86_400_000))
  const random = perCallMicros(instants.length, (i) => isOpen(schedule, calendars, closures, 'q', instants[i]))
  const explainUs = perCallMicros(2_000, (i) => explain(schedule, calendars, closures, 'q', instants[i]))
  const stateUs = perCallMicros(20_000, (i) => stateAt(schedule, calendars, closures, 'q', instants[i]))
  t.comment(`stateAt random instants (open + reason, no nextChange): ${stateUs.toFixed(2)} µs/call`)
  t.ok(stateUs < 500, 'stateAt well under 500 µs')
  t.comment(`isOpen sequential (20 closures): ${sequential.toFixed(2)} µs/call`)
  t.comment(`isOpen random instants in a year: ${random.toFixed(2)} µs/call`)
  t.comment(`explain (incl. nextChange): ${explainUs.toFixed(1)} µs/call`)
  t.ok(sequential < 100, 'sequential isOpen well under 100 µs')
  t.ok(random < 500, 'random isOpen well under 500 µs')
  t.ok(explainUs < 5000, 'explain under 5 ms')
})
