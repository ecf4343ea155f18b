/**
 * Issue 9 (hardening), the rebuild after a crash or restart, in the pure core: callers are matched back to their
 * queue by its stable id (a queue renumbered while the daemon was down keeps its callers), a caller who was
 * connected and whose agent hung up meanwhile is ended (not offered again) and recorded once, and a caller whose
 * variables were repaired keeps its place and gets the repaired values saved on its channel.
 */
import t from 'tap'
import { agent, config, DOMAIN, Harness, lastOriginate, logs, ofType, queue, T0 } from './harness.js'
import type { RestoredCall } from '../../src/core/events.js'

function restore(
  h: Harness,
  callId: string,
  queueNumber: string,
  r: Partial<RestoredCall> & { joinedAt: number; seq: number },
) {
  return h.send({
    type: 'call-arrived',
    callId,
    queueNumber,
    tenantDomain: DOMAIN,
    callerNumber: '0701',
    callerName: '',
    restored: { answered: true, announce: 'v1:wf:::::', ...r },
  })
}

t.test('a queue renumbered while the daemon was down keeps its waiting callers (matched by queue id)', async (t) => {
  const h = new Harness({}, { check: true })
  // The queue was 5000 when the callers joined; it is 5100 now.
  h.send({ type: 'config', config: config([queue('q1', '5100')], [agent('a1')]) })
  const outs = [1, 2, 3, 4, 5].map((i) =>
    restore(h, `c${i}`, '5000', { joinedAt: T0 - 60_000 + i * 1000, seq: i, queueId: 'q1' }),
  )
  for (const out of outs) {
    t.equal(ofType(out, 'hangup').length, 0, 'not hung up')
    t.equal(logs(out, 'UNKNOWNQUEUE').length, 0, 'not an unknown queue')
    t.same(
      ofType(out, 'set-vars').find((c) => c.vars.koplus_queue)?.vars.koplus_queue,
      '5100',
      'the channel gets the new number',
    )
  }
  t.same(
    h.status().queues[0].callers.map((c) => c.callId),
    ['c1', 'c2', 'c3', 'c4', 'c5'],
    'all five wait in their order',
  )
  // And the dialplan's number still works for new callers.
  const out = h.arrive('n1', '5100')
  t.equal(ofType(out, 'hangup').length, 0, 'a new caller to the new number is taken')
  t.equal(h.status().queues[0].callers.length, 6)
  h.startAgents(['a1'])
  t.equal(lastOriginate(h.all)?.callId, 'c1', 'the first in line is offered first')
})

t.test('without a stable id the number still matches (channels from an older daemon)', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  const out = restore(h, 'c1', '5000', { joinedAt: T0 - 10_000, seq: 4 })
  t.equal(h.status().queues[0].callers.length, 1)
  const saved = ofType(out, 'set-vars').find((c) => c.vars.koplus_queue_id)
  t.equal(saved?.vars.koplus_queue_id, 'q1', 'the stable id is saved on the channel for the next restart')
  t.equal(saved?.vars.koplus_seq, '4', 'with the same place')
})

t.test('a new caller gets koplus_queue_id with the join time and seq', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  const out = h.arrive('c1', '5000')
  const vars = ofType(out, 'set-vars')[0]?.vars
  t.equal(vars?.koplus_queue_id, 'q1')
  t.equal(vars?.koplus_seq, '1')
})

t.test('bridged: the channel is marked connected with the time and the agent', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  h.startAgents(['a1'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  h.send({ type: 'leg-answered', legId: o.legs[0].legId })
  h.now += 250
  const out = h.send({ type: 'bridged', callId: 'c1', legId: o.legs[0].legId })
  const mark = ofType(out, 'set-vars').find((c) => c.vars.koplus_connected)
  t.same(mark?.vars, { koplus_connected: String(h.now), koplus_connected_agent: 'a1' })
})

t.test(
  'connected, then the agent hung up while the daemon was down: ended and recorded once, never offered again',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1'), agent('a2')]) })
    h.startAgents(['a1', 'a2'])
    const connectedAt = T0 - 30_000
    const out = restore(h, 'c1', '5000', {
      joinedAt: T0 - 50_000,
      seq: 3,
      queueId: 'q1',
      connected: { at: connectedAt, agentId: 'a1' },
    })
    t.equal(ofType(out, 'originate').length, 0, 'not offered again')
    t.same(
      ofType(out, 'hangup'),
      [{ type: 'hangup', callId: 'c1', cause: 'NORMAL_CLEARING' }],
      'the caller is hung up as after the agent hang-up',
    )
    t.equal(logs(out, 'COMPLETEAGENT').length, 1, 'the conversation is logged once')
    const rec = ofType(out, 'call-record')[0]?.record
    t.match(
      rec,
      { callId: 'c1', queueId: 'q1', outcome: 'answered', answeredAt: connectedAt, endedAt: h.now, agentId: 'a1' },
      'the record closes as answered',
    )
    t.equal(h.status().queues[0].callers.length, 0, 'not waiting')
    // The call record was already closed by the daemon that died: nothing is recorded again.
    const again = restore(h, 'c2', '5000', {
      joinedAt: T0 - 50_000,
      seq: 4,
      queueId: 'q1',
      connected: { at: connectedAt, agentId: 'a2' },
      recordClosed: true,
    })
    t.equal(logs(again, 'COMPLETEAGENT').length, 0, 'no second COMPLETEAGENT')
    t.equal(ofType(again, 'call-record').length, 0, 'no second record write')
    t.equal(ofType(again, 'hangup').length, 1, 'still hung up')
    t.equal(ofType(again, 'originate').length, 0, 'and not offered')
  },
)

t.test('a caller still bridged keeps its agent and its real answer time', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  h.startAgents(['a1'])
  restore(h, 'c1', '5000', {
    joinedAt: T0 - 50_000,
    seq: 3,
    queueId: 'q1',
    connected: { at: T0 - 30_000, agentId: 'a1' },
    bridgedTo: { legId: 'L1', agentId: 'a1' },
  })
  t.equal(h.agentState('a1'), 'on-call')
  const out = h.send({ type: 'leg-hungup', legId: 'L1', cause: 'NORMAL_CLEARING' })
  const done = logs(out, 'COMPLETEAGENT')[0]
  t.equal((done.data as { talkSec: number }).talkSec, 30, 'talk time from the real connection, not from the restart')
  // The answer time is written again with the end: a daemon killed between the bridge and its writes lost it.
  t.match(ofType(out, 'call-record')[0]?.record, {
    callId: 'c1',
    outcome: 'answered',
    answeredAt: T0 - 30_000,
    endedAt: T0,
  })
  t.match(ofType(out, 'offer-record')[0], { legId: 'L1', result: 'answered', endedAt: T0 })
})

t.test('a repaired (fractional) seq keeps its place between whole ones and is saved again', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  restore(h, 'c3', '5000', { joinedAt: T0 - 10_000, seq: 3, queueId: 'q1' })
  const out = restore(h, 'cx', '5000', { joinedAt: T0 - 20_000, seq: 2.001, queueId: 'q1', repaired: true })
  restore(h, 'c2', '5000', { joinedAt: T0 - 30_000, seq: 2, queueId: 'q1' })
  t.same(
    h.status().queues[0].callers.map((c) => c.callId),
    ['c2', 'cx', 'c3'],
  )
  t.equal(ofType(out, 'play').length, 0, 'no first message or welcome replayed')
  t.equal(
    ofType(out, 'set-vars').find((c) => c.vars.koplus_seq)?.vars.koplus_seq,
    '2.001',
    'the repaired values are written back',
  )
  const n = h.arrive('n', '5000')
  t.equal(ofType(n, 'set-vars')[0]?.vars.koplus_seq, '4', 'new callers go after every restored one')
})

t.test(
  'a waiting caller whose queue was deleted while the daemon was down: the configured fallback, not a silent hang-up',
  async (t) => {
    const cases = [
      [undefined, [{ type: 'hangup', callId: 'c1', cause: 'USER_BUSY' }], 'failed'],
      [{ type: 'hangup' }, [{ type: 'hangup', callId: 'c1', cause: 'NORMAL_CLEARING' }], 'failed'],
      [
        { type: 'forward', destination: '0701234567' },
        [{ type: 'transfer', callId: 'c1', destination: '0701234567' }],
        'transferred',
      ],
    ] as const
    for (const [action, expected, outcome] of cases) {
      const h = new Harness({}, { check: true })
      h.send({
        type: 'config',
        config: config([queue('q2', '6000')], [agent('a1')], action ? { unknownQueueAction: action } : {}),
      })
      const out = restore(h, 'c1', '5000', { joinedAt: T0 - 10_000, seq: 4, queueId: 'q-gone', hasRecord: true })
      t.same(
        out.filter((c) => c.type === 'hangup' || c.type === 'transfer'),
        expected,
        `${action?.type ?? 'default (busy)'}`,
      )
      t.match(logs(out, 'UNKNOWNQUEUE')[0]?.data, { number: '5000', restored: true, action: action?.type ?? 'busy' })
      t.match(ofType(out, 'call-record')[0]?.record, { callId: 'c1', outcome })
    }
    // A new call to an unknown number is still refused as an unallocated number.
    const h = new Harness({}, { check: true })
    h.send({ type: 'config', config: config([queue('q2', '6000')], [agent('a1')]) })
    t.same(ofType(h.arrive('n1', '5999'), 'hangup'), [{ type: 'hangup', callId: 'n1', cause: 'UNALLOCATED_NUMBER' }])
  },
)
