/**
 * Status views: the live picture per queue and per agent (A2) that `CallCenter.status` returns.
 */
import type { Queue } from '../model.js'
import type { AgentStateName, AgentStatus, QueueStatus } from './status.js'
import { type AgentRt, type EngineState } from './engine-state.js'
import { activeDeviceOf, deviceRegistered, isDeviceBusy, isFree } from './agent-availability.js'
import { estimateWait } from './queue-load.js'

export function queueStatus(st: EngineState, q: Queue, now: number): QueueStatus {
  const line = st.waiting.get(q.id) ?? []
  const agents = { loggedIn: 0, free: 0, ringing: 0, onCall: 0, wrapUp: 0, paused: 0 }
  for (const a of st.agents.values()) {
    if (!a.queues.has(q.id)) continue
    agents.loggedIn++
    if (a.busy === 'ringing') agents.ringing++
    else if (a.busy === 'on-call') agents.onCall++
    else if (a.busy === 'wrap-up') agents.wrapUp++
    else if (a.paused) agents.paused++
    else if (isFree(st, a)) agents.free++
  }
  let connected = 0
  for (const c of st.callers.values()) if (c.queueId === q.id && (c.phase === 'connecting' || c.phase === 'bridged')) connected++
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
    longestWaitSec: line.length ? Math.max(0, Math.round((now - line.reduce((m, c) => Math.min(m, c.joinedAt), Infinity)) / 1000)) : 0,
    callers: line.map((c, i) => ({
      callId: c.callId,
      position: i + 1,
      seq: c.seq,
      callerNumber: c.callerNumber,
      waitedSec: Math.max(0, Math.round((now - c.joinedAt) / 1000)),
      ringing: c.offerId ? (st.offers.get(c.offerId)?.legs ?? []).filter((l) => l.state !== 'done').map((l) => l.agentId) : [],
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
    ...(a.wrapUpEndsAt !== undefined && a.busy === 'wrap-up' ? { wrapUpEndsAt: a.wrapUpEndsAt } : {}),
  }
}
