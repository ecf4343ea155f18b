/**
 * Queue membership (D2) with its history: every add opens an interval [from, until) in
 * membership_history and every removal closes it, so the licence report (T1–T3) can tell who was a
 * member at any time of a month.
 */
import type { Membership } from '../core/model.js'
import type { StoreContext } from './context.js'
import { StoreError, notFound } from './errors.js'
import { requireInstant } from './util.js'

export interface MembershipRecord extends Membership {
  createdAt: number
}

export interface MembershipInterval {
  agentId: string
  queueId: string
  tenantId: string
  from: number
  /** null: still a member. */
  until: number | null
}

interface Row {
  agent_id: string
  queue_id: string
  created_at: number
}

const toMembership = (r: Row): MembershipRecord => ({
  agentId: r.agent_id,
  queueId: r.queue_id,
  createdAt: r.created_at,
})

export class Memberships {
  constructor(private readonly ctx: StoreContext) {}

  /** Memberships, optionally of one agent and/or one queue. */
  list(filter: { agentId?: string; queueId?: string } = {}): MembershipRecord[] {
    const rows = this.ctx
      .sql(
        'SELECT * FROM memberships WHERE (@agentId IS NULL OR agent_id = @agentId) AND (@queueId IS NULL OR queue_id = @queueId) ORDER BY agent_id, queue_id',
      )
      .all({ agentId: filter.agentId ?? null, queueId: filter.queueId ?? null }) as Row[]
    return rows.map(toMembership)
  }

  has(agentId: string, queueId: string): boolean {
    return (
      this.ctx.sql('SELECT 1 FROM memberships WHERE agent_id = ? AND queue_id = ?').get(agentId, queueId) !== undefined
    )
  }

  /** Grant an agent a queue (same tenant). DUPLICATE when already a member. */
  add(agentId: string, queueId: string, at: number = this.ctx.clock.now()): MembershipRecord {
    requireInstant('membership.at', at)
    const agent = this.ctx.sql('SELECT tenant_id, extension, name, plan FROM agents WHERE id = ?').get(agentId) as
      { tenant_id: string; extension: string; name: string; plan: string } | undefined
    if (!agent) throw notFound('agent', agentId)
    const queue = this.ctx.sql('SELECT tenant_id, number FROM queues WHERE id = ?').get(queueId) as
      { tenant_id: string; number: string } | undefined
    if (!queue) throw notFound('queue', queueId)
    if (queue.tenant_id !== agent.tenant_id) {
      throw new StoreError(
        'INVALID',
        `agent ${agent.extension} (tenant ${agent.tenant_id}) cannot be a member of queue ${queue.number} in tenant ${queue.tenant_id}`,
        'queueId',
      )
    }
    if (this.has(agentId, queueId))
      throw new StoreError('DUPLICATE', `agent ${agent.extension} is already a member of queue ${queue.number}`)
    this.ctx.db.transaction(() => {
      this.ctx
        .sql('INSERT INTO memberships (agent_id, queue_id, created_at) VALUES (?, ?, ?)')
        .run(agentId, queueId, at)
      this.ctx
        .sql(
          'INSERT INTO membership_history (tenant_id, agent_id, queue_id, extension, name, plan, from_at, until_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
        )
        .run(agent.tenant_id, agentId, queueId, agent.extension, agent.name, agent.plan, at)
    })()
    return { agentId, queueId, createdAt: at }
  }

  /** Revoke a membership; also logs the agent out of that queue. NOT_FOUND when not a member. */
  remove(agentId: string, queueId: string, at: number = this.ctx.clock.now()): void {
    requireInstant('membership.at', at)
    if (!this.has(agentId, queueId))
      throw new StoreError('NOT_FOUND', `agent '${agentId}' is not a member of queue '${queueId}'`)
    this.ctx.db.transaction(() => {
      this.ctx.sql('DELETE FROM agent_sessions WHERE agent_id = ? AND queue_id = ?').run(agentId, queueId)
      this.ctx.sql('DELETE FROM memberships WHERE agent_id = ? AND queue_id = ?').run(agentId, queueId)
      this.ctx
        .sql('UPDATE membership_history SET until_at = ? WHERE agent_id = ? AND queue_id = ? AND until_at IS NULL')
        .run(at, agentId, queueId)
    })()
  }

  /** The membership intervals of an agent (or of everyone), oldest first. */
  history(agentId?: string): MembershipInterval[] {
    const rows = this.ctx
      .sql('SELECT * FROM membership_history WHERE (@agentId IS NULL OR agent_id = @agentId) ORDER BY from_at, id')
      .all({ agentId: agentId ?? null }) as {
      agent_id: string
      queue_id: string
      tenant_id: string
      from_at: number
      until_at: number | null
    }[]
    return rows.map((r) => ({
      agentId: r.agent_id,
      queueId: r.queue_id,
      tenantId: r.tenant_id,
      from: r.from_at,
      until: r.until_at,
    }))
  }
}
