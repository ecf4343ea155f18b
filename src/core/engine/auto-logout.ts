/**
 * Auto-logout: consecutive unanswered offers are counted per agent; after the queue's autoLogoutAfter the agent is
 * logged out of every queue.
 */
import type { Queue } from '../model.js'
import { type AgentRt, type EngineState, queueLog } from './engine-state.js'
import { logoutQueues } from './agent-sessions.js'

/** A consecutive unanswered offer; too many and the agent is logged out of every queue. */
export function countUnanswered(st: EngineState, agent: AgentRt, queue: Queue | undefined): void {
  agent.unanswered++
  const limit = queue?.settings.autoLogoutAfter ?? 0
  if (limit > 0 && agent.unanswered >= limit) autoLogoutAfterNoAnswers(st, agent, limit, queue!)
}

export function autoLogoutAfterNoAnswers(st: EngineState, agent: AgentRt, limit: number, queue: Queue): void {
  const reason = `${agent.unanswered} unanswered offers in a row (limit ${limit}, queue ${queue.number})`
  queueLog(st, 'AUTOLOGOUT', '', queue.id, agent.agent.id, { unanswered: agent.unanswered, limit, reason })
  logoutQueues(st, agent, [...agent.queues], 'system', reason)
  agent.autoLogoutReason = reason
}
