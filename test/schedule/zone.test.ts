import t from 'tap'
import {
  formatLocalDateTime,
  isValidTimeZone,
  offsetMinutesAt,
  utcToZonedTime,
  zonedTimeToUtc,
} from '../../src/core/schedule/index.js'

const Z = (s: string) => Date.parse(s)
const local = (y: number, mo: number, d: number, h: number, mi = 0) => Date.UTC(y, mo - 1, d, h, mi)
const SE = 'Europe/Stockholm'

t.test('offsets of Europe/Stockholm', async (t) => {
  t.equal(offsetMinutesAt(Z('2026-01-15T12:00:00Z'), SE), 60)
  t.equal(offsetMinutesAt(Z('2026-07-15T12:00:00Z'), SE), 120)
  // spring forward 2026-03-29 01:00Z, fall back 2026-10-25 01:00Z
  t.equal(offsetMinutesAt(Z('2026-03-29T00:59:59Z'), SE), 60)
  t.equal(offsetMinutesAt(Z('2026-03-29T01:00:00Z'), SE), 120)
  t.equal(offsetMinutesAt(Z('2026-10-25T00:59:59Z'), SE), 120)
  t.equal(offsetMinutesAt(Z('2026-10-25T01:00:00Z'), SE), 60)
  t.equal(offsetMinutesAt(Z('2026-10-25T01:00:00Z'), 'UTC'), 0)
  t.equal(offsetMinutesAt(Z('2026-01-15T12:00:00Z'), 'America/New_York'), -300)
  t.equal(offsetMinutesAt(Z('2026-01-15T12:00:00Z'), 'Asia/Kolkata'), 330)
})

t.test('zonedTimeToUtc on ordinary days and DST change days', async (t) => {
  t.equal(zonedTimeToUtc(local(2026, 1, 15, 8), SE), Z('2026-01-15T07:00:00Z'))
  t.equal(zonedTimeToUtc(new Date(local(2026, 7, 15, 8)), SE), Z('2026-07-15T06:00:00Z'), 'accepts a floating Date')
  t.equal(zonedTimeToUtc(local(2026, 3, 29, 8), SE), Z('2026-03-29T06:00:00Z'), '08:00 on spring-forward day')
  t.equal(zonedTimeToUtc(local(2026, 10, 25, 8), SE), Z('2026-10-25T07:00:00Z'), '08:00 on fall-back day')
  t.equal(zonedTimeToUtc(local(2026, 3, 29, 1, 59), SE), Z('2026-03-29T00:59:00Z'), 'just before the gap')
  t.equal(zonedTimeToUtc(local(2026, 3, 29, 3), SE), Z('2026-03-29T01:00:00Z'), 'just after the gap')
  t.equal(zonedTimeToUtc(local(2026, 3, 28, 23, 30), SE), Z('2026-03-28T22:30:00Z'))
  t.equal(zonedTimeToUtc(local(2026, 3, 30, 0, 30), SE), Z('2026-03-29T22:30:00Z'))
})

t.test('gap: a wall time that does not exist moves forward by the gap', async (t) => {
  t.equal(zonedTimeToUtc(local(2026, 3, 29, 2, 0), SE), Z('2026-03-29T01:00:00Z'), '02:00 → 03:00 CEST')
  t.equal(zonedTimeToUtc(local(2026, 3, 29, 2, 30), SE), Z('2026-03-29T01:30:00Z'), '02:30 → 03:30 CEST')
  t.equal(formatLocalDateTime(zonedTimeToUtc(local(2026, 3, 29, 2, 30), SE), SE), '2026-03-29 03:30')
  // New York springs forward at 02:00 local on 2026-03-08
  t.equal(
    zonedTimeToUtc(local(2026, 3, 8, 2, 30), 'America/New_York'),
    Z('2026-03-08T07:30:00Z'),
    '02:30 EST-offset → 03:30 EDT',
  )
})

t.test('overlap: an ambiguous wall time takes the earlier instant', async (t) => {
  t.equal(zonedTimeToUtc(local(2026, 10, 25, 2, 0), SE), Z('2026-10-25T00:00:00Z'), '02:00 CEST')
  t.equal(zonedTimeToUtc(local(2026, 10, 25, 2, 30), SE), Z('2026-10-25T00:30:00Z'), '02:30 CEST, not CET')
  t.equal(zonedTimeToUtc(local(2026, 10, 25, 3, 0), SE), Z('2026-10-25T02:00:00Z'), '03:00 CET is unique')
  t.equal(zonedTimeToUtc(local(2026, 11, 1, 1, 30), 'America/New_York'), Z('2026-11-01T05:30:00Z'), 'NY 01:30 EDT')
})

t.test('round trip over a year, every 15 minutes', async (t) => {
  let bad = 0
  for (let x = Z('2026-01-01T00:00:00Z'); x < Z('2027-01-01T00:00:00Z'); x += 15 * 60_000) {
    const back = zonedTimeToUtc(utcToZonedTime(x, SE), SE)
    // only the second pass of the fall-back hour maps to its earlier twin
    const inRepeatedHour = x >= Z('2026-10-25T01:00:00Z') && x < Z('2026-10-25T02:00:00Z')
    if (inRepeatedHour ? back !== x - 3_600_000 : back !== x) bad++
  }
  t.equal(bad, 0)
})

t.test('isValidTimeZone', async (t) => {
  t.ok(isValidTimeZone('Europe/Stockholm'))
  t.ok(isValidTimeZone('UTC'))
  t.notOk(isValidTimeZone('Europe/Stokholm'))
  t.notOk(isValidTimeZone(''))
  t.notOk(isValidTimeZone(42))
})
