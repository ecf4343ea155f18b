/**
 * Restart: callers and conversations handed back after a daemon restart keep their place, time waited and
 * announcement state.
 */
import type { CoreEvent, RestoredCall } from '../events.js'
import type { Queue } from '../model.js'
import { decodeAnnounceState } from '../journey/index.js'
import {
  CAUSE,
  type AgentRt,
  type CallerRt,
  type LegRt,
  type EngineState,
  emit,
  newCaller,
  queueLog,
} from './engine-state.js'
import { announceIfDue, positionOf } from './announcements.js'
import {
  armQueueTimers,
  callArrived,
  insertInLine,
  persist,
  startHoldMusic,
  startNoAgentsGraceIfEmpty,
} from './journey.js'
import { findQueueByNumber } from './queue-load.js'

/** A caller rebuilt from the channel after a restart: back in their place (seq), without the welcome again. */
export function restoreCaller(st: EngineState, e: Extract<CoreEvent, { type: 'call-arrived' }>, r: RestoredCall): void {
  if (st.callers.has(e.callId)) return
  // The stable queue id first (a queue renumbered while the daemon was down keeps its callers), then the number.
  const byId = r.queueId ? st.queues.get(r.queueId) : undefined
  const queue = byId ?? findQueueByNumber(st, e.tenantDomain, e.queueNumber)
  if (r.connected && !r.bridgedTo) return endRestoredConversation(st, e, r, queue)
  if (!queue && r.seq > 0) return restoredQueueGone(st, e, r)
  if (!queue || (!r.answered && !r.bridgedTo) || !(r.seq > 0)) {
    // Never got into the queue before the restart: treat as a new arrival.
    const { restored: _r, ...fresh } = e
    return callArrived(st, fresh)
  }
  const caller = newCaller({
    callId: e.callId,
    queueId: queue.id,
    tenantId: queue.tenantId,
    callerNumber: e.callerNumber,
    callerName: e.callerName,
    arrivedAt: r.joinedAt,
    phase: 'queued',
    answered: r.answered,
    seq: r.seq,
    joinedAt: r.joinedAt,
    announce: { ...decodeAnnounceState(r.announce), welcomeDone: true },
  })
  st.callers.set(caller.callId, caller)
  st.seq = Math.max(st.seq, Math.floor(r.seq) + 1)
  if (queue.number !== e.queueNumber) {
    // Renumbered while the daemon was away: the channel carries the new number from now on.
    emit(st, { type: 'set-vars', callId: caller.callId, vars: { koplus_queue: queue.number } })
  }
  if (r.repaired || !r.queueId) persist(st, caller)
  const agent = r.bridgedTo ? st.agents.get(r.bridgedTo.agentId) : undefined
  if (r.bridgedTo && agent) {
    bindFoundLeg(st, caller, agent, r.bridgedTo.legId, 'bridged')
    caller.answeredAt = r.connected?.at ?? st.now
    queueLog(st, 'RESTORED', caller.callId, queue.id, agent.agent.id, { bridged: true })
    return
  }
  insertInLine(st, caller)
  queueLog(st, 'RESTORED', caller.callId, queue.id, '', { seq: caller.seq, position: positionOf(st, caller) })
  emit(st, { type: 'stop-audio', callId: caller.callId })
  // An announcement already due (e.g. the periodic message fell due during the restart) plays first, then music.
  if (!announceIfDue(st, caller, false)) startHoldMusic(st, caller)
  armQueueTimers(st, caller)
  startNoAgentsGraceIfEmpty(st, queue.id)
}

/**
 * A caller who was connected to an agent (koplus_connected) and is parked again: the agent hung up while the
 * daemon was away and park_after_bridge kept the caller. End the call as that hang-up would have: the
 * conversation is logged and recorded (once: not when the record was already closed), and the caller is hung up —
 * never offered again.
 */
function endRestoredConversation(
  st: EngineState,
  e: Extract<CoreEvent, { type: 'call-arrived' }>,
  r: RestoredCall,
  queue: Queue | undefined,
): void {
  const agentId = r.connected!.agentId
  if (!r.recordClosed && queue) {
    queueLog(st, 'COMPLETEAGENT', e.callId, queue.id, agentId, {
      holdSec: Math.round((r.connected!.at - r.joinedAt) / 1000),
      talkSec: Math.round((st.now - r.connected!.at) / 1000),
      cause: CAUSE.normal,
      restored: true,
    })
    emit(st, {
      type: 'call-record',
      record: {
        callId: e.callId,
        queueId: queue.id,
        tenantId: queue.tenantId,
        callerNumber: e.callerNumber,
        callerName: e.callerName,
        arrivedAt: r.joinedAt,
        enteredQueueAt: r.joinedAt,
        answeredAt: r.connected!.at,
        endedAt: st.now,
        outcome: 'answered',
        ...(agentId ? { agentId } : {}),
      },
    })
  }
  emit(st, { type: 'hangup', callId: e.callId, cause: CAUSE.normal })
}

/**
 * A caller who waited in a queue that no longer exists (deleted while the daemon was down; a renumbered queue is
 * still found by its id): the configured fallback (calls.unknownQueueAction: busy, hang-up or a forward), logged
 * as UNKNOWNQUEUE — not the unallocated-number hang-up of a new call to an unknown number.
 */
function restoredQueueGone(st: EngineState, e: Extract<CoreEvent, { type: 'call-arrived' }>, r: RestoredCall): void {
  const action = st.config.unknownQueueAction ?? { type: 'busy' }
  queueLog(st, 'UNKNOWNQUEUE', e.callId, r.queueId ?? '', '', {
    number: e.queueNumber,
    domain: e.tenantDomain,
    restored: true,
    action: action.type,
  })
  if (r.hasRecord && !r.recordClosed) {
    emit(st, {
      type: 'call-record',
      record: { callId: e.callId, outcome: action.type === 'forward' ? 'transferred' : 'failed', endedAt: st.now },
    })
  }
  if (action.type === 'forward') emit(st, { type: 'transfer', callId: e.callId, destination: action.destination })
  else emit(st, { type: 'hangup', callId: e.callId, cause: action.type === 'busy' ? CAUSE.busy : CAUSE.normal })
}

/**
 * An agent leg found in FreeSWITCH after a restart that joins `caller` and `agent` (a restored conversation, or a
 * callback attempt taken up again): followed as the won leg, and caller and agent bound to it.
 */
export function bindFoundLeg(
  st: EngineState,
  caller: CallerRt,
  agent: AgentRt,
  legId: string,
  phase: CallerRt['phase'],
): LegRt {
  const leg: LegRt = {
    legId,
    offerId: '',
    callId: caller.callId,
    agentId: agent.agent.id,
    confirm: false,
    whisper: false,
    state: 'won',
  }
  st.legs.set(legId, leg)
  caller.phase = phase
  caller.agentId = agent.agent.id
  caller.legId = legId
  agent.busy = 'on-call'
  agent.legId = legId
  agent.callId = caller.callId
  return leg
}
