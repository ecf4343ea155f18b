import t from 'tap'
import { alsoUnderZones } from '../helpers/under-zones.js'
import {
  activeClosures,
  closureEndsAt,
  explain,
  isOpen,
  nextChange,
  nextClosureBoundary,
  transitions,
  type Closure,
  type OpeningRule,
  type Schedule,
} from '../../src/core/schedule/index.js'

const Z = (s: string) => Date.parse(s)
const weekdays: OpeningRule = {
  id: 'wd',
  kind: 'open',
  rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR',
  start: '08:00',
  durationMinutes: 540,
  label: 'Weekdays',
}
const s: Schedule = { timeZone: 'Europe/Stockholm', rules: [weekdays], calendarIds: [] }
// Wednesday 2026-11-18, CET: local HH:MM (01:00..23:59) = (HH-1):MM Z
const L = (hhmm: string) =>
  Z(`2026-11-18T${String(Number(hhmm.slice(0, 2)) - 1).padStart(2, '0')}:${hhmm.slice(3)}:00Z`)

const meeting: Closure = {
  id: 'c1',
  queueIds: ['support', 'sales'],
  from: L('13:00'),
  until: L('15:00'),
  reason: 'Staff meeting',
  by: 'anna',
  createdAt: L('12:55'),
}
const outage: Closure = {
  id: 'c2',
  queueIds: ['support'],
  from: L('14:00'),
  reason: 'Phone outage',
  by: 'bertil',
  createdAt: L('13:59'),
}

t.test('closureEndsAt and activeClosures', async (t) => {
  t.equal(closureEndsAt(meeting), L('15:00'))
  t.equal(closureEndsAt(outage), undefined, 'until reopened')
  t.equal(closureEndsAt({ ...outage, reopenedAt: L('16:00') }), L('16:00'))
  t.equal(closureEndsAt({ ...meeting, reopenedAt: L('14:00') }), L('14:00'), 'reopened early')
  t.equal(closureEndsAt({ ...meeting, reopenedAt: L('16:00') }), L('15:00'), 'reopened after it ended')
  const all = [meeting, outage]
  t.same(activeClosures(all, 'support', L('12:59')), [])
  t.same(
    activeClosures(all, 'support', L('13:00')).map((c) => c.id),
    ['c1'],
    'from is inclusive',
  )
  t.same(
    activeClosures(all, 'support', L('14:30')).map((c) => c.id),
    ['c1', 'c2'],
  )
  t.same(
    activeClosures(all, 'support', L('15:00')).map((c) => c.id),
    ['c2'],
    'until is exclusive',
  )
  t.same(
    activeClosures(all, 'sales', L('14:30')).map((c) => c.id),
    ['c1'],
  )
  t.same(activeClosures(all, 'billing', L('14:30')), [], 'other queues untouched')
  t.same(
    activeClosures(all, 'support', Z('2027-06-01T10:00:00Z')).map((c) => c.id),
    ['c2'],
    'until reopened lasts',
  )
})

t.test('overlapping closures, one until reopened', async (t) => {
  const all = [meeting, outage]
  t.equal(isOpen(s, [], all, 'support', L('12:00')), true)
  t.same(
    explain(s, [], all, 'support', L('13:30')),
    {
      open: false,
      reason: 'closed: temporary closure "Staff meeting" by anna until 15:00',
      decidedBy: { kind: 'closure', id: 'c1', name: 'Staff meeting' },
    },
    'the outage lasts until reopened: no next change',
  )
  const both = explain(s, [], all, 'support', L('14:30'))
  t.equal(
    both.reason,
    'closed: temporary closure "Phone outage" by bertil until reopened',
    'the longer closure is named',
  )
  t.equal(isOpen(s, [], all, 'support', L('15:30')), false, 'the outage still holds after the meeting')
  t.equal(isOpen(s, [], all, 'sales', L('15:30')), true, 'sales reopens after the meeting')
  t.equal(explain(s, [], all, 'sales', L('13:30')).nextChange, L('15:00'))

  // reopening the outage leaves the meeting; reopening the meeting leaves the outage
  const outageReopened = [meeting, { ...outage, reopenedAt: L('14:20') }]
  t.equal(isOpen(s, [], outageReopened, 'support', L('14:30')), false, 'meeting still closes')
  t.equal(
    explain(s, [], outageReopened, 'support', L('14:30')).reason,
    'closed: temporary closure "Staff meeting" by anna until 15:00',
  )
  t.equal(isOpen(s, [], outageReopened, 'support', L('15:00')), true, 'open again at 15:00')
  t.equal(nextChange(s, [], outageReopened, 'support', L('13:30')), L('15:00'))
  const meetingReopened = [{ ...meeting, reopenedAt: L('13:30') }, outage]
  t.equal(
    isOpen(s, [], meetingReopened, 'support', L('13:45')),
    true,
    'open between the meeting reopening and the outage',
  )
  t.equal(isOpen(s, [], meetingReopened, 'support', L('14:00')), false, 'outage still closes')
  const bothReopened = [
    { ...meeting, reopenedAt: L('13:30') },
    { ...outage, reopenedAt: L('16:00') },
  ]
  t.same(
    transitions(s, [], bothReopened, 'support', L('12:00'), L('18:00')).map((x) => [x.at, x.open]),
    [
      [L('13:00'), false],
      [L('13:30'), true],
      [L('14:00'), false],
      [L('16:00'), true],
      [L('17:00'), false],
    ],
  )
})

t.test('a closure outside opening hours changes nothing; a future window is planned', async (t) => {
  const evening: Closure = { ...meeting, id: 'e', from: L('18:00'), until: L('20:00') }
  t.same(
    transitions(s, [], [evening], 'support', L('01:00'), L('23:59')).map((x) => x.at),
    [L('08:00'), L('17:00')],
  )
  const tomorrow: Closure = { ...meeting, id: 'tm', from: L('13:00') + 86_400_000, until: L('14:00') + 86_400_000 }
  t.equal(isOpen(s, [], [tomorrow], 'support', L('13:30')), true, 'not yet in force')
  t.equal(isOpen(s, [], [tomorrow], 'support', L('13:30') + 86_400_000), false, 'in force the next day')
  t.equal(
    explain(s, [], [tomorrow], 'support', L('13:30') + 86_400_000).reason,
    'closed: temporary closure "Staff meeting" by anna until 14:00',
  )
  const overnight: Closure = { ...meeting, id: 'on', until: L('13:00') + 2 * 86_400_000 }
  t.equal(
    explain(s, [], [overnight], 'support', L('13:30')).reason,
    'closed: temporary closure "Staff meeting" by anna until 2026-11-20 13:00',
    'other day: date shown',
  )
  const never: Closure = { ...meeting, id: 'nv', reopenedAt: L('12:00') }
  t.equal(isOpen(s, [], [never], 'support', L('13:30')), true, 'reopened before it began')
})

t.test('nextClosureBoundary: one timer for the daemon', async (t) => {
  const all = [meeting, outage, { ...meeting, id: 'c3', queueIds: ['billing'], from: L('09:00'), until: L('10:00') }]
  t.equal(nextClosureBoundary(all, L('08:00')), L('09:00'), 'any queue')
  t.equal(nextClosureBoundary(all, L('08:00'), 'support'), L('13:00'), 'one queue')
  t.equal(nextClosureBoundary(all, L('13:00'), 'support'), L('14:00'), 'strictly after')
  t.equal(nextClosureBoundary(all, L('14:00'), 'support'), L('15:00'))
  t.equal(nextClosureBoundary(all, L('15:00'), 'support'), undefined, 'only an open-ended closure left')
  t.equal(nextClosureBoundary([{ ...outage, reopenedAt: L('16:00') }], L('15:00')), L('16:00'))
  t.equal(nextClosureBoundary([], L('15:00')), undefined)
})

// local days, months and closure times must not lean on the host's zone
alsoUnderZones(t, import.meta.url)
