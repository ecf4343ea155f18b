/**
 * Issue 13: CallCenter.status(now, { callers: false }) — what /metrics reads — has every count of the full status
 * and no list of the waiting callers; the full status's per-queue tallies (one pass over agents and callers) agree
 * with the callers listed.
 */
import t from 'tap'
import { scaleWorld, SCALE_DEFAULTS } from '../../bench/sim/scale-world.js'

t.test('summary status = full status without the callers lists', async (t) => {
  const w = scaleWorld({ ...SCALE_DEFAULTS, queues: 5, agents: 20, waiting: 200, measureMs: 0 })
  w.runUntil(w.measureFrom - 1)
  const now = w.measureFrom
  const full = w.cc.status(now)
  const summary = w.cc.status(now, { callers: false })
  t.equal(
    full.queues.reduce((n, q) => n + q.callers.length, 0),
    200,
    '200 waiting, listed',
  )
  t.same(summary, { ...full, queues: full.queues.map((q) => ({ ...q, callers: [] })) }, 'the same but the lists')
  t.same(
    full.queues.map((q) => q.waiting),
    full.queues.map((q) => q.callers.length),
    'waiting = callers listed per queue',
  )
  const onCall = full.agents.filter((a) => a.state === 'on-call').length
  t.equal(
    full.queues.reduce((n, q) => n + q.connected, 0),
    onCall,
    'connected callers = agents on a call (one queue each)',
  )
  t.equal(
    full.queues.reduce((n, q) => n + q.agents.onCall, 0),
    onCall * 2,
    'each agent on a call counted in both its queues',
  )
})
