/** Agent sessions: which agent is logged in to which queue since when, and paused — restored after a restart. */
import { StoreError, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation } from './sql/constraint.js'
import { textOrder, where } from './sql/clauses.js'
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
  constructor(private readonly ctx: RepoContext) {}

  /** Every session, or those of one agent / one queue. */
  async list(filter: { agentId?: string; queueId?: string } = {}): Promise<AgentSession[]> {
    const w = where([
      ['agent_id = ?', filter.agentId],
      ['queue_id = ?', filter.queueId],
    ])
    const rows = await this.ctx.db.all<Row>(
      `SELECT * FROM agent_sessions ${w.sql} ORDER BY since, ${textOrder(this.ctx.dialect, 'agent_id')}, ${textOrder(this.ctx.dialect, 'queue_id')}`,
      w.params,
    )
    return rows.map(toSession)
  }

  /**
   * Log an agent in to a queue. Only members may (INVALID otherwise); logging in again keeps the
   * original `since`. The plan gate (T4) is the caller's business: it needs a spoken refusal.
   */
  async login(agentId: string, queueId: string, at: number = this.ctx.clock.now()): Promise<AgentSession> {
    requireInstant('session.at', at)
    return this.ctx.tx(async (c) => {
      if (!(await c.db.get('SELECT 1 FROM agents WHERE id = ?', [agentId]))) throw notFound('agent', agentId)
      if (!(await c.db.get('SELECT 1 FROM queues WHERE id = ?', [queueId]))) throw notFound('queue', queueId)
      if (!(await c.db.get('SELECT 1 FROM memberships WHERE agent_id = ? AND queue_id = ?', [agentId, queueId]))) {
        throw notMember(agentId, queueId)
      }
      // a new session inherits the agent's pause state from their other sessions
      const other = await c.db.get<Pick<Row, 'paused' | 'pause_reason' | 'paused_at'>>(
        'SELECT paused, pause_reason, paused_at FROM agent_sessions WHERE agent_id = ? AND paused = 1 LIMIT 1',
        [agentId],
      )
      try {
        await c.db.run(
          'INSERT INTO agent_sessions (agent_id, queue_id, since, paused, pause_reason, paused_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, queue_id) DO NOTHING',
          [agentId, queueId, at, other ? 1 : 0, other?.pause_reason ?? null, other?.paused_at ?? null],
        )
      } catch (err) {
        // the membership's agent or queue was removed meanwhile by another writer
        if (isForeignKeyViolation(err)) throw notMember(agentId, queueId, err)
        throw err
      }
      return toSession(
        (await c.db.get<Row>('SELECT * FROM agent_sessions WHERE agent_id = ? AND queue_id = ?', [agentId, queueId]))!,
      )
    })
  }

  /** Log out of one queue, or of every queue when queueId is omitted. Returns the queues left. */
  async logout(agentId: string, queueId?: string): Promise<string[]> {
    return this.ctx.tx(async (c) => {
      const rows = await new AgentSessions(c).list({ agentId, queueId })
      if (queueId === undefined) await c.db.run('DELETE FROM agent_sessions WHERE agent_id = ?', [agentId])
      else await c.db.run('DELETE FROM agent_sessions WHERE agent_id = ? AND queue_id = ?', [agentId, queueId])
      return rows.map((r) => r.queueId)
    })
  }

  /** Pause (with an optional reason) or unpause an agent in all their sessions. Returns how many sessions changed. */
  async setPaused(
    agentId: string,
    paused: boolean,
    reason: string | null = null,
    at: number = this.ctx.clock.now(),
  ): Promise<number> {
    if (reason !== null) requireString('session.pauseReason', reason, { max: 64 })
    const r = paused
      ? await this.ctx.db.run(
          'UPDATE agent_sessions SET paused = 1, pause_reason = ?, paused_at = ? WHERE agent_id = ?',
          [reason, at, agentId],
        )
      : await this.ctx.db.run(
          'UPDATE agent_sessions SET paused = 0, pause_reason = NULL, paused_at = NULL WHERE agent_id = ?',
          [agentId],
        )
    return r.changes
  }
}

function notMember(agentId: string, queueId: string, cause?: unknown): StoreError {
  return new StoreError('INVALID', `agent '${agentId}' is not a member of queue '${queueId}'`, 'queueId', { cause })
}
