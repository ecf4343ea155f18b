/**
 * Issue 14 integration tests: a queue offering callback, one agent (paused at first) and the called-back person as
 * a `sofia/gateway/…` endpoint of the simulator (the default callback.dialString), on a virtual clock.
 */
import type { Test } from 'tap'
import type { QueueSettings } from '../../src/core/model.js'
import type { EndpointBehaviour } from '../../src/simulator/endpoints.js'
import type { SimCall } from '../../src/simulator/simulator.js'
import { heardOf, sound, startJourney, type Journey } from './journey-fixture.js'
import { VirtualTime } from './virtual-time.js'

export const sv = (id: string): string => sound('sv', id)
export const CB: Partial<QueueSettings> = {
  callbackKey: '1',
  announcePosition: true,
  positionIntervalSec: 30,
  callbackRetries: 1,
  callbackRetryMin: 1,
}
export const GATEWAY = /^sofia\/gateway\/default\//
export const PERSON_ANSWERS: EndpointBehaviour = { answerAfterMs: 500, pressKeys: { keys: '1', afterMs: 3000 } }

export async function setup(
  t: Test,
  over: Partial<QueueSettings> = {},
  person: EndpointBehaviour = PERSON_ANSWERS,
): Promise<{ j: Journey; time: VirtualTime }> {
  const time = new VirtualTime()
  const j = await startJourney(t, {
    time,
    queues: [{ number: '5000', settings: { ...CB, ...over } }],
    agents: [{ extension: '1001', loggedIn: ['5000'] }],
  })
  j.sim.endpoint(GATEWAY, person)
  j.daemon.dispatch({ type: 'agent-pause', agentId: j.seeded.agents['1001'], paused: true, source: 'api' })
  return { j, time }
}

/** A caller waits, hears the offer after the position, presses 1, confirms (1) or types `typed`; the call ends. */
export async function askCallback(j: Journey, time: VirtualTime, from: string, typed?: string): Promise<SimCall> {
  const call = j.sim.placeCall({ to: '5000', from })
  await time.run(j.sim.waitFor(() => heardOf(call, sv('callback-offer')).length > 0, 5000, 'the callback offer'))
  call.pressKeys('1')
  const ask = typed !== undefined && from === 'anonymous' ? 'callback-type-number' : 'callback-accept-or-type'
  await time.run(j.sim.waitFor(() => heardOf(call, sv(ask)).length > 0, 5000, `asked: ${ask}`))
  call.pressKeys(typed === undefined ? '1' : `${typed}#`)
  await time.run(j.sim.waitFor(() => call.channel.hungUp, 20000, 'the call ends after the confirmation'))
  return call
}

/** The waiting callers of the (only) queue, with the callback's number when it is one. */
export const queued = (j: Journey): { callId: string; callback: string | undefined }[] =>
  j.daemon.status().queues[0].callers.map((c) => ({ callId: c.callId, callback: c.callback?.number }))
