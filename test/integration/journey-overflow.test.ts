/**
 * Issue 4 "Proof", overflow (D4): automatic closing by queue length and by the longest wait, with hysteresis —
 * new callers get the overflow message (early media) and the overflow action; the queue reopens by itself once
 * the load is below the reopen ratio of the thresholds. Also an overflow forwarded to another koplus queue.
 */
import t from 'tap'
import type { SimCall } from '../../src/simulator/simulator.js'
import { files, heardOf, sound, startJourney, type Journey } from '../helpers/journey-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const FORWARD_TO = '0709990000'
const sv = (id: string) => sound('sv', id)

/** Pause / unpause every agent through the daemon (as the API does): callers then wait. */
function pauseAll(j: Journey, paused: boolean): void {
  for (const agentId of Object.values(j.seeded.agents))
    j.daemon.dispatch({ type: 'agent-pause', agentId, paused, source: 'api' })
}

/** Resolves once the caller is queued (koplus_seq set on the channel) and hears music. */
async function queued(time: VirtualTime, j: Journey, call: SimCall): Promise<void> {
  await time.run(
    j.sim.waitFor(
      () => !!call.variable('koplus_seq') && call.heard().some((h) => h.file === sv('moh')),
      5000,
      `${call.uuid} queued`,
    ),
  )
}

/** Resolves once the call was turned away with the overflow message; returns when it ended / was transferred. */
async function overflowed(time: VirtualTime, j: Journey, call: SimCall, action: 'busy' | 'forward'): Promise<void> {
  if (action === 'busy') await time.run(call.waitForState('hungup', 5000), 'call hungup')
  else await time.run(j.sim.waitFor(() => call.channel.profile.destination === FORWARD_TO, 5000, 'forwarded'))
}

t.test('overflow by length (max 2 waiting, reopen below 0.5 × 2): busy, with hysteresis', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        settings: { overflowMaxCallers: 2, overflowReopenRatio: 0.5, overflowAction: { type: 'busy' } },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  pauseAll(j, true)
  const c1 = j.sim.placeCall({ to: '5000', from: '0703000001' })
  await queued(time, j, c1)
  const c2 = j.sim.placeCall({ to: '5000', from: '0703000002' })
  await queued(time, j, c2)

  const c3 = j.sim.placeCall({ to: '5000', from: '0703000003' })
  await overflowed(time, j, c3, 'busy')
  t.same(files(c3), [sv('overflow')], 'the third caller hears only the overflow message')
  t.notOk(heardOf(c3, sv('overflow'))[0].interrupted, 'in full')
  t.equal(c3.channel.answeredAt, 0, 'not answered (early media)')
  t.ok(c3.channel.progressMediaAt > 0, 'pre_answer')
  t.equal(c3.hangupCause, 'USER_BUSY', 'busy')
  t.equal((await j.daemon.store.events.list({ event: 'OVERFLOWSTART' })).length, 1, 'OVERFLOWSTART logged once')

  // One caller leaves: 1 waiting is not below 0.5 × 2 — still overflowing (hysteresis).
  c1.hangup()
  await time.until(() => j.daemon.status().queues[0].waiting === 1, 'one waiting')
  const c4 = j.sim.placeCall({ to: '5000', from: '0703000004' })
  await overflowed(time, j, c4, 'busy')
  t.same(files(c4), [sv('overflow')], 'with 1 waiting the queue is still closed (hysteresis)')

  // The second leaves: 0 waiting, below the reopen level — the next caller enters.
  c2.hangup()
  await time.until(() => j.daemon.status().queues[0].waiting === 0, 'none waiting')
  t.equal(
    j.daemon.status().queues[0].overflowing,
    false,
    'the status shows the queue reopened as soon as it drained (not at the next arrival)',
  )
  t.equal(
    (await j.daemon.store.events.list({ event: 'OVERFLOWEND' })).length,
    1,
    'OVERFLOWEND logged when the queue drained',
  )
  const c5 = j.sim.placeCall({ to: '5000', from: '0703000005' })
  await queued(time, j, c5)
  t.ok(c5.channel.answeredAt > 0, 'the queue reopened: the caller is answered and queued')
  t.equal((await j.daemon.store.events.list({ event: 'OVERFLOWEND' })).length, 1, 'OVERFLOWEND logged once')
  c5.hangup()
})

t.test('overflow by wait (longest wait ≥ 2 s, reopen below 1 s): forward, with hysteresis', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      {
        number: '5000',
        settings: {
          overflowMaxWaitSec: 2,
          overflowReopenRatio: 0.5,
          overflowAction: { type: 'forward', destination: FORWARD_TO },
        },
      },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  pauseAll(j, true)
  const c1 = j.sim.placeCall({ to: '5000', from: '0703000011' })
  await queued(time, j, c1)
  const joined = Number(c1.variable('koplus_joined_at'))

  await time.advanceTo(joined + 1500) // the first caller has waited 1.5 s
  const cx = j.sim.placeCall({ to: '5000', from: '0703000012' })
  await queued(time, j, cx)
  t.pass('under the limit a second caller enters')

  await time.advanceTo(joined + 2100) // the first caller has waited 2.1 s
  const c2 = j.sim.placeCall({ to: '5000', from: '0703000013' })
  await overflowed(time, j, c2, 'forward')
  t.same(files(c2), [sv('overflow')], 'overflow message, then forwarded')
  t.ok(
    c2.channel.answeredAt === 0 || c2.channel.answeredAt >= heardOf(c2, sv('overflow'))[0].endedAt!,
    'not answered by koplus',
  )
  t.equal(c2.channel.profile.destination, FORWARD_TO)
  c2.hangup()

  // The longest waiter is served; the next one has waited between 1 s and 2 s: below the limit, but not below the
  // reopen level — still closed.
  pauseAll(j, false)
  await time.run(c1.waitForState('bridged', 5000), 'c1 bridged')
  const cxWaited = time.now() - Number(cx.variable('koplus_joined_at'))
  const c3 = j.sim.placeCall({ to: '5000', from: '0703000014' })
  await overflowed(time, j, c3, 'forward')
  t.ok(
    cxWaited > 1000 && cxWaited < 2000,
    `with the longest wait at ${cxWaited} ms (limit 2000, reopen below 1000) the queue stays closed`,
  )
  c3.hangup()

  // The queue drains: it reopens.
  cx.hangup()
  await time.until(() => j.daemon.status().queues[0].waiting === 0, 'queue empty')
  const c4 = j.sim.placeCall({ to: '5000', from: '0703000015' })
  await queued(time, j, c4)
  t.notOk(
    c4.heard().some((h) => h.file === sv('overflow')),
    'the queue reopened: no overflow message',
  )
  c1.hangup()
  c4.hangup()
})

t.test('overflow forwarded to another koplus queue: the caller is taken up by that queue', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      { number: '5000', settings: { overflowMaxCallers: 1, overflowAction: { type: 'forward', destination: '5001' } } },
      { number: '5001', settings: { firstMessagePrompt: 'queue-first' } },
    ],
    agents: [
      { extension: '1001', loggedIn: ['5000'] },
      { extension: '1002', loggedIn: ['5001'] },
    ],
  })
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: true, source: 'api' })
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1002'], paused: true, source: 'api' })
  const c1 = j.sim.placeCall({ to: '5000', from: '0703000021' })
  await queued(time, j, c1)
  const c2 = j.sim.placeCall({ to: '5000', from: '0703000022' })
  await time.run(j.sim.waitFor(() => c2.channel.profile.destination === '5001', 5000, 'forwarded to 5001'))
  await time.run(
    j.sim.waitFor(() => c2.heard().some((h) => h.file === sv('queue-first')), 5000, 'queue 5001 takes the caller'),
  )
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1002'], paused: false, source: 'api' })
  await time.run(c2.waitForState('bridged', 5000), 'c2 bridged')
  t.match(j.sim.channel(c2.bridgedTo!)?.name ?? '', /1002/, 'connected to the agent of queue 5001')
  const rec = await j.daemon.store.calls.find(c2.uuid)
  t.equal(rec?.queueId, j.seeded.queues['5001'], 'the call record follows the caller to 5001')
  c1.hangup()
  c2.hangup()
})
