/**
 * Issue 9 (hardening), "per-agent statistics are a stub": the core records every offer — agent, device, ring time
 * and how it ended (answered / no-answer / busy / rejected / lost-race / confirm timeout / cancelled) — as
 * `offer-record` commands, which the daemon writes to call_offers (the per-agent table is derived from them).
 */
import t from 'tap'
import { agent, config, Harness, lastOriginate, ofType, queue } from './harness.js'
import type { Command } from '../../src/core/commands.js'
import { FAILED_DEVICE_PAUSE_MS } from '../../src/core/engine/engine-state.js'

type OfferRecord = Extract<Command, { type: 'offer-record' }>
const records = (h: Harness, legId: string): OfferRecord[] =>
  ofType(h.all, 'offer-record').filter((r) => r.legId === legId)

t.test('an answered offer: started with its device, answered, ended with the conversation', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
  h.startAgents(['a1'])
  const o = lastOriginate(h.arrive('c1', '5000'))!
  const leg = o.legs[0].legId
  const t0 = h.now
  h.now += 4000
  h.send({ type: 'leg-answered', legId: leg })
  h.send({ type: 'bridged', callId: 'c1', legId: leg })
  h.now += 60_000
  h.send({ type: 'leg-hungup', legId: leg, cause: 'NORMAL_CLEARING' })
  t.same(
    records(h, leg).map(({ type: _t, ...r }) => r),
    [
      { legId: leg, callId: 'c1', agentId: 'a1', at: t0, device: 'softphone:a1' },
      { legId: leg, callId: 'c1', agentId: 'a1', at: t0 + 4000, result: 'answered', answeredAt: t0 + 4000 },
      { legId: leg, callId: 'c1', agentId: 'a1', at: t0 + 64_000, result: 'answered', endedAt: t0 + 64_000 },
    ],
  )
})

t.test('offers that end without the caller: each result from its cause', async (t) => {
  const cases: [string, string][] = [
    ['USER_BUSY', 'busy'],
    ['CALL_REJECTED', 'rejected'],
    ['USER_NOT_REGISTERED', 'failed'],
  ]
  for (const [cause, result] of cases) {
    const h = new Harness({}, { check: true })
    h.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
    h.startAgents(['a1'])
    const leg = lastOriginate(h.arrive('c1', '5000'))!.legs[0].legId
    h.now += 1500
    h.send({ type: 'leg-failed', legId: leg, cause })
    t.match(records(h, leg)[1], { result, cause, endedAt: h.now }, `${cause} → ${result}`)
  }
  // Ring timeout.
  const h = new Harness({}, { check: true })
  h.send({ type: 'config', config: config([queue('q1', '5000', { ringTimeSec: 5 })], [agent('a1')]) })
  h.startAgents(['a1'])
  const leg = lastOriginate(h.arrive('c1', '5000'))!.legs[0].legId
  h.advance(5000)
  t.match(records(h, leg)[1], { result: 'no-answer', cause: 'NO_ANSWER' }, 'ring timeout → no-answer')
})

t.test(
  'parallel ringing: the winner is answered, the others lost the race; a caller who hangs up cancels',
  async (t) => {
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config([queue('q1', '5000', { strategy: 'ring-parallel' })], [agent('a1'), agent('a2')]),
    })
    h.startAgents(['a1', 'a2'])
    const o = lastOriginate(h.arrive('c1', '5000'))!
    t.equal(o.legs.length, 2, 'two legs ring')
    h.send({ type: 'leg-answered', legId: o.legs[0].legId })
    h.send({ type: 'leg-failed', legId: o.legs[1].legId, cause: 'LOSE_RACE' })
    t.match(records(h, o.legs[0].legId)[1], { result: 'answered' })
    t.match(
      records(h, o.legs[1].legId).at(-1),
      { result: 'lost-race' },
      'the other leg lost the race (cancelled by the engine at the first answer)',
    )
    const h2 = new Harness({}, { check: true })
    h2.send({ type: 'config', config: config([queue('q1', '5000')], [agent('a1')]) })
    h2.startAgents(['a1'])
    const leg = lastOriginate(h2.arrive('c1', '5000'))!.legs[0].legId
    h2.send({ type: 'call-hungup', callId: 'c1', cause: 'ORIGINATOR_CANCEL' })
    t.match(records(h2, leg)[1], { result: 'cancelled', cause: 'ORIGINATOR_CANCEL' })
  },
)

t.test('a mobile that answers but never presses 1: confirm-timeout', async (t) => {
  const h = new Harness({}, { check: true })
  h.send({
    type: 'config',
    config: config(
      [queue('q1', '5000', { confirmOn: ['mobile'] })],
      [agent('a1', {}, [{ type: 'mobile', target: '4670' }])],
    ),
  })
  h.startAgents(['a1'])
  const leg = lastOriginate(h.arrive('c1', '5000'))!.legs[0].legId
  h.send({ type: 'leg-answered', legId: leg })
  h.advance(60_000)
  t.match(records(h, leg)[0], { device: 'mobile:4670' })
  t.match(records(h, leg)[1], { result: 'confirm-timeout', cause: 'NO_ANSWER' })
})

t.test(
  'a phone that refuses a leg at once is not rung again for FAILED_DEVICE_PAUSE_MS (no originate storm)',
  async (t) => {
    // Found by the active/standby tests: one caller, one agent whose phone answers USER_NOT_REGISTERED at once, and
    // the engine originated to it again within the same millisecond, about 1000 times a second.
    for (const cause of ['USER_NOT_REGISTERED', 'USER_BUSY', 'CALL_REJECTED']) {
      const h = new Harness({}, { check: true })
      h.send({ type: 'config', config: config([queue('q1', '5000', { autoLogoutAfter: 0 })], [agent('a1')]) })
      h.startAgents(['a1'])
      const leg = lastOriginate(h.arrive('c1', '5000'))!.legs[0].legId
      h.now += 20
      const failed = h.send({ type: 'leg-failed', legId: leg, cause })
      t.equal(ofType(failed, 'originate').length, 0, `${cause}: not rung again at once`)
      const early = h.advance(FAILED_DEVICE_PAUSE_MS - 100)
      t.equal(ofType(early, 'originate').length, 0, `${cause}: nor during the pause`)
      const after = h.advance(100)
      t.equal(ofType(after, 'originate').length, 1, `${cause}: rung again when the pause is over`)
    }
    // A no-answer already took the ring time: the caller is offered again at once.
    const h = new Harness({}, { check: true })
    h.send({
      type: 'config',
      config: config([queue('q1', '5000', { ringTimeSec: 5, autoLogoutAfter: 0 })], [agent('a1')]),
    })
    h.startAgents(['a1'])
    lastOriginate(h.arrive('c1', '5000'))
    const timeout = h.advance(5000)
    t.equal(ofType(timeout, 'originate').length, 1, 'no answer: offered again at once')
  },
)
