/**
 * Status views: the live picture per queue and per agent (A2) that `CallCenter.status` returns.
 */
import type { Queue } from '../model.js'
import type { AgentStateName, AgentStatus, CallbackStatus, QueueStatus } from './status.js'
import { type AgentRt, type CallbackRt, type EngineState, oldestJoinedAt } from './engine-state.js'
import { activeDeviceOf, deviceRegistered, isDeviceBusy, isFree } from './agent-availability.js'
import { estimateWait } from './queue-load.js'

type AgentCounts = QueueStatus['agents']

/** Per queue: agents by state and callers connected (connecting or bridged), counted in one pass over each table. */
export interface QueueTallies {
  agents: Map<string, AgentCounts>
  connected: Map<string, number>
}

/**
 * The agents' counts come from the agent index (issue 13: no pass over 2,000 agents per request); free = idle and
 * reachable (isFree) is checked on the idle agents only. One pass over the callers for the connected ones.
 */
export function queueTallies(st: EngineState): QueueTallies {
  const agents = new Map<string, AgentCounts>()
  for (const q of st.queues.keys()) {
    const c = st.agentIndex.counts(q)
    if (c.loggedIn === 0) continue
    let free = 0
    for (const a of st.agentIndex.idleIn(q)) if (isFree(st, a)) free++
    agents.set(q, {
      loggedIn: c.loggedIn,
      free,
      ringing: c.ringing,
      onCall: c.onCall,
      wrapUp: c.wrapUp,
      paused: c.paused,
    })
  }
  const connected = new Map<string, number>()
  for (const c of st.callers.values())
    if (c.phase === 'connecting' || c.phase === 'bridged') connected.set(c.queueId, (connected.get(c.queueId) ?? 0) + 1)
  return { agents, connected }
}

/** `withCallers` false: the counts only, `callers` left empty (for /metrics: no list of every caller). */
export function queueStatus(
  st: EngineState,
  q: Queue,
  now: number,
  tallies: QueueTallies = queueTallies(st),
  withCallers = true,
): QueueStatus {
  const line = st.waiting.get(q.id) ?? []
  const agents = {
    ...(tallies.agents.get(q.id) ?? { loggedIn: 0, free: 0, ringing: 0, onCall: 0, wrapUp: 0, paused: 0 }),
  }
  const connected = tallies.connected.get(q.id) ?? 0
  const ov = st.overflow.get(q.id)
  const saveNow = st.now
  st.now = now
  const est = estimateWait(st, q, line.length + 1)
  st.now = saveNow
  return {
    queueId: q.id,
    tenantId: q.tenantId,
    number: q.number,
    name: q.name,
    strategy: q.settings.strategy,
    waiting: line.length,
    longestWaitSec: line.length ? Math.max(0, Math.round((now - (oldestJoinedAt(st, q.id) ?? now)) / 1000)) : 0,
    callers: !withCallers
      ? []
      : line.map((c, i) => ({
          callId: c.callId,
          position: i + 1,
          seq: c.seq,
          callerNumber: c.callerNumber,
          waitedSec: Math.max(0, Math.round((now - c.joinedAt) / 1000)),
          ringing: c.offerId
            ? (st.offers.get(c.offerId)?.legs ?? []).filter((l) => l.state !== 'done').map((l) => l.agentId)
            : [],
          ...(c.callback ? { callback: callbackStatus(c.callback) } : {}),
        })),
    connected,
    agents,
    overflowing: !!ov?.overflowing,
    ...(ov?.reason && ov.overflowing ? { overflowReason: ov.reason } : {}),
    ...(est !== undefined ? { estimatedWaitSec: Math.round(est) } : {}),
  }
}

export function agentStatus(st: EngineState, a: AgentRt): AgentStatus {
  let state: AgentStateName
  if (a.busy === 'ringing') state = 'ringing'
  else if (a.busy === 'on-call') state = 'on-call'
  else if (a.busy === 'wrap-up') state = 'wrap-up'
  else if (a.queues.size === 0) state = 'logged-out'
  else if (a.paused) state = 'paused'
  else state = 'free'
  const device = activeDeviceOf(a)
  return {
    agentId: a.agent.id,
    tenantId: a.agent.tenantId,
    name: a.agent.name,
    extension: a.agent.extension,
    queues: [...a.queues].sort(),
    state,
    paused: a.paused,
    ...(a.pauseReason ? { pauseReason: a.pauseReason } : {}),
    deviceIndex: a.agent.activeDevice,
    ...(device ? { activeDevice: device } : {}),
    registered: deviceRegistered(st, a),
    deviceBusy: isDeviceBusy(st, a),
    ...(a.queues.size > 0 ? { idleSince: a.idleSince } : {}),
    unanswered: a.unanswered,
    ...(a.autoLogoutReason ? { autoLogoutReason: a.autoLogoutReason } : {}),
    ...(a.callId ? { callId: a.callId } : {}),
    ...(a.callId && st.callers.get(a.callId)?.callback
      ? { callbackNumber: st.callers.get(a.callId)!.callback!.number }
      : {}),
    ...(a.wrapUpEndsAt !== undefined && a.busy === 'wrap-up' ? { wrapUpEndsAt: a.wrapUpEndsAt } : {}),
  }
}

function callbackStatus(cb: CallbackRt): CallbackStatus {
  return {
    number: cb.number,
    state: cb.state,
    requestedAt: cb.requestedAt,
    attempts: cb.attempts,
    nextAttemptAt: cb.nextAttemptAt,
    ...(cb.heldSince !== undefined ? { heldSince: cb.heldSince } : {}),
  }
}
