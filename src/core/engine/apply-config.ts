/**
 * Configuration: the start-up `config` event and each ConfigChange applied to the live state (agents whose queue
 * or membership went are logged out of it).
 */
import type { ConfigChange, CoreConfig } from '../events.js'
import { applyChange, PromptFiles } from './configuration.js'
import { OpenStateBook } from './open-state.js'
import { DEFAULT_FEATURE_CODES } from './feature-codes.js'
import { type EngineState } from './engine-state.js'
import { TrackedAgent } from './agent-index.js'
import { logoutQueues } from './agent-sessions.js'
import { reviewOpenState } from './open-state.js'

/** One operator change: the entity is put in place and the configuration applied as a whole config would be. */
export function applyConfigChange(st: EngineState, e: ConfigChange): void {
  applyConfig(st, applyChange(st.config, e))
}

export function applyConfig(st: EngineState, config: CoreConfig): void {
  // The start-up sessions apply once, below, to agents this engine has not seen: the configuration kept drops them
  // (as applyChange does), so a session per agent is not held for the daemon's life (issue 13: memory per agent).
  st.config = { ...config, sessions: [], featureCodes: { ...DEFAULT_FEATURE_CODES, ...config.featureCodes } }
  st.openBook = new OpenStateBook(config)
  st.promptFiles = new PromptFiles(config)
  st.tenants = new Map(config.tenants.map((t) => [t.id, t]))
  st.tenantByDomain = new Map(config.tenants.map((t) => [t.domain.toLowerCase(), t]))
  st.queues = new Map(config.queues.map((q) => [q.id, q]))
  st.members = new Set(config.memberships.map((m) => `${m.agentId}|${m.queueId}`))
  for (const q of st.queues.values()) if (!st.waiting.has(q.id)) st.waiting.set(q.id, [])
  const seen = new Set<string>()
  for (const agent of config.agents) {
    seen.add(agent.id)
    const rt = st.agents.get(agent.id)
    if (rt) {
      rt.agent = agent
      rt.regKey = undefined
      continue
    }
    const fresh = new TrackedAgent(st.agentIndex, agent, st.now)
    for (const s of config.sessions) {
      if (s.agentId !== agent.id || !st.queues.has(s.queueId)) continue
      fresh.queues.add(s.queueId)
      fresh.idleSince = Math.min(fresh.idleSince, s.since)
      if (s.paused) {
        fresh.paused = true
        fresh.pauseReason = s.pauseReason
      }
    }
    st.agents.set(agent.id, fresh)
  }
  for (const [id, rt] of st.agents) {
    if (!seen.has(id)) {
      logoutQueues(st, rt, [...rt.queues], 'system', 'agent removed')
      if (rt.busy === 'none' || rt.busy === 'wrap-up') st.agents.delete(id)
      continue
    }
    // Membership withdrawn or queue removed: the agent leaves that queue.
    const gone = [...rt.queues].filter((q) => !st.queues.has(q) || !st.members.has(`${id}|${q}`))
    if (gone.length) logoutQueues(st, rt, gone, 'system', 'membership removed')
  }
  reviewOpenState(st)
}

export function memberQueues(st: EngineState, agentId: string): string[] {
  const out: string[] = []
  for (const q of st.queues.keys()) if (st.members.has(`${agentId}|${q}`)) out.push(q)
  return out
}
