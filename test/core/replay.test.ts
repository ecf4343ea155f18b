/**
 * The engine is fed only by events: a busy simulated day's input events, recorded with their `now` from one engine,
 * replayed into a fresh engine give the identical command stream (what a standby daemon needs).
 */
import t from 'tap'
import { runDay } from '../../bench/sim/engine-day.js'
import { CallCenter } from '../../src/core/engine/call-center.js'
import type { Command } from '../../src/core/commands.js'
import type { CoreEvent } from '../../src/core/events.js'
import type { Schedule } from '../../src/core/schedule/types.js'

// The simulated day starts 2026-11-25 07:00 UTC (08:00 in Stockholm).
const DAY0 = Date.UTC(2026, 10, 25, 7, 0, 0)
const HOUR = 3600_000
/** Weekdays 08:00–15:00 Stockholm: q1 closes mid-day, so the engine's own open-state timer fires. */
const OFFICE: Schedule = {
  timeZone: 'Europe/Stockholm',
  rules: [
    { id: 'office', kind: 'open', rrule: 'FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR', start: '08:00', durationMinutes: 7 * 60 },
  ],
  calendarIds: [],
}

t.test(
  'replay: a busy day (schedule, closure, prompt override mid-day) replays into a fresh engine with identical commands',
  async (t) => {
    const recorded: { event: CoreEvent; now: number; commands: Command[] }[] = []
    const closure = {
      id: 'storm',
      queueIds: ['q2'],
      from: DAY0 + 2 * HOUR,
      until: DAY0 + 3 * HOUR,
      reason: 'storm',
      by: 'ops',
      createdAt: DAY0 + HOUR,
      messagePrompt: 'storm-closed',
    }
    const r = runDay({
      seed: 11,
      queues: 3,
      agents: 12,
      calls: 1000,
      dayMs: 10 * HOUR,
      queuesPerAgent: 2,
      mobileShare: 0.3,
      voicemailProb: 0.2,
      agentActionMeanSec: 120,
      settings: { announcePosition: true, positionIntervalSec: 30, wrapUpSec: 5, autoLogoutAfter: 3 },
      configure: (c) => ({ ...c, schedules: { q1: OFFICE }, soundsDir: '/snd' }),
      extraEvents: [
        { at: DAY0 + HOUR, event: { type: 'closure-added', closure } },
        {
          at: DAY0 + 4 * HOUR,
          event: {
            type: 'prompt-override-set',
            override: { tenantId: 't1', queueId: 'q3', language: 'sv', name: 'queue-first', path: '/rec/q3-first.wav' },
          },
        },
      ],
      onStep: (event, commands, _status, now) =>
        recorded.push({ event: structuredClone(event), now, commands: structuredClone(commands) }),
    })
    const original = recorded.flatMap((x) => x.commands)
    t.ok(
      r.arrived >= 1000 && original.length > 10_000,
      `a busy day: ${recorded.length} events, ${original.length} commands`,
    )
    const types = new Set(original.map((c) => c.type))
    for (const ty of ['originate', 'bridge', 'play', 'set-timer', 'offer-record', 'agent-session'])
      t.ok(types.has(ty as Command['type']), `the day has ${ty}`)
    const logged = new Set(original.flatMap((c) => (c.type === 'log' ? [c.event] : [])))
    t.ok(
      logged.has('QUEUECLOSED') && logged.has('QUEUEOPEN'),
      'queues closed and opened during the day (schedule and closure)',
    )
    t.ok(logged.has('CLOSED'), 'callers were turned away while closed')
    t.ok(
      original.some((c) => c.type === 'play' && c.files.includes('/rec/q3-first.wav')),
      'the prompt override set mid-day is played',
    )

    const fresh = new CallCenter()
    const replayed = recorded.flatMap((x) => fresh.handle(x.event, x.now))
    t.equal(replayed.length, original.length)
    // Deep-equal, compared as JSON (the commands are plain data; t.same on 30,000 commands takes seconds).
    const first = replayed.findIndex((c, i) => JSON.stringify(c) !== JSON.stringify(original[i]))
    t.equal(first, -1, 'identical command stream, command by command')
    if (first >= 0) t.same(replayed[first], original[first], `the first difference, command ${first}`)
    t.same(
      fresh.status(DAY0 + 11 * HOUR),
      (() => {
        const again = new CallCenter()
        for (const x of recorded) again.handle(x.event, x.now)
        return again.status(DAY0 + 11 * HOUR)
      })(),
      'and the same state at the end',
    )
  },
)
