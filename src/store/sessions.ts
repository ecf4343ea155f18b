/** Agent sessions: which agent is logged in to which queue since when, and paused — restored after a restart. */
import type { StoreContext } from './context.js'
import { StoreError, notFound } from './errors.js'
import { requireInstant, requireString } from './util.js'

export interface AgentSession {
  agentId: string
  queueId: string
  since: number
  paused: boolean
  pauseReason: string | null
  pausedAt: number | null
}

interface Row {
  agent_id: string
  queue_id: string
  since: number
  paused: number
  pause_reason: string | null
  paused_at: number | null
}

const toSession = (r: Row): AgentSession => ({
  agentId: r.agent_id,
  queueId: r.queue_id,
  since: r.since,
  paused: r.paused !== 0,
  pauseReason: r.pause_reason,
  pausedAt: r.paused_at,
})

export class AgentSessions {
  constructor(private readonly ctx: StoreContext) {}

  /** Every session, or those of one agent / one queue. */
  list(filter: { agentId?: string; queueId?: string } = {}): AgentSession[] {
    const rows = this.ctx
      .sql(
        'SELECT * FROM agent_sessions WHERE (@agentId IS NULL OR agent_id = @agentId) AND (@queueId IS NULL OR queue_id = @queueId) ORDER BY since, agent_id, queue_id',
      )
      .all({ agentId: filter.agentId ?? null, queueId: filter.queueId ?? null }) as Row[]
    return rows.map(toSession)
  }

  /**
   * Log an agent in to a queue. Only members may (INVALID otherwise); logging in again keeps the
   * original `since`. The plan gate (T4) is the caller's business: it needs a spoken refusal.
   */
  login(agentId: string, queueId: string, at: number = this.ctx.clock.now()): AgentSession {
    requireInstant('session.at', at)
    if (!this.ctx.sql('SELECT 1 FROM agents WHERE id = ?').get(agentId)) throw notFound('agent', agentId)
    if (!this.ctx.sql('SELECT 1 FROM queues WHERE id = ?').get(queueId)) throw notFound('queue', queueId)
    if (!this.ctx.sql('SELECT 1 FROM memberships WHERE agent_id = ? AND queue_id = ?').get(agentId, queueId)) {
      throw new StoreError('INVALID', `agent '${agentId}' is not a member of queue '${queueId}'`, 'queueId')
    }
    // a new session inherits the agent's pause state from their other sessions
    const other = this.ctx
      .sql('SELECT paused, pause_reason, paused_at FROM agent_sessions WHERE agent_id = ? AND paused = 1 LIMIT 1')
      .get(agentId) as Pick<Row, 'paused' | 'pause_reason' | 'paused_at'> | undefined
    this.ctx
      .sql(
        'INSERT INTO agent_sessions (agent_id, queue_id, since, paused, pause_reason, paused_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, queue_id) DO NOTHING',
      )
      .run(agentId, queueId, at, other ? 1 : 0, other?.pause_reason ?? null, other?.paused_at ?? null)
    return toSession(
      this.ctx.sql('SELECT * FROM agent_sessions WHERE agent_id = ? AND queue_id = ?').get(agentId, queueId) as Row,
    )
  }

  /** Log out of one queue, or of every queue when queueId is omitted. Returns the queues left. */
  logout(agentId: string, queueId?: string): string[] {
    const rows = this.list({ agentId, queueId })
    if (queueId === undefined) this.ctx.sql('DELETE FROM agent_sessions WHERE agent_id = ?').run(agentId)
    else this.ctx.sql('DELETE FROM agent_sessions WHERE agent_id = ? AND queue_id = ?').run(agentId, queueId)
    return rows.map((r) => r.queueId)
  }

  /** Pause (with an optional reason) or unpause an agent in all their sessions. Returns how many sessions changed. */
  setPaused(agentId: string, paused: boolean, reason: string | null = null, at: number = this.ctx.clock.now()): number {
    if (reason !== null) requireString('session.pauseReason', reason, { max: 64 })
    const r = paused
      ? this.ctx
          .sql('UPDATE agent_sessions SET paused = 1, pause_reason = ?, paused_at = ? WHERE agent_id = ?')
          .run(reason, at, agentId)
      : this.ctx
          .sql('UPDATE agent_sessions SET paused = 0, pause_reason = NULL, paused_at = NULL WHERE agent_id = ?')
          .run(agentId)
    return r.changes
  }
}
