/**
 * Issue 14: a daemon restart in the middle of a callback attempt, against the FreeSWITCH simulator over TCP on a
 * virtual clock. The new daemon finds the attempt's legs among FreeSWITCH's channels and carries on: the person's
 * phone still ringing → it waits for the answer and the 1; the person already talking to the agent → the call is
 * simply connected and ends as usual; the person's leg gone meanwhile → the attempt failed and is retried after
 * callbackRetryMin.
 */
import t from 'tap'
import type { Channel } from '../../src/simulator/channel.js'
import { askCallback, PERSON_ANSWERS, setup, sv } from '../helpers/callback-fixture.js'
import { until, type Journey } from '../helpers/journey-fixture.js'
import type { VirtualTime } from '../helpers/virtual-time.js'

const RINGING = { neverAnswer: true } as const

/** The agent takes the callback; resolves with the agent's and the person's legs once the person's phone rings. */
async function attemptStarted(
  j: Journey,
  time: VirtualTime,
  callId: string,
): Promise<{ agent: Channel; person: Channel }> {
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: false, source: 'api' })
  // Watched on the simulator, not polled in the store: a poll of the store lets the virtual clock run on between
  // reads (a store read is not a byte in flight), so the person's phone could ring out before the poll saw the dial.
  const legOf = (dial: RegExp) => {
    const o = j.sim.originates.find((x) => x.arg.includes(`koplus_call=${callId}`) && dial.test(x.arg))
    return o && /origination_uuid=([0-9a-f-]+)/.exec(o.arg)?.[1]
  }
  await time.run(
    j.sim.waitFor(
      () => {
        const id = legOf(/sofia\/gateway\//)
        return !!id && !!j.sim.channel(id)
      },
      10_000,
      'the person is dialled',
    ),
  )
  const personLeg = legOf(/sofia\/gateway\//)!
  const agentLeg = legOf(/user\/1001/)!
  const dial = (await events(j, callId, 'CALLBACKDIAL'))[0]
  if ((dial?.data as { legId?: string } | undefined)?.legId !== personLeg)
    throw new Error(`the dial logged (${JSON.stringify(dial)}) is not the person's leg ${personLeg}`)
  return { agent: j.sim.channel(agentLeg)!, person: j.sim.channel(personLeg)! }
}

/** The event log of a call, once the daemon's queued writes are in. */
const events = async (j: Journey, callId: string, event: string) => {
  await j.daemon.persisted()
  return j.daemon.store.events.list({ callId, event })
}
const restoredState = async (j: Journey, callId: string) =>
  ((await events(j, callId, 'CALLBACKRESTORED'))[0]?.data as { state?: string } | undefined)?.state

t.test('restart while the person is ringing: the same attempt goes on, answered and connected', async (t) => {
  const { j, time } = await setup(t, { callbackRingSec: 60 }, RINGING)
  const call = await askCallback(j, time, '0701234567')
  const { agent, person } = await attemptStarted(j, time, call.uuid)
  await j.restart()
  t.equal(agent.hungUp || person.hungUp, false, 'neither leg was hung up by the new daemon')
  t.equal(j.daemon.status().agents[0].state, 'on-call', 'the agent is busy with the callback')
  t.equal(await restoredState(j, call.uuid), 'ringing', 'audited')
  j.sim.answer(person)
  await time.run(
    j.sim.waitFor(() => person.heard.some((h) => h.file === sv('callback-greeting')), 5000, 'the greeting'),
  )
  j.sim.receiveDtmf(person, '1')
  await time.run(
    until(async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'completed', 10_000, 'connected'),
  )
  t.equal(agent.bridge?.uuid, person.uuid, 'the agent and the person are bridged')
  t.equal((await events(j, call.uuid, 'CALLBACKDIAL')).length, 1, 'one attempt: nobody dialled twice')
  t.equal((await j.daemon.store.callbacks.get(call.uuid))?.attempts, 1)
})

t.test('restart during the conversation: not cut; its end is recorded and the agent goes on', async (t) => {
  const { j, time } = await setup(t, { wrapUpSec: 0 }, PERSON_ANSWERS)
  const call = await askCallback(j, time, '0701234567')
  const { agent, person } = await attemptStarted(j, time, call.uuid)
  await time.run(
    until(async () => (await j.daemon.store.callbacks.get(call.uuid))?.state === 'completed', 10_000, 'connected'),
  )
  await j.restart()
  await time.advance(5000)
  t.equal(agent.hungUp || person.hungUp, false, 'the conversation goes on after the restart')
  t.equal(j.daemon.status().agents[0].state, 'on-call', 'the agent is on the call')
  t.equal(await restoredState(j, call.uuid), 'connected', 'audited')
  j.sim.hangup(person)
  const record = await time.run(
    until(async () => {
      const r = await j.daemon.store.calls.find(call.uuid)
      return r?.endedAt ? r : undefined
    }),
  )
  t.equal(record.outcome, 'answered', 'the call record completes as answered')
  t.equal((await events(j, call.uuid, 'COMPLETECALLER')).length, 1, 'the person hung up')
  await time.run(j.sim.waitFor(() => agent.hungUp, 5000, "the agent's leg ends too"))
  t.equal(j.daemon.status().agents[0].state, 'free', 'the agent is free for the next call')
})

t.test(
  'the person hung up while the daemon was down: the attempt failed, retried after callbackRetryMin',
  async (t) => {
    const { j, time } = await setup(t, { callbackRingSec: 60 }, RINGING)
    const call = await askCallback(j, time, '0701234567')
    const { agent, person } = await attemptStarted(j, time, call.uuid)
    const firstDial = (await events(j, call.uuid, 'CALLBACKDIAL'))[0].at
    await j.daemon.stop()
    j.sim.hangup(person, 'NO_ANSWER')
    await j.restart()
    await time.run(j.sim.waitFor(() => agent.hungUp, 5000, "the agent's leg is ended"))
    t.equal(j.daemon.status().agents[0].state, 'free', 'the agent is free at once')
    await j.daemon.persisted()
    const record = await j.daemon.store.calls.find(call.uuid)
    t.same(
      [record?.outcome, record?.endedAt],
      ['callback', null],
      'the call record stays open: not closed as abandoned by the restart',
    )
    t.same(
      j.daemon.status().queues[0].callers.map((c) => [c.callId, c.callback?.attempts]),
      [[call.uuid, 1]],
      'the callback keeps its place, one attempt counted',
    )
    await time.run(
      until(async () => (await events(j, call.uuid, 'CALLBACKDIAL'))[1], 200_000, 'the second attempt'),
      'the retry',
      { maxMs: 300_000 },
    )
    const second = (await events(j, call.uuid, 'CALLBACKDIAL'))[1]
    t.ok(second.at - firstDial >= 60_000, `retried ${second.at - firstDial} ms after the first attempt (1 minute)`)
    t.equal((second.data as { attempt: number }).attempt, 2, 'as attempt 2')
  },
)
