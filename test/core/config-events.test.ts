/**
 * The configuration arrives as events: the whole `config` at start-up, then one ConfigChange per operator change.
 * Opening hours, closures and prompt overrides are the core's own data: it decides open/closed and times the next
 * change itself (set-timer sched:next), and resolves prompt files from the configuration.
 */
import t from 'tap'
import { agent, config, Harness, logs, ofType, queue, T0 } from './harness.js'
import { OPEN_STATE_TIMER } from '../../src/core/engine/open-state.js'
import type { Closure, Schedule } from '../../src/core/schedule/types.js'

const MIN = 60_000
// T0 is 2026-11-25 09:00 UTC, a Wednesday: 10:00 in Stockholm.
const UNTIL_NOON: Schedule = {
  timeZone: 'Europe/Stockholm',
  rules: [{ id: 'am', kind: 'open', rrule: 'FREQ=DAILY', start: '08:00', durationMinutes: 4 * 60 }],
  calendarIds: [],
}

function closure(over: Partial<Closure> = {}): Closure {
  return {
    id: 'cl1',
    queueIds: ['q1'],
    from: T0 + 10 * MIN,
    until: T0 + 40 * MIN,
    reason: 'team meeting',
    by: 'ops',
    createdAt: T0,
    ...over,
  }
}

t.test(
  'closure-added: one event closes the queue at its start and reopens it at its end, on the core’s own timer',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({ type: 'config', config: config([queue('q1', '5000'), queue('q2', '6000')], [agent('a1')]) })
    t.notOk(h.timers.has(OPEN_STATE_TIMER), 'always open: no open-state timer')
    const out = h.send({ type: 'closure-added', closure: closure({ messagePrompt: 'meeting' }) })
    t.same(
      ofType(out, 'set-timer'),
      [{ type: 'set-timer', id: OPEN_STATE_TIMER, at: T0 + 10 * MIN }],
      'timer at the closure’s start',
    )
    const closing = h.advance(10 * MIN)
    t.same(
      logs(closing, 'QUEUECLOSED').map((l) => l.queueId),
      ['q1'],
      'q1 closed, q2 untouched',
    )
    t.equal(h.timers.get(OPEN_STATE_TIMER), T0 + 40 * MIN, 'next: the closure’s end')
    const turned = h.arrive('c1', '5000')
    t.equal(logs(turned, 'CLOSED').length, 1, 'a caller is turned away while closed')
    t.same(ofType(turned, 'play')[0].files, ['sv/meeting.wav'], 'with the closure’s own message')
    t.equal(logs(h.arrive('c2', '6000'), 'CLOSED').length, 0, 'the other queue is open')
    const opening = h.advance(30 * MIN)
    t.same(
      logs(opening, 'QUEUEOPEN').map((l) => l.queueId),
      ['q1'],
    )
    t.notOk(h.timers.has(OPEN_STATE_TIMER), 'nothing more to time')
  },
)

t.test('closure-changed (reopened by hand) and closure-removed reopen at once', async (t) => {
  const h = new Harness()
  h.send({
    type: 'config',
    config: { ...config([queue('q1', '5000')], [agent('a1')]), closures: [closure({ from: T0 - MIN })] },
  })
  t.equal(logs(h.arrive('c1', '5000'), 'CLOSED').length, 1, 'closed from the start-up config')
  let out = h.send({ type: 'closure-changed', closure: closure({ from: T0 - MIN, reopenedAt: T0 }) })
  t.same(
    logs(out, 'QUEUEOPEN').map((l) => l.queueId),
    ['q1'],
    'reopened by hand: logged',
  )
  t.same(
    ofType(out, 'clear-timer'),
    [{ type: 'clear-timer', id: OPEN_STATE_TIMER }],
    'its end need not be timed any more',
  )
  t.equal(logs(h.arrive('c2', '5000'), 'CLOSED').length, 0)
  h.send({ type: 'closure-added', closure: closure({ id: 'cl2', from: T0 - MIN }) })
  t.equal(logs(h.arrive('c3', '5000'), 'CLOSED').length, 1)
  out = h.send({ type: 'closure-removed', closureId: 'cl2' })
  t.equal(logs(out, 'QUEUEOPEN').length, 1)
  t.equal(logs(h.arrive('c4', '5000'), 'CLOSED').length, 0)
})

t.test('schedule-changed: the core evaluates opening hours and times the next closing', async (t) => {
  const h = new Harness()
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  const out = h.send({ type: 'schedule-changed', queueId: 'q1', schedule: UNTIL_NOON })
  t.same(
    ofType(out, 'set-timer'),
    [{ type: 'set-timer', id: OPEN_STATE_TIMER, at: Date.UTC(2026, 10, 25, 11, 0) }],
    'closes at 12:00 Stockholm',
  )
  t.equal(logs(h.arrive('c1', '5000'), 'CLOSED').length, 0, 'open at 10:00')
  const closing = h.advance(2 * 60 * MIN)
  t.same(
    logs(closing, 'QUEUECLOSED').map((l) => [l.queueId, l.at]),
    [['q1', Date.UTC(2026, 10, 25, 11, 0)]],
    'closed at noon',
  )
  t.equal(h.timers.get(OPEN_STATE_TIMER), Date.UTC(2026, 10, 26, 7, 0), 'opens again at 08:00 the next day')
  t.equal(logs(h.arrive('c2', '5000'), 'CLOSED').length, 1)
  h.send({ type: 'schedule-changed', queueId: 'q1', schedule: null })
  t.equal(logs(h.arrive('c3', '5000'), 'CLOSED').length, 0, 'no schedule: always open')
})

t.test('queue, agent and membership changes: one entity each, live state kept', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  h.startAgents(['a1'])
  h.send({ type: 'queue-added', queue: queue('q2', '6000') })
  t.same(h.cc.checkLogin('a1', ['q2']), {
    ok: false,
    reason: 'not-member',
    message: 'agent a1 is not a member of queue q2',
  })
  h.send({ type: 'membership-added', membership: { agentId: 'a1', queueId: 'q2' } })
  t.same(h.cc.checkLogin('a1', ['q2']), { ok: true, queueIds: ['q2'] })
  h.send({ type: 'agent-login', agentId: 'a1', queueIds: ['q2'], source: 'api' })
  t.same(h.status().agents[0].queues.slice().sort(), ['q1', 'q2'], 'logged in to both')
  let out = h.send({ type: 'membership-removed', membership: { agentId: 'a1', queueId: 'q1' } })
  t.same(
    ofType(out, 'agent-session').map((s) => [s.queueId, s.loggedIn]),
    [['q1', false]],
    'membership withdrawn: out of that queue only',
  )
  h.send({ type: 'queue-changed', queue: queue('q2', '6001') })
  t.equal(logs(h.arrive('c1', '6001'), 'ENTERQUEUE').length, 1, 'a renumbered queue takes callers on its new number')
  h.send({ type: 'agent-added', agent: agent('a2') })
  h.send({ type: 'membership-added', membership: { agentId: 'a2', queueId: 'q2' } })
  t.equal(h.agentState('a2'), 'logged-out', 'an agent added later starts logged out')
  out = h.send({ type: 'queue-removed', queueId: 'q2' })
  t.same(
    ofType(out, 'agent-session').map((s) => [s.agentId, s.queueId, s.loggedIn]),
    [['a1', 'q2', false]],
    'queue removed: its agents leave it',
  )
  t.notOk(h.status().queues.some((q) => q.queueId === 'q2'))
  h.send({ type: 'agent-removed', agentId: 'a2' })
  t.notOk(h.status().agents.some((a) => a.agentId === 'a2'))
})

t.test('prompt overrides: the queue’s, else the tenant’s, else the shipped file under soundsDir', async (t) => {
  const h = new Harness()
  h.send({
    type: 'config',
    config: { ...config([queue('q1', '5000', { welcomePrompt: 'welcome' })], [agent('a1')]), soundsDir: '/snd/' },
  })
  let n = 0
  const welcome = () => ofType(h.arrive(`c${++n}`, '5000'), 'play')[0].files
  t.same(welcome(), ['/snd/sv/welcome.wav'])
  h.send({
    type: 'prompt-override-set',
    override: { tenantId: 't1', queueId: null, language: 'sv', name: 'welcome', path: '/rec/t1-welcome.wav' },
  })
  t.same(welcome(), ['/rec/t1-welcome.wav'], 'the tenant’s')
  h.send({
    type: 'prompt-override-set',
    override: { tenantId: 't1', queueId: 'q1', language: 'sv', name: 'welcome', path: '/rec/q1-welcome.wav' },
  })
  t.same(welcome(), ['/rec/q1-welcome.wav'], 'the queue’s wins')
  h.send({
    type: 'prompt-override-removed',
    override: { tenantId: 't1', queueId: 'q1', language: 'sv', name: 'welcome' },
  })
  t.same(welcome(), ['/rec/t1-welcome.wav'], 'removed: the tenant’s again')
})

t.test(
  'ids: offers and legs get UUIDs derived from the call, the same in two engines fed the same events',
  async (t) => {
    const run = () => {
      const h = new Harness()
      h.send({
        type: 'config',
        config: config(
          [queue('q1', '5000', { strategy: 'ring-parallel', parallelCount: 2 })],
          [agent('a1'), agent('a2')],
        ),
      })
      h.startAgents(['a1', 'a2'])
      return ofType(h.arrive('8c1a6e0e-9d8e-4c55-a3f1-0f5d3c1b2a77', '5000'), 'originate')[0]
    }
    const a = run()
    const b = run()
    t.equal(a.legs.length, 2)
    for (const leg of a.legs)
      t.match(
        leg.legId,
        /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
        'a UUID (origination_uuid)',
      )
    t.not(a.legs[0].legId, a.legs[1].legId)
    t.same(b, a, 'deterministic')
  },
)

t.test('a queue without schedule or closure is open for the same reason the evaluator gives', async (t) => {
  const { OpenStateBook } = await import('../../src/core/engine/open-state.js')
  const { stateAt } = await import('../../src/core/schedule/index.js')
  const q = queue('q1', '5000')
  const fast = new OpenStateBook({}).state(q, T0)
  const full = stateAt({ timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: true }, [], [], 'q1', T0)
  t.same(fast, { open: full.open, reason: full.reason })
})

t.test('the old reevaluate event still works: it reviews open state', async (t) => {
  const h = new Harness()
  h.send({ type: 'config', config: { ...config([queue('q1', '5000')], []), schedules: { q1: UNTIL_NOON } } })
  h.now = Date.UTC(2026, 10, 25, 11, 30)
  t.same(
    logs(h.send({ type: 'reevaluate' }), 'QUEUECLOSED').map((l) => l.queueId),
    ['q1'],
  )
})
