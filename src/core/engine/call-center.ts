/**
 * The call centre: queues of callers, agents and the offers between them. Pure and event-driven: `handle(event,
 * now)` returns the commands the shell carries out; no I/O, no clock, no timers of its own (timers are
 * `set-timer` commands that come back as `timer` events).
 *
 * Decisions, in the words of a call centre:
 * - callers wait in arrival order; whenever an agent becomes free or a caller enters, the engine matches at once
 *   (`matchCallers`, matching.ts): the caller who has waited longest among an agent's queues goes first, queue
 *   priority breaking ties; the queue's strategy picks the agent(s) (`chooseAgents`: longest idle, ring-parallel,
 *   skills);
 * - an offer rings for the queue's ring time; an agent who does not answer goes back to free *keeping* their idle
 *   position, the no-answer is counted, and the caller moves on to an agent who has not yet been tried for them;
 * - after a conversation the agent does wrap-up (no call from any queue), then is free, idle from that instant;
 * - after N consecutive unanswered offers the agent is logged out of every queue (`autoLogoutAfterNoAnswers`).
 *
 * The engine is split along its seams, one file per concern sharing one EngineState (see README.md beside this
 * file); this file is the one entry, `handle(event, now)`, which routes each event to its part.
 *
 * Conventions the shell keeps:
 * - `set-timer` with an id already set replaces it; a `timer` event for an id the engine cleared or re-set is ignored.
 * - `play-leg` ends with a `prompt-finished` whose `callId` is the leg id (confirmation: with no key pressed;
 *   whisper: then the engine bridges). The confirmation prompt plays `queue-name` (resolved per queue from the
 *   configuration's prompt overrides) only when the queue has `whisper` on.
 * - `record` ends with a `prompt-finished` carrying the record's token.
 * - Ring timeout: legs still ringing get `hangup-leg` NO_ANSWER; the engine does not wait for `leg-failed`.
 * - A `config` event after start-up replaces queues/agents/memberships; `sessions` are applied only to agents
 *   the engine has not seen yet (start-up), so live state is never overwritten by an older copy.
 * - ConfigChange events (one per operator change) put one entity in place; schedule, calendar and closure changes
 *   affect callers arriving from then on; callers already queued keep their place. The engine times the next
 *   opening/closing itself (open-state.ts).
 * - Ids of offers, legs and recordings are derived from the call id and a counter (ids.ts): replaying the same
 *   events into a fresh engine gives the same commands.
 */
import type { Command } from '../commands.js'
import type { CoreEvent } from '../events.js'
import { isConfigChange } from './configuration.js'
import type { AgentStatus, CenterStatus, QueueStatus } from './status.js'
import { type CallCenterDeps, EngineState, recordStaffing } from './engine-state.js'
import { checkLogin, chooseDevice, type LoginCheck, loginAgent, logoutAgent, pauseAgent } from './agent-sessions.js'
import { applyConfig, applyConfigChange } from './apply-config.js'
import { legDtmf } from './confirmation.js'
import { featureCall } from './feature-calls.js'
import { callArrived, callDtmf, callHungup, promptFinished } from './journey.js'
import { matchCallers } from './matching.js'
import { legAnswered, legFailed, legHungup, onBridged, parkedAfterBridge } from './offers.js'
import { reviewOpenState } from './open-state.js'
import { reopenDrainedOverflows } from './queue-load.js'
import { restoreCaller } from './restore.js'
import { agentStatus, queueStatus, queueTallies } from './status-views.js'
import { timerFired } from './timers.js'
import { endWrapUpByAgent } from './wrap-up.js'
import { indexDisagreements } from './agent-index.js'
import { cancelCallback, moveCallback } from './callback.js'
import { callbackLegEvent } from './callback-call.js'
import { callbacksConfigChanged } from './callback-config.js'
import { callbackLegsFound, restoreCallbacks } from './callback-restore.js'

export type { CallCenterDeps, WaitEstimatorLike } from './engine-state.js'
export {
  CONFIRM_READ_TIMEOUT_SEC,
  CONFIRM_TIMEOUT_SEC,
  RECORD_CHOICE_TIMEOUT_SEC,
  RECORD_MAX_SEC,
  RECORD_SILENCE_SEC,
} from './engine-state.js'

/** Routes one event to the part of the engine that handles it. */
function route(st: EngineState, e: CoreEvent): void {
  if (isConfigChange(e)) {
    applyConfigChange(st, e)
    return callbacksConfigChanged(st)
  }
  switch (e.type) {
    case 'leg-answered':
    case 'leg-failed':
    case 'leg-hungup':
    case 'leg-dtmf':
    case 'prompt-finished':
      if (st.callbackLegs.size > 0 || e.type === 'leg-failed' || e.type === 'leg-hungup') {
        if (callbackLegEvent(st, e)) return
      }
  }
  switch (e.type) {
    case 'config':
      applyConfig(st, e.config)
      return restoreCallbacks(st, e.config.callbacks)
    case 'callback-cancel':
      return cancelCallback(st, e.callId, e.source)
    case 'callback-move':
      return moveCallback(st, e.callId, e.position, e.source)
    case 'callback-legs-found':
      return callbackLegsFound(st, e.legs)
    case 'call-arrived':
      return e.restored ? restoreCaller(st, e, e.restored) : callArrived(st, e)
    case 'calls-restored':
      for (const c of e.calls) {
        // Estimates cached in this step would be stale once the next caller is in line.
        st.estimates.clear()
        if (c.restored) restoreCaller(st, c, c.restored)
        else callArrived(st, c)
      }
      return
    case 'call-answered': {
      const c = st.callers.get(e.callId)
      if (c) c.answered = true
      return
    }
    case 'prompt-finished':
      return promptFinished(st, e.callId, e.token, e.interrupted)
    case 'call-dtmf':
      return callDtmf(st, e.callId, e.digit)
    case 'call-hungup':
      return callHungup(st, e.callId, e.cause)
    case 'call-parked-after-bridge':
      return parkedAfterBridge(st, e.callId)
    case 'leg-ringing':
      return
    case 'leg-answered':
      return legAnswered(st, e.legId)
    case 'leg-failed':
      return legFailed(st, e.legId, e.cause)
    case 'leg-dtmf':
      return legDtmf(st, e.legId, e.digit)
    case 'bridged':
      return onBridged(st, e.callId, e.legId)
    case 'leg-hungup':
      return legHungup(st, e.legId, e.cause)
    case 'agent-login':
      loginAgent(st, e.agentId, e.queueIds, e.source)
      return
    case 'agent-logout':
      logoutAgent(st, e.agentId, e.queueIds, e.source, e.reason)
      return
    case 'agent-pause':
      pauseAgent(st, e.agentId, e.paused, e.reason, e.source)
      return
    case 'agent-device':
      chooseDevice(st, e.agentId, e.deviceIndex, e.source)
      return
    case 'agent-end-wrapup':
      endWrapUpByAgent(st, e.agentId, e.source)
      return
    case 'registration': {
      // A refresh (registered again) counts nothing twice: the count moves only when `registered` changes.
      const key = `${e.sipUser}@${e.domain}`.toLowerCase()
      const user = e.sipUser.toLowerCase()
      if (e.registered) {
        if (st.registered.has(key)) return
        st.registered.add(key)
        st.registeredIn.set(user, (st.registeredIn.get(user) ?? 0) + 1)
      } else if (st.registered.delete(key)) {
        const n = (st.registeredIn.get(user) ?? 1) - 1
        if (n > 0) st.registeredIn.set(user, n)
        else st.registeredIn.delete(user)
      }
      return
    }
    case 'device-busy':
      if (e.busy) st.busyDevices.add(e.target)
      else st.busyDevices.delete(e.target)
      return
    case 'feature-call':
      return featureCall(st, e.callId, e.digits, e.sipUser, e.domain)
    case 'timer':
      return timerFired(st, e.id)
    case 'reevaluate':
      // Opening hours apply to callers arriving; callers already in the queue keep their place.
      return reviewOpenState(st)
  }
}

/** The pure call-centre engine. One instance per daemon. */
export class CallCenter {
  readonly #s: EngineState

  constructor(deps: CallCenterDeps = {}) {
    this.#s = new EngineState(deps)
  }

  /** Handle one event at instant `now`; returns the commands to carry out, in order. */
  handle(event: CoreEvent, now: number): Command[] {
    this.#s.out = []
    this.#s.now = now
    this.#s.estimates.clear()
    route(this.#s, event)
    matchCallers(this.#s)
    reopenDrainedOverflows(this.#s)
    recordStaffing(this.#s)
    const out = this.#s.out
    this.#s.out = []
    return out
  }

  /**
   * Would this login be allowed? For the API/CLI before sending `agent-login`. `queueIds` omitted = all the
   * agent's queues.
   */
  checkLogin(agentId: string, queueIds?: string[]): LoginCheck {
    return checkLogin(this.#s, agentId, queueIds)
  }

  /**
   * Self-check of the incremental agent index (agent-index.ts) against a recount over every agent: where they
   * disagree, in words; empty when they agree. O(agents): for tests and diagnostics, not for every event.
   */
  indexDisagreements(): string[] {
    return indexDisagreements(this.#s.agentIndex, this.#s.agents.values())
  }

  /**
   * The live picture (A2): per queue and per agent. `callers: false` leaves out the list of every waiting caller
   * (the counts stay): what /metrics needs, at a fraction of the cost with 10,000 waiting.
   */
  status(now: number, opts: { callers?: boolean } = {}): CenterStatus {
    const queues: QueueStatus[] = []
    const tallies = queueTallies(this.#s)
    for (const q of this.#s.queues.values()) queues.push(queueStatus(this.#s, q, now, tallies, opts.callers !== false))
    const agents: AgentStatus[] = []
    for (const a of this.#s.agents.values()) agents.push(agentStatus(this.#s, a))
    return { at: now, queues, agents }
  }
}
