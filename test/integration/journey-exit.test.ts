/**
 * Issue 4 "Proof", leaving the queue: the maximum wait with its action, and the exit key pressed while on hold
 * (hold music is `playback` with loops -1, so the key is reported — endless_playback would swallow it).
 */
import t from 'tap'
import { heardOf, sound, startJourney } from '../helpers/journey-fixture.js'
import { VirtualTime } from '../helpers/virtual-time.js'

const FORWARD_TO = '0709990000'
const sv = (id: string) => sound('sv', id)

t.test('maximum wait: the caller leaves with its action at joinedAt + maxWait', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [
      { number: '5000', settings: { maxWaitSec: 2, maxWaitAction: { type: 'forward', destination: FORWARD_TO } } },
    ],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: true, source: 'api' })
  const call = j.sim.placeCall({ to: '5000', from: '0705000001' })
  await time.run(
    j.sim.waitFor(() => call.channel.profile.destination === FORWARD_TO, 5000, 'forwarded at the maximum wait'),
  )
  const joined = Number(call.variable('koplus_joined_at') ?? (await j.daemon.store.calls.get(call.uuid)).enteredQueueAt)
  const transferAt = Number((call.variable('transfer_source') ?? '').split(':')[0]) * 1000
  const moh = heardOf(call, sv('moh'))
  t.ok(moh.length >= 1 && moh.every((m) => m.interrupted), 'the music was cut')
  const left = moh.at(-1)!.endedAt! - joined
  t.ok(left >= 1950 && left < 2300, `left after ${left} ms (max wait 2000)`)
  t.ok(transferAt > 0, 'transferred')
  const ev = await j.daemon.store.events.list({ callId: call.uuid, event: 'EXITWITHTIMEOUT' })
  t.equal(ev.length, 1, 'EXITWITHTIMEOUT logged')
  t.equal((await j.daemon.store.calls.get(call.uuid)).outcome, 'max-wait')
  call.hangup()
})

t.test('exit key 0 pressed on hold → forward at once; other keys do nothing', async (t) => {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [{ number: '5000', settings: { exitKey: '0', exitAction: { type: 'forward', destination: FORWARD_TO } } }],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: true, source: 'api' })
  const call = j.sim.placeCall({ to: '5000', from: '0705000002' })
  await time.run(j.sim.waitFor(() => call.heard().some((h) => h.file === sv('moh')), 5000, 'on hold'))
  t.equal(call.channel.running?.call.app, 'playback', 'hold music is playback')
  t.equal(call.channel.running?.call.loops, -1, 'with loops -1')

  // '5' first, then the exit key: if any key left the queue, the exit would be logged with '5'.
  const pressedAt = time.now()
  call.pressKeys('50')
  await time.run(
    j.sim.waitFor(() => call.channel.profile.destination === FORWARD_TO, 3000, 'forwarded by the exit key'),
  )
  const took = time.now() - pressedAt
  t.ok(took < 300, `forwarded ${took} ms after the key`)
  t.ok(heardOf(call, sv('moh')).at(-1)!.interrupted, 'the music was stopped')
  const exits = await j.daemon.store.events.list({ callId: call.uuid, event: 'EXITWITHKEY' })
  t.equal(exits.length, 1, 'EXITWITHKEY logged once')
  t.equal((exits[0]?.data as { key?: string } | null)?.key, '0', 'by the exit key, not by the 5 before it')
  t.equal((await j.daemon.store.calls.get(call.uuid)).outcome, 'exit-key')
  call.hangup()
})
