/**
 * Wrap-up: after a queue call the agent gets no call for the wrap-up time (agent's override or the queue's), then
 * is free, idle from that instant.
 */
import type { Source } from '../events.js'
import type { Queue } from '../model.js'
import { type AgentRt, type EngineState, clearTimer, estimatorOf, queueLog, setTimer } from './engine-state.js'
import { reject } from './agent-sessions.js'

/** After-call work: the agent's own wrap-up time, else the queue's; no call from any queue meanwhile. */
export function startWrapUp(st: EngineState, agent: AgentRt, queue: Queue | undefined): void {
  agent.legId = undefined
  agent.callId = undefined
  const sec = agent.agent.wrapUpSec ?? queue?.settings.wrapUpSec ?? 0
  if (sec <= 0) {
    becomeFree(st, agent)
    return
  }
  agent.busy = 'wrap-up'
  agent.wrapUpEndsAt = st.now + sec * 1000
  queueLog(st, 'WRAPUPSTART', '', queue?.id ?? '', agent.agent.id, { seconds: sec })
  setTimer(st, `wrapup:${agent.agent.id}`, agent.wrapUpEndsAt)
}

export function endWrapUp(st: EngineState, agent: AgentRt, source: Source): void {
  if (agent.busy !== 'wrap-up') return
  clearTimer(st, `wrapup:${agent.agent.id}`)
  agent.wrapUpEndsAt = undefined
  queueLog(st, 'WRAPUPEND', '', '', agent.agent.id, { source })
  becomeFree(st, agent)
}

/** The agent is free from now: idle time counts from here. The handle time (talk + wrap-up) feeds the estimate. */
function becomeFree(st: EngineState, agent: AgentRt): void {
  agent.busy = 'none'
  agent.idleSince = st.now
  const h = agent.handling
  agent.handling = undefined
  const queue = h && st.queues.get(h.queueId)
  if (h && queue) estimatorOf(st, queue).recordHandled(st.now, h.talkMs + (st.now - h.wrapFrom))
}

export function endWrapUpByAgent(st: EngineState, agentId: string, source: Source): boolean {
  const agent = st.agents.get(agentId)
  if (!agent) return reject(st, agentId, 'end-wrapup', 'unknown-agent', `unknown agent ${agentId}`, source)
  if (agent.busy !== 'wrap-up')
    return reject(st, agentId, 'end-wrapup', 'not-in-wrapup', `agent ${agentId} is not in wrap-up`, source)
  endWrapUp(st, agent, source)
  return true
}
