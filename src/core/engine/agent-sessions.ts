/**
 * Agents and sessions: login, logout, pause and device choice (from phone, CLI, web or API), with the refusals the
 * API/CLI show.
 */
import type { RejectReason } from '../commands.js'
import type { Source } from '../events.js'
import { QUEUE_PLANS } from '../model.js'
import { memberQueues } from './apply-config.js'
import { CAUSE, type AgentRt, type EngineState, clearTimer, emit, queueLog } from './engine-state.js'
import { startNoAgentsGraceIfEmpty } from './journey.js'
import { releaseLeg } from './offers.js'

/** Whether a login would be allowed, and to which queues (for the API/CLI before sending `agent-login`). */
export type LoginCheck = { ok: true; queueIds: string[] } | { ok: false; reason: RejectReason; message: string }

/**
 * Would this login be allowed? For the API/CLI before sending `agent-login`. `queueIds` omitted = all the
 * agent's queues.
 */
export function checkLogin(st: EngineState, agentId: string, queueIds?: string[]): LoginCheck {
  const a = st.agents.get(agentId)
  if (!a) return { ok: false, reason: 'unknown-agent', message: `unknown agent ${agentId}` }
  if (!QUEUE_PLANS.includes(a.agent.plan)) {
    return {
      ok: false,
      reason: 'plan',
      message: `agent ${agentId} is on the ${a.agent.plan} plan; only ${QUEUE_PLANS.join(', ')} may log in to queues`,
    }
  }
  const ids = queueIds ?? memberQueues(st, agentId)
  for (const q of ids) {
    if (!st.queues.has(q)) return { ok: false, reason: 'unknown-queue', message: `unknown queue ${q}` }
    if (!st.members.has(`${agentId}|${q}`)) {
      return { ok: false, reason: 'not-member', message: `agent ${agentId} is not a member of queue ${q}` }
    }
  }
  return { ok: true, queueIds: ids }
}

export function reject(
  st: EngineState,
  agentId: string,
  action: string,
  reason: RejectReason,
  message: string,
  source: Source,
  queueIds?: string[],
): false {
  emit(st, { type: 'rejected', agentId, action, reason, message, source, ...(queueIds ? { queueIds } : {}) })
  queueLog(st, 'REJECTED', '', '', agentId, { action, reason, source })
  return false
}

/** Log in to queues (all the agent's queues when none given). Only members, and only on a queue plan (T4). */
export function loginAgent(
  st: EngineState,
  agentId: string,
  queueIds: string[] | undefined,
  source: Source,
): { ok: boolean; reason?: RejectReason; count: number } {
  const check = checkLogin(st, agentId, queueIds)
  if (!check.ok) {
    reject(st, agentId, 'login', check.reason, check.message, source, queueIds)
    return { ok: false, reason: check.reason, count: st.agents.get(agentId)?.queues.size ?? 0 }
  }
  const agent = st.agents.get(agentId)!
  if (agent.queues.size === 0) {
    agent.idleSince = st.now
    agent.unanswered = 0
    agent.autoLogoutReason = undefined
  }
  for (const q of check.queueIds) {
    if (agent.queues.has(q)) continue
    agent.queues.add(q)
    clearTimer(st, `noagents:${q}`)
    queueLog(st, 'AGENTLOGIN', '', q, agentId, { source })
    emit(st, {
      type: 'agent-session',
      agentId,
      queueId: q,
      loggedIn: true,
      paused: agent.paused,
      ...(agent.pauseReason ? { pauseReason: agent.pauseReason } : {}),
      at: st.now,
      source,
    })
  }
  return { ok: true, count: agent.queues.size }
}

export function logoutAgent(
  st: EngineState,
  agentId: string,
  queueIds: string[] | undefined,
  source: Source,
  reason?: string,
): { ok: boolean; count: number } {
  const agent = st.agents.get(agentId)
  if (!agent) {
    reject(st, agentId, 'logout', 'unknown-agent', `unknown agent ${agentId}`, source)
    return { ok: false, count: 0 }
  }
  if (queueIds) {
    const unknown = queueIds.find((q) => !st.queues.has(q))
    if (unknown) {
      reject(st, agentId, 'logout', 'unknown-queue', `unknown queue ${unknown}`, source, queueIds)
      return { ok: false, count: agent.queues.size }
    }
  }
  logoutQueues(st, agent, queueIds ?? [...agent.queues], source, reason)
  return { ok: true, count: agent.queues.size }
}

/** Leave queues; a phone ringing for a queue the agent left stops (not counted). Empty queues start the no-agents grace. */
export function logoutQueues(
  st: EngineState,
  agent: AgentRt,
  queueIds: string[],
  source: Source,
  reason?: string,
): void {
  for (const q of queueIds) {
    if (!agent.queues.delete(q)) continue
    queueLog(st, 'AGENTLOGOFF', '', q, agent.agent.id, { source, ...(reason ? { reason } : {}) })
    emit(st, {
      type: 'agent-session',
      agentId: agent.agent.id,
      queueId: q,
      loggedIn: false,
      paused: agent.paused,
      at: st.now,
      source,
    })
    startNoAgentsGraceIfEmpty(st, q)
  }
  if (agent.busy === 'ringing' && agent.legId) {
    const leg = st.legs.get(agent.legId)
    const offer = leg && st.offers.get(leg.offerId)
    if (leg && offer && !agent.queues.has(offer.queueId) && leg.state === 'ringing')
      releaseLeg(st, leg, CAUSE.cancel, false)
  }
  if (agent.queues.size === 0 && agent.paused) {
    // A fresh login starts unpaused.
    agent.paused = false
    agent.pauseReason = undefined
    queueLog(st, 'UNPAUSE', '', '', agent.agent.id, { source, reason: 'logged out' })
  }
}

export function pauseAgent(
  st: EngineState,
  agentId: string,
  paused: boolean,
  reason: string | undefined,
  source: Source,
): boolean {
  const agent = st.agents.get(agentId)
  if (!agent) return reject(st, agentId, 'pause', 'unknown-agent', `unknown agent ${agentId}`, source)
  if (agent.queues.size === 0)
    return reject(st, agentId, 'pause', 'not-logged-in', `agent ${agentId} is not logged in`, source)
  if (agent.paused === paused) return true
  agent.paused = paused
  agent.pauseReason = paused ? reason : undefined
  for (const q of agent.queues) {
    queueLog(st, paused ? 'PAUSE' : 'UNPAUSE', '', q, agentId, { source, ...(reason ? { reason } : {}) })
    emit(st, {
      type: 'agent-session',
      agentId,
      queueId: q,
      loggedIn: true,
      paused,
      ...(paused && reason ? { pauseReason: reason } : {}),
      at: st.now,
      source,
    })
  }
  return true
}

export function chooseDevice(st: EngineState, agentId: string, index: number, source: Source): boolean {
  const agent = st.agents.get(agentId)
  if (!agent) return reject(st, agentId, 'device', 'unknown-agent', `unknown agent ${agentId}`, source)
  if (!Number.isInteger(index) || index < 0 || index >= agent.agent.devices.length) {
    return reject(st, agentId, 'device', 'bad-device', `agent ${agentId} has no device ${index + 1}`, source)
  }
  agent.agent = { ...agent.agent, activeDevice: index }
  agent.regKey = undefined
  emit(st, { type: 'agent-device', agentId, deviceIndex: index })
  queueLog(st, 'DEVICE', '', '', agentId, { deviceIndex: index, type: agent.agent.devices[index].type, source })
  return true
}
