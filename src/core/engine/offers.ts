/**
 * Offers and legs: ring-out and ring-parallel (one originate with one leg per agent), the first leg answered wins,
 * the others are cancelled; ring timeout, failures, the bridge, the conversation's end. Confirmation and whisper:
 * confirmation.ts.
 */
import type { Command } from '../commands.js'
import {
  CAUSE,
  FAILED_DEVICE_PAUSE_MS,
  NOT_COUNTED_CAUSES,
  type AgentRt,
  type CallerRt,
  type LegRt,
  type OfferRt,
  offerOutcome,
  type EngineState,
  clearTimer,
  emit,
  estimatorOf,
  newId,
  newToken,
  promptFiles,
  queueLog,
  setTimer,
  markTried,
} from './engine-state.js'
import { activeDeviceOf, dialStringOf } from './agent-availability.js'
import { countUnanswered } from './auto-logout.js'
import { askConfirmation } from './confirmation.js'
import { callbackAgentAnswered, callbackAgentDropped, dialCallback } from './callback-call.js'
import { armQueueTimers, forgetCaller, insertInLine, removeFromLine, startHoldMusic } from './journey.js'
import { startWrapUp } from './wrap-up.js'

/** Ring one or more agents for a caller: one originate with a leg per agent, and the ring-time timer. */
export function offerCall(st: EngineState, caller: CallerRt, agents: AgentRt[]): void {
  const queue = st.queues.get(caller.queueId)!
  const s = queue.settings
  const offer: OfferRt = {
    id: newId(st, caller.callId),
    callId: caller.callId,
    queueId: queue.id,
    startedAt: st.now,
    legs: [],
  }
  const legs: Extract<Command, { type: 'originate' }>['legs'] = []
  for (const a of agents) {
    const device = activeDeviceOf(a)!
    const leg: LegRt = {
      legId: newId(st, caller.callId),
      offerId: offer.id,
      callId: caller.callId,
      agentId: a.agent.id,
      confirm: s.confirmOn.includes(device.type),
      whisper: s.whisper,
      state: 'ringing',
    }
    offer.legs.push(leg)
    st.legs.set(leg.legId, leg)
    a.busy = 'ringing'
    a.legId = leg.legId
    a.callId = caller.callId
    legs.push({
      legId: leg.legId,
      agentId: a.agent.id,
      dialString: dialStringOf(st, a, device),
      confirm: leg.confirm,
      whisper: leg.whisper,
    })
    emit(st, {
      type: 'offer-record',
      legId: leg.legId,
      callId: caller.callId,
      agentId: a.agent.id,
      at: st.now,
      device: `${device.type}:${device.target}`,
    })
  }
  st.offers.set(offer.id, offer)
  caller.offerId = offer.id
  if (caller.tried.size === 0) estimatorOf(st, queue).recordServiceStart?.(st.now, st.now > caller.joinedAt)
  emit(st, {
    type: 'originate',
    callId: caller.callId,
    offerId: offer.id,
    legs,
    timeoutSec: s.ringTimeSec,
    callerIdName: `${queue.name} ${caller.callerName || caller.callerNumber}`.trim(),
    callerIdNumber: caller.callerNumber,
    queueId: queue.id,
  })
  for (const l of offer.legs)
    queueLog(st, 'RINGING', caller.callId, queue.id, l.agentId, { offerId: offer.id, legId: l.legId })
  setTimer(st, `offer:${offer.id}`, st.now + s.ringTimeSec * 1000)
}

export function legAnswered(st: EngineState, legId: string): void {
  const leg = st.legs.get(legId)
  if (!leg || leg.state !== 'ringing') return
  const offer = st.offers.get(leg.offerId)
  const caller = st.callers.get(leg.callId)
  if (!offer || !caller) return
  if (offer.winner) {
    // Another leg already took the caller: this one lost the race.
    releaseLeg(st, leg, CAUSE.loseRace, false)
    return
  }
  if (leg.confirm) return askConfirmation(st, leg, caller)
  legWins(st, offer, leg, caller)
}

/** First to answer wins: the other legs are cancelled at once; the caller leaves the waiting line. */
export function legWins(st: EngineState, offer: OfferRt, leg: LegRt, caller: CallerRt, confirmed = false): void {
  offer.winner = leg.legId
  emit(st, {
    type: 'offer-record',
    legId: leg.legId,
    callId: leg.callId,
    agentId: leg.agentId,
    at: st.now,
    result: 'answered',
    answeredAt: st.now,
  })
  clearTimer(st, `offer:${offer.id}`)
  for (const other of offer.legs)
    if (other !== leg && other.state !== 'done') releaseLeg(st, other, CAUSE.cancel, false, 'lost race')
  const agent = st.agents.get(leg.agentId)!
  agent.busy = 'on-call'
  agent.unanswered = 0
  removeFromLine(st, caller)
  caller.phase = 'connecting'
  caller.agentId = agent.agent.id
  caller.legId = leg.legId
  clearTimer(st, `ann:${caller.callId}`)
  clearTimer(st, `maxwait:${caller.callId}`)
  clearTimer(st, `widen:${caller.callId}`)
  if (caller.callback && callbackAgentAnswered(st, caller, leg)) return
  if (leg.whisper && !confirmed) {
    const queue = st.queues.get(caller.queueId)!
    leg.state = 'whisper'
    leg.token = newToken(st, 'whisper', leg.legId)
    emit(st, {
      type: 'play-leg',
      legId: leg.legId,
      files: promptFiles(st, ['queue-name'], queue.settings.language, queue),
      token: leg.token,
      collectDigit: false,
    })
    return
  }
  connect(st, caller, leg)
}

/** Bridge at once: whatever the caller hears is cut first, so an announcement never delays the connection. */
export function connect(st: EngineState, caller: CallerRt, leg: LegRt): void {
  if (caller.callback) return dialCallback(st, caller, leg)
  leg.state = 'won'
  caller.playing = undefined
  emit(st, { type: 'stop-audio', callId: caller.callId })
  // Names the leg before the bridge: if the daemon dies before it hears of the bridge (and can set
  // koplus_connected), FreeSWITCH's own last_bridge_to on the caller still tells a rebuild that it was connected.
  emit(st, {
    type: 'set-vars',
    callId: caller.callId,
    vars: { koplus_bridge_leg: leg.legId, koplus_bridge_agent: leg.agentId },
  })
  emit(st, { type: 'bridge', callId: caller.callId, legId: leg.legId })
}

/**
 * A leg stops ringing without taking the caller. `counts`: an unanswered offer (no answer, busy, rejected,
 * not confirmed), counted toward auto-logout; a cancelled or lost-race leg is not. The agent is free again,
 * keeping their idle position; the caller will try other agents first.
 */
export function releaseLeg(
  st: EngineState,
  leg: LegRt,
  cause: string,
  counts: boolean,
  why?: string,
  hangup = true,
): void {
  if (leg.state === 'done') return
  const wasAnswered = leg.state !== 'ringing'
  if (leg.state === 'confirming') clearTimer(st, `confirm:${leg.legId}`)
  leg.state = 'done'
  st.legs.delete(leg.legId)
  if (hangup) emit(st, { type: 'hangup-leg', legId: leg.legId, cause })
  emit(st, {
    type: 'offer-record',
    legId: leg.legId,
    callId: leg.callId,
    agentId: leg.agentId,
    at: st.now,
    result: offerOutcome(cause, why),
    cause,
    endedAt: st.now,
  })
  const offer = st.offers.get(leg.offerId)
  const caller = st.callers.get(leg.callId)
  const agent = st.agents.get(leg.agentId)
  if (agent && agent.legId === leg.legId) {
    agent.busy = 'none'
    agent.legId = undefined
    agent.callId = undefined
  }
  if (counts && agent && cause !== CAUSE.noAnswer && why === undefined) {
    agent.retryAt = st.now + FAILED_DEVICE_PAUSE_MS
    setTimer(st, `retry:${agent.agent.id}`, agent.retryAt)
  }
  if (counts && offer) {
    queueLog(st, 'RINGNOANSWER', leg.callId, offer.queueId, leg.agentId, {
      ringMs: st.now - offer.startedAt,
      cause,
      ...(why ? { reason: why } : {}),
      answered: wasAnswered,
    })
    if (caller) markTried(caller, leg.agentId)
    if (agent) countUnanswered(st, agent, st.queues.get(offer.queueId))
  }
  if (offer && offer.legs.every((l) => l.state === 'done')) endOffer(st, offer)
}

/** The offer is over without a connection: the caller waits again in their place. */
function endOffer(st: EngineState, offer: OfferRt): void {
  st.offers.delete(offer.id)
  clearTimer(st, `offer:${offer.id}`)
  const caller = st.callers.get(offer.callId)
  if (!caller || caller.offerId !== offer.id) return
  caller.offerId = undefined
  if (caller.phase === 'connecting') {
    // The winner dropped before the bridge: back into the line at the caller's place.
    caller.phase = 'queued'
    caller.agentId = undefined
    caller.legId = undefined
    if (caller.callback) return callbackAgentDropped(st, caller)
    insertInLine(st, caller)
    startHoldMusic(st, caller)
    armQueueTimers(st, caller)
  }
}

/** Cancel whatever rings for a caller (the caller left): legs cancelled, nobody charged a no-answer. */
export function cancelOffer(st: EngineState, caller: CallerRt): void {
  const offer = caller.offerId ? st.offers.get(caller.offerId) : undefined
  if (!offer) return
  for (const l of offer.legs) releaseLeg(st, l, CAUSE.cancel, false)
  endOffer(st, offer)
  caller.offerId = undefined
}

export function legFailed(st: EngineState, legId: string, cause: string): void {
  const leg = st.legs.get(legId)
  if (!leg) return
  if (leg.state === 'won' || leg.state === 'whisper') {
    // The agent hung up after answering, before the bridge: the caller waits again, trying others first.
    const waiting = st.callers.get(leg.callId)
    if (waiting) markTried(waiting, leg.agentId)
    releaseLeg(st, leg, cause, false, 'hung up before bridge', false)
    return
  }
  clearTimer(st, `confirm:${leg.legId}`)
  releaseLeg(st, leg, cause, !NOT_COUNTED_CAUSES.has(cause), undefined, false)
}

/** Ring time passed: legs still ringing stop and count as unanswered. Confirming legs have their own timer. */
export function offerTimedOut(st: EngineState, offerId: string): void {
  const offer = st.offers.get(offerId)
  if (!offer || offer.winner) return
  for (const l of offer.legs) if (l.state === 'ringing') releaseLeg(st, l, CAUSE.noAnswer, true, 'ring timeout')
}

export function onBridged(st: EngineState, callId: string, legId: string): void {
  const caller = st.callers.get(callId)
  const leg = st.legs.get(legId)
  if (!caller || !leg || leg.callId !== callId) return
  if (caller.phase !== 'connecting') return
  leg.state = 'won'
  caller.phase = 'bridged'
  caller.answeredAt = st.now
  const queue = st.queues.get(caller.queueId)!
  const offer = st.offers.get(leg.offerId)
  queueLog(st, 'CONNECT', callId, queue.id, leg.agentId, {
    holdSec: Math.round((st.now - caller.joinedAt) / 1000),
    ringMs: offer ? st.now - offer.startedAt : 0,
    legId,
  })
  emit(st, { type: 'call-record', record: { callId, answeredAt: st.now, agentId: leg.agentId } })
  // Marks the channel as connected, so a rebuild that finds the caller parked again (the agent hung up while the
  // daemon was away) ends the call instead of offering it again (docs/channel-variables.md).
  emit(st, {
    type: 'set-vars',
    callId,
    vars: { koplus_connected: String(st.now), koplus_connected_agent: leg.agentId },
  })
  estimatorOf(st, queue).recordAnswered(st.now, st.now - caller.joinedAt, offer ? st.now - offer.startedAt : undefined)
  if (offer) st.offers.delete(offer.id)
  caller.offerId = undefined
}

/** The agent hung up after the conversation: the agent goes to wrap-up; the caller is parked (park_after_bridge). */
export function legHungup(st: EngineState, legId: string, cause: string): void {
  const leg = st.legs.get(legId)
  if (!leg) return
  const caller = st.callers.get(leg.callId)
  if (leg.state !== 'won' || !caller || caller.phase !== 'bridged') {
    // Hung up before the bridge completed: as a failure.
    return legFailed(st, legId, cause)
  }
  endConversation(st, caller, 'COMPLETEAGENT', cause)
  caller.phase = 'after'
}

export function parkedAfterBridge(st: EngineState, callId: string): void {
  const caller = st.callers.get(callId)
  if (!caller) return
  if (caller.phase === 'bridged') endConversation(st, caller, 'COMPLETEAGENT', CAUSE.normal)
  if (caller.phase === 'bridged' || caller.phase === 'after') {
    emit(st, { type: 'hangup', callId, cause: CAUSE.normal })
    forgetCaller(st, caller)
  }
}

/** The conversation is over: log it, feed the estimator, and send the agent to wrap-up. */
export function endConversation(
  st: EngineState,
  caller: CallerRt,
  event: 'COMPLETEAGENT' | 'COMPLETECALLER',
  cause: string,
): void {
  const queue = st.queues.get(caller.queueId)
  const talkMs = st.now - (caller.answeredAt ?? st.now)
  const legId = caller.legId!
  const leg = st.legs.get(legId)
  if (leg) {
    leg.state = 'done'
    st.legs.delete(legId)
  }
  // 'answered' again: a daemon killed between the bridge and its writes left the offer open.
  emit(st, {
    type: 'offer-record',
    legId,
    callId: caller.callId,
    agentId: caller.agentId ?? '',
    at: st.now,
    result: 'answered',
    endedAt: st.now,
  })
  queueLog(st, event, caller.callId, caller.queueId, caller.agentId ?? '', {
    holdSec: Math.round((caller.answeredAt! - caller.joinedAt) / 1000),
    talkSec: Math.round(talkMs / 1000),
    cause,
  })
  // The answer time again: a daemon killed between the bridge and its writes never recorded it.
  emit(st, {
    type: 'call-record',
    record: {
      callId: caller.callId,
      outcome: 'answered',
      endedAt: st.now,
      agentId: caller.agentId,
      ...(caller.answeredAt !== undefined ? { answeredAt: caller.answeredAt } : {}),
    },
  })
  const agent = caller.agentId ? st.agents.get(caller.agentId) : undefined
  if (agent && agent.legId === legId) {
    agent.handling = queue ? { queueId: queue.id, talkMs, wrapFrom: st.now } : undefined
    startWrapUp(st, agent, queue)
  } else if (queue) {
    estimatorOf(st, queue).recordHandled(st.now, talkMs)
  }
}
