/**
 * Issue 4 "Proof", closed queues (S1–S4): by schedule, by a Swedish public holiday (the virtual clock set to
 * Juldagen), by a custom closed date, and by a temporary closure made while the daemon runs. The caller is not
 * answered: the closing message (or the closure's own) plays as early media, then the closed action — busy
 * (USER_BUSY), forward (transfer to the number) or hang up.
 */
import t from 'tap'
import type { Test } from 'tap'
import type { SimCall } from '../../src/simulator/simulator.js'
import type { Schedule } from '../../src/core/schedule/types.js'
import { assertRealFiles, files, heardOf, sound, startJourney, type Journey } from '../helpers/journey-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const FORWARD_TO = '0709990000'
const DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA']

/** Local date YYYY-MM-DD and weekday (0 = Sunday) in Stockholm at instant `at`. */
function stockholm(at: number): { date: string; weekday: number } {
  const date = new Intl.DateTimeFormat('sv-SE', {
    timeZone: 'Europe/Stockholm',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(at)
  const wd = new Intl.DateTimeFormat('en-US', { timeZone: 'Europe/Stockholm', weekday: 'short' }).format(at)
  return { date, weekday: ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(wd) }
}

/** A weekly opening that never covers `now`: one hour on the weekday three days from that day. */
function scheduleNotCovering(now: number): Schedule {
  const day = DAYS[(stockholm(now).weekday + 3) % 7]
  return {
    timeZone: 'Europe/Stockholm',
    calendarIds: [],
    rules: [
      {
        id: 'weekly',
        kind: 'open',
        rrule: `FREQ=WEEKLY;BYDAY=${day}`,
        start: '08:00',
        durationMinutes: 60,
        label: `${day} 08-09`,
      },
    ],
  }
}

/**
 * Asserts the turned-away journey: never answered by koplus; early media before the message; the message heard in
 * full; then the action.
 */
async function assertTurnedAway(
  t: Test,
  time: VirtualTime,
  j: Journey,
  call: SimCall,
  message: string,
  action: 'busy' | 'forward' | 'hangup',
): Promise<void> {
  const { sim } = j
  if (action === 'forward') {
    await time.run(
      sim.waitFor(() => call.channel.profile.destination === FORWARD_TO || call.state === 'hungup', 5000, 'forwarded'),
    )
  } else {
    await time.run(call.waitForState('hungup', 5000), 'call hungup')
  }
  const heard = call.heard()
  const msg = heardOf(call, message)[0]
  t.ok(msg, `the caller heard ${message.replace(/.*sounds\//, '')}`)
  t.equal(files(call)[0], message, 'the message is the first and only thing heard')
  t.equal(heard.length, 1, 'nothing else was played')
  t.notOk(msg.interrupted, 'the message played in full')
  t.ok(msg.endedAt! - msg.startedAt >= sim.fileDurationMs(message)! - 30, `in full: ${msg.endedAt! - msg.startedAt} ms`)
  t.ok(
    call.channel.progressMediaAt > 0 && call.channel.progressMediaAt <= msg.startedAt,
    'pre_answer (early media) before the message',
  )
  if (action === 'forward') {
    t.equal(call.channel.profile.destination, FORWARD_TO, `transferred to ${FORWARD_TO}`)
    t.match(call.variable('transfer_source') ?? '', new RegExp(`uuid_br:${FORWARD_TO}/`), 'by uuid_transfer')
    t.ok(
      call.channel.answeredAt === 0 || call.channel.answeredAt >= msg.endedAt!,
      'not answered by koplus (only by the forward target, after the message)',
    )
    t.not(call.state, 'hungup', 'the forwarded call goes on')
    call.hangup()
  } else {
    t.equal(call.channel.answeredAt, 0, 'never answered: the caller is not charged')
    t.equal(
      call.hangupCause,
      action === 'busy' ? 'USER_BUSY' : 'NORMAL_CLEARING',
      `hung up with ${action === 'busy' ? 'USER_BUSY' : 'NORMAL_CLEARING'}`,
    )
    t.ok(call.channel.hangupAt >= msg.endedAt!, 'after the message')
  }
  t.same(
    j.sim.originates.filter((o) => o.arg.includes(call.uuid)),
    [],
    'no agent was rung',
  )
}

t.test('closed by schedule: a weekly rule that does not cover now → closing message, then busy', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        schedule: scheduleNotCovering(time.now()),
        settings: { closedAction: { type: 'busy' }, welcomePrompt: 'welcome' },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  const call = j.sim.placeCall({ to: '5000', from: '0702000001' })
  await assertTurnedAway(t, time, j, call, sound('sv', 'closed'), 'busy')
  assertRealFiles(t, call, 'sv')
  const rec = await time.until(
    async () =>
      (await j.daemon.store.calls.find(call.uuid))?.endedAt != null && (await j.daemon.store.calls.find(call.uuid)),
    'record ended',
  )
  t.equal(rec.outcome, 'closed')
  t.ok((await j.daemon.store.events.list({ callId: call.uuid, event: 'CLOSED' })).length === 1, 'CLOSED logged')
})

t.test(
  'closed by holiday: Juldagen (Swedish public holiday, daemon clock on 2026-12-25 12:00) → forward',
  async (t) => {
    const christmasNoon = Date.UTC(2026, 11, 25, 11, 0, 0) // 12:00 in Stockholm (CET)
    const time = new VirtualTime(christmasNoon)
    const j = await startJourney(t, {
      time,
      queues: [{ number: '5000', settings: { closedAction: { type: 'forward', destination: FORWARD_TO } } }],
      agents: [{ extension: '1001', loggedIn: ['5000'] }],
      async prepare(store, seeded) {
        const cal = await store.holidayCalendars.create({ name: 'Sverige', country: 'SE', customDates: [] })
        await store.queues.update(seeded.queues['5000'], {
          schedule: { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [cal.id], alwaysOpen: true },
        })
      },
    })
    const call = j.sim.placeCall({ to: '5000', from: '0702000002' })
    await assertTurnedAway(t, time, j, call, sound('sv', 'closed'), 'forward')
    const closed = await j.daemon.store.events.list({ callId: call.uuid, event: 'CLOSED' })
    t.equal(closed.length, 1, 'CLOSED logged')
    t.match(
      JSON.stringify(closed[0].data),
      /Juldagen|holiday/i,
      `the reason names the holiday: ${JSON.stringify(closed[0].data)}`,
    )
  },
)

t.test(
  'closed by a custom closed date in the calendar (today) → hang up; an English queue hears sounds/en',
  async (t) => {
    const time = new VirtualTime()
    const today = stockholm(time.now()).date
    const j = await startJourney(t, {
      time,
      queues: [{ number: '5001', settings: { language: 'en', closedAction: { type: 'hangup' } } }],
      agents: [{ extension: '1001', loggedIn: ['5001'] }],
      async prepare(store, seeded) {
        const cal = await store.holidayCalendars.create({
          name: 'Company days',
          country: 'SE',
          customDates: [{ date: today, name: 'Staff day', closed: true }],
        })
        await store.queues.update(seeded.queues['5001'], {
          schedule: { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [cal.id], alwaysOpen: true },
        })
      },
    })
    const call = j.sim.placeCall({ to: '5001', from: '0702000003' })
    await assertTurnedAway(t, time, j, call, sound('en', 'closed'), 'hangup')
    assertRealFiles(t, call, 'en')
  },
)

t.test('temporary closure made while the daemon runs (by tag, own message), then reopened', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      { number: '5000', tags: ['support'], settings: { closedAction: { type: 'busy' } } },
      { number: '5002', tags: ['sales'] },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000', '5002'] }],
  })
  const store = j.daemon.store
  const closure = await store.closures.create({
    scope: { kind: 'tag', tag: 'support' },
    reason: 'staff meeting',
    by: 'test',
    messagePrompt: 'transferring',
  })
  await j.daemon.reloadConfig()
  const call = j.sim.placeCall({ to: '5000', from: '0702000004' })
  await assertTurnedAway(t, time, j, call, sound('sv', 'transferring'), 'busy')
  const closed = await store.events.list({ callId: call.uuid, event: 'CLOSED' })
  t.match(JSON.stringify(closed[0]?.data ?? {}), /staff meeting|closure/, 'the reason names the closure')

  // Another tag is not closed.
  const other = j.sim.placeCall({ to: '5002', from: '0702000005' })
  await time.run(other.waitForState('bridged', 5000), 'other bridged')
  t.pass('a queue outside the closure still connects')
  other.hangup()

  await store.closures.reopen(closure.id, 'test')
  await j.daemon.reloadConfig()
  const after = j.sim.placeCall({ to: '5000', from: '0702000006' })
  await time.run(after.waitForState('bridged', 5000), 'after bridged')
  t.pass('after reopening the queue connects again')
  after.hangup()

  // A closure with an end: from now for 1.5 s; it reopens by itself.
  const now = time.now()
  await store.closures.create({
    scope: { kind: 'queues', queueIds: [j.seeded.queues['5000']] },
    reason: 'short',
    by: 'test',
    from: now,
    until: now + 1500,
  })
  await j.daemon.reloadConfig()
  const during = j.sim.placeCall({ to: '5000', from: '0702000007' })
  await assertTurnedAway(t, time, j, during, sound('sv', 'closed'), 'busy')
  await time.advanceTo(now + 1600) // the window ends
  const later = j.sim.placeCall({ to: '5000', from: '0702000008' })
  await time.run(later.waitForState('bridged', 5000), 'later bridged')
  t.pass('the queue reopened by itself when the window ended')
  later.hangup()
})
