/**
 * CLI times (docs/cli.md "Times and time zones"): shown in the queue's zone with the offset, typed without an offset
 * read in that zone, a bare HH:MM the next such time (close) or today's (explain, stats). None of it may depend on
 * the host's zone: the file runs again under TZ=UTC, America/New_York and Asia/Kolkata.
 */
import t from 'tap'
import { instant, offsetLabel, plural } from '../../src/cli/format.js'
import { parseTime } from '../../src/cli/time.js'
import { parseValue, settingValue, wholeNumber, withTypedName } from '../../src/cli/main.js'
import { alsoUnderZones, hostZone } from '../helpers/under-zones.js'

const STO = 'Europe/Stockholm'
const Z = (iso: string): number => Date.parse(iso)

t.test('instants: the zone with its offset, never the host zone', async (t) => {
  t.equal(instant(Z('2026-11-25T12:00:00Z'), STO), '2026-11-25 13:00:00 +01:00', 'winter')
  t.equal(instant(Z('2026-07-01T06:30:05Z'), STO), '2026-07-01 08:30:05 +02:00', 'summer time')
  t.equal(instant(Z('2026-11-25T12:00:00Z'), 'Asia/Kolkata'), '2026-11-25 17:30:00 +05:30', 'half-hour offset')
  t.equal(
    instant(Z('2026-11-25T03:00:00Z'), 'America/New_York'),
    '2026-11-24 22:00:00 -05:00',
    'negative offset, previous day',
  )
  t.equal(instant(Z('2026-11-25T12:00:00Z'), 'UTC'), '2026-11-25 12:00:00 +00:00')
  t.equal(
    instant(Z('2026-11-25T12:00:00Z')),
    '2026-11-25 13:00:00 +01:00',
    'no zone given: Europe/Stockholm, not the host zone ' + hostZone(),
  )
  t.equal(instant(null, STO), '-')
  t.equal(instant(undefined), '-')
  t.equal(offsetLabel(Z('2026-10-25T00:59:59Z'), STO), '+02:00', 'the last second of summer time')
  t.equal(offsetLabel(Z('2026-10-25T01:00:00Z'), STO), '+01:00', 'fall back at 01:00Z')
})

t.test('typed times without an offset are read in the given zone', async (t) => {
  const now = Z('2026-11-25T15:00:00Z') // 16:00 in Stockholm
  t.equal(parseTime('2026-11-25T13:00', { now, zone: STO }), Z('2026-11-25T12:00:00Z'))
  t.equal(parseTime('2026-11-25 13:00:30', { now, zone: STO }), Z('2026-11-25T12:00:30Z'), 'a space and seconds')
  t.equal(
    parseTime('2026-11-25', { now, zone: STO }),
    Z('2026-11-24T23:00:00Z'),
    'a date is the midnight starting it in the zone',
  )
  t.equal(parseTime('2026-11-25T13:00', { now, zone: 'America/New_York' }), Z('2026-11-25T18:00:00Z'))
  t.equal(parseTime('2026-11-25T13:00', { now, zone: 'Asia/Kolkata' }), Z('2026-11-25T07:30:00Z'))
  t.equal(parseTime('2026-11-25T13:00', { now }), Z('2026-11-25T12:00:00Z'), 'default zone Europe/Stockholm')
  t.equal(
    parseTime('2026-03-29T02:30', { now, zone: STO }),
    Z('2026-03-29T01:30:00Z'),
    'a wall time in the spring-forward gap moves forward',
  )
  t.equal(
    parseTime('2026-10-25T02:30', { now, zone: STO }),
    Z('2026-10-25T00:30:00Z'),
    'an ambiguous wall time is the earlier instant',
  )
})

t.test('an explicit offset wins; the CLI reads back what it prints', async (t) => {
  const now = Z('2026-11-25T15:00:00Z')
  t.equal(parseTime('2026-11-25T13:00:00+01:00', { now, zone: 'Asia/Kolkata' }), Z('2026-11-25T12:00:00Z'))
  t.equal(parseTime('2026-11-25T13:00Z', { now, zone: STO }), Z('2026-11-25T13:00:00Z'))
  t.equal(parseTime('2026-11-25T13:00:00-0500', { now, zone: STO }), Z('2026-11-25T18:00:00Z'))
  t.equal(parseTime('2026-11-25T13:00:00.250Z', { now }), Z('2026-11-25T13:00:00.250Z'))
  for (const zone of [STO, 'America/New_York', 'Asia/Kolkata', 'UTC']) {
    const at = Z('2026-07-14T09:41:07Z')
    t.equal(parseTime(instant(at, zone), { now, zone: 'UTC' }), at, `round trip of '${instant(at, zone)}'`)
  }
})

t.test("HH:MM: today's, or the next such time (close --from/--until)", async (t) => {
  const now = Z('2026-11-25T15:00:00Z') // 16:00 in Stockholm, 20:30 in Kolkata
  t.equal(
    parseTime('13:00', { now, zone: STO }),
    Z('2026-11-25T12:00:00Z'),
    'today: earlier today is fine (explain --at, stats)',
  )
  t.equal(parseTime('13:00', { now, zone: STO, dayTime: 'today' }), Z('2026-11-25T12:00:00Z'))
  t.equal(
    parseTime('13:00', { now, zone: STO, dayTime: 'next' }),
    Z('2026-11-26T12:00:00Z'),
    'after 15:00 --from 13:00 is tomorrow',
  )
  t.equal(
    parseTime('17:00', { now, zone: STO, dayTime: 'next' }),
    Z('2026-11-25T16:00:00Z'),
    'a time still to come is today',
  )
  const from = parseTime('13:00', { now, zone: STO, dayTime: 'next' })
  t.equal(
    parseTime('15:00', { now, zone: STO, dayTime: 'next', after: from }),
    Z('2026-11-26T14:00:00Z'),
    '--until 15:00 after --from 13:00 (tomorrow)',
  )
  const late = parseTime('23:00', { now, zone: STO, dayTime: 'next' })
  t.equal(
    parseTime('01:00', { now, zone: STO, dayTime: 'next', after: late }),
    Z('2026-11-26T00:00:00Z'),
    'an overnight window ends the next morning',
  )
  t.equal(
    parseTime('9:05', { now, zone: 'Asia/Kolkata', dayTime: 'next' }),
    Z('2026-11-26T03:35:00Z'),
    "the day is the zone's day, not UTC's",
  )
  t.equal(
    parseTime('16:00', { now, zone: STO, dayTime: 'next' }),
    Z('2026-11-26T15:00:00Z'),
    'exactly now is not "next"',
  )
  // the day before a DST change: the next 12:00 is 23 hours away
  t.equal(parseTime('12:00', { now: Z('2026-03-28T12:00:00Z'), zone: STO, dayTime: 'next' }), Z('2026-03-29T10:00:00Z'))
})

t.test('now, relative and epoch; bad input names the zone and the forms', async (t) => {
  const now = Z('2026-11-25T15:00:00Z')
  t.equal(parseTime('now', { now }), now)
  t.equal(parseTime('+30m', { now }), now + 1_800_000)
  t.equal(parseTime('+1d', now), now + 86_400_000, 'a plain number is still the reference instant')
  t.equal(parseTime('1764082800000', { now }), 1764082800000)
  for (const bad of ['soon', '25:00', '12:60', '2026-02-30', '2026-13-01T10:00', '2026-11-25T24:00', '']) {
    t.throws(
      () => parseTime(bad, { now, zone: STO }),
      { message: new RegExp(`cannot read the time '${bad.replace(/[+.]/g, '\\$&')}'.*Europe/Stockholm`) },
      `refused: '${bad}'`,
    )
  }
  t.throws(() => parseTime('13:00', { now, zone: 'Mars/Olympus' }), { message: /unknown time zone 'Mars\/Olympus'/ })
})

t.test('queue settings are read by their type; whole numbers; plurals', async (t) => {
  t.equal(settingValue('exitKey', '0'), '0', 'a text setting keeps "0" as text')
  t.equal(settingValue('welcomePrompt', 'true'), 'true', 'a prompt named true is text')
  t.equal(settingValue('ringTimeSec', '30'), 30)
  t.equal(settingValue('ringTimeSec', 'soon'), 'soon', 'a non-number is passed on for the API to refuse by name')
  t.equal(settingValue('announcePosition', 'false'), false)
  t.same(settingValue('closedAction', '{"type":"busy"}'), { type: 'busy' })
  t.equal(settingValue('exitAction', 'null'), null)
  t.equal(parseValue('0'), 0, 'other fields keep the JSON reading')
  t.equal(wholeNumber('--limit', '20'), 20)
  t.throws(() => wholeNumber('--limit', 'abc', 1, 1000), {
    message: "--limit: expected a whole number 1-1000, got 'abc'",
  })
  t.throws(() => wholeNumber('--limit', '0', 1, 1000), { message: /got '0'/ })
  t.throws(() => wholeNumber('--limit', '2.5'), { message: /got '2.5'/ })
  t.equal(plural(1, 'announcement'), '1 announcement')
  t.equal(plural(2, 'announcement'), '2 announcements')
  t.equal(plural(0, 'queue'), '0 queues')
  t.equal(
    withTypedName("agent 'a_4cbie34b' is not a member of queue 'q_x1'", 'a_4cbie34b', '1001'),
    "agent 1001 is not a member of queue 'q_x1'",
  )
  t.equal(
    withTypedName('agent aa is busy; aa2 and qaa are not aa', 'aa', '1001'),
    'agent 1001 is busy; aa2 and qaa are not 1001',
    'whole ids only',
  )
})

alsoUnderZones(t, import.meta.url)
