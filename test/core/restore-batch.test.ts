/**
 * Issue 13 (recovery): the callers rebuilt after a restart reach the core in one `calls-restored` event — one engine
 * step, so the daemon carries out (and persists) the whole rebuild once. The outcome must be the one of the same
 * callers handed back one `call-arrived` at a time: the same queue order, the same agents busy, the same commands.
 */
import t from 'tap'
import type { CallArrived, RestoredCall } from '../../src/core/events.js'
import type { Command } from '../../src/core/commands.js'
import { agent, config, DOMAIN, Harness, queue, T0 } from './harness.js'

function arrival(callId: string, queueNumber: string, r?: Partial<RestoredCall>): CallArrived {
  return {
    type: 'call-arrived',
    callId,
    queueNumber,
    tenantDomain: DOMAIN,
    callerNumber: '0701',
    callerName: '',
    ...(r ? { restored: { answered: true, joinedAt: T0 - 60_000, seq: 0, announce: 'v1:wf:::::', ...r } } : {}),
  }
}

/** Waiting in two queues, one talking to a2, one parked before the old daemon saw it (seq 0: a new arrival). */
const REBUILT: CallArrived[] = [
  arrival('c1', '5000', { seq: 1, joinedAt: T0 - 60_000, queueId: 'q1' }),
  arrival('c2', '5001', { seq: 2, joinedAt: T0 - 50_000, queueId: 'q2' }),
  arrival('c3', '5000', {
    seq: 3,
    joinedAt: T0 - 40_000,
    queueId: 'q1',
    bridgedTo: { legId: 'L3', agentId: 'a2' },
    connected: { at: T0 - 30_000, agentId: 'a2' },
  }),
  arrival('c4', '5000', { seq: 4, joinedAt: T0 - 20_000, queueId: 'q1' }),
  arrival('c5', '5001', { seq: 5, joinedAt: T0 - 10_000, queueId: 'q2' }),
  arrival('n1', '5000', { seq: 0, answered: false }),
]

function engine(): Harness {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config([queue('q1', '5000'), queue('q2', '5001')], [agent('a1'), agent('a2'), agent('a3')]),
  })
  h.startAgents(['a1', 'a2', 'a3'])
  return h
}

const sorted = (cmds: Command[]): string[] => cmds.map((c) => JSON.stringify(c)).sort()

const offers = (cmds: Command[]): string[][] =>
  cmds.flatMap((c) => (c.type === 'originate' ? [[c.callId, ...c.legs.map((l) => l.agentId)]] : []))

t.test('calls-restored: one step, the same outcome as one call-arrived per caller', async (t) => {
  // Without the conversation (no agent is busy before the rebuild), the order of matching cannot matter.
  const waiting = REBUILT.filter((e) => !e.restored?.bridgedTo)
  const oneByOne = engine()
  const single: Command[] = []
  for (const e of waiting) single.push(...oneByOne.send(e))

  const batched = engine()
  const out = batched.send({ type: 'calls-restored', calls: waiting })

  t.same(sorted(out), sorted(single), 'the same commands')
  t.same(offers(out), [
    ['c1', 'a1'],
    ['c2', 'a2'],
    ['c4', 'a3'],
  ])
  const order = (h: Harness) => h.status().queues.map((q) => [q.queueId, q.callers.map((c) => c.callId)])
  t.same(order(batched), order(oneByOne), 'the same callers wait in the same order')
  const agents = (h: Harness) => h.status().agents.map((a) => [a.agentId, a.state])
  t.same(agents(batched), agents(oneByOne), 'the same agent states')
})

t.test('calls-restored: an agent still talking is busy before anyone is offered', async (t) => {
  // One call-arrived at a time, c2 (seq 2) was offered to a2 before c3 (seq 3, a2's conversation) was restored:
  // the talking agent's phone rang. In one step every conversation is back before matching runs.
  const oneByOne = engine()
  const single: Command[] = []
  for (const e of REBUILT) single.push(...oneByOne.send(e))
  t.ok(
    offers(single).some((o) => o.includes('a2')),
    'one at a time, the talking agent was offered a caller',
  )

  const batched = engine()
  const out = batched.send({ type: 'calls-restored', calls: REBUILT })
  t.same(
    offers(out),
    [
      ['c1', 'a1'],
      ['c2', 'a3'],
    ],
    'the two free agents get the two longest waiting; a2 is not rung',
  )
  t.same(
    batched.status().queues.map((q) => [q.queueId, q.callers.map((c) => c.callId)]),
    [
      ['q1', ['c1', 'c4', 'n1']],
      ['q2', ['c2', 'c5']],
    ],
    'in line in their order (c1 and c2 ringing), the caller parked before the old daemon saw it last',
  )
  t.not(batched.agentState('a2'), 'free', 'the talking agent is busy again')
})

t.test('calls-restored with no calls changes nothing', async (t) => {
  const h = engine()
  t.same(h.send({ type: 'calls-restored', calls: [] }), [])
  t.same(
    h.status().queues.map((q) => q.callers.length),
    [0, 0],
  )
})
