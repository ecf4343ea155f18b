/**
 * Queue membership (D2) with its history: every add opens an interval [from, until) in
 * membership_history and every removal closes it, so the licence report (T1–T3) can tell who was a
 * member at any time of a month.
 */
import type { Membership } from '../core/model.js'
import { StoreError, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation } from './sql/constraint.js'
import { textOrder, where } from './sql/clauses.js'
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

interface HistoryRow {
  agent_id: string
  queue_id: string
  tenant_id: string
  from_at: number
  until_at: number | null
}

export class Memberships {
  constructor(private readonly ctx: RepoContext) {}

  /** Memberships, optionally of one agent and/or one queue. */
  async list(filter: { agentId?: string; queueId?: string } = {}): Promise<MembershipRecord[]> {
    const w = where([
      ['agent_id = ?', filter.agentId],
      ['queue_id = ?', filter.queueId],
    ])
    const rows = await this.ctx.db.all<Row>(
      `SELECT * FROM memberships ${w.sql} ORDER BY ${textOrder(this.ctx.dialect, 'agent_id')}, ${textOrder(this.ctx.dialect, 'queue_id')}`,
      w.params,
    )
    return rows.map(toMembership)
  }

  async has(agentId: string, queueId: string): Promise<boolean> {
    return (
      (await this.ctx.db.get('SELECT 1 FROM memberships WHERE agent_id = ? AND queue_id = ?', [agentId, queueId])) !==
      undefined
    )
  }

  /** Grant an agent a queue (same tenant). DUPLICATE when already a member. */
  async add(agentId: string, queueId: string, at: number = this.ctx.clock.now()): Promise<MembershipRecord> {
    requireInstant('membership.at', at)
    return this.ctx.tx(async (c) => {
      const agent = await c.db.get<{ tenant_id: string; extension: string; name: string; plan: string }>(
        'SELECT tenant_id, extension, name, plan FROM agents WHERE id = ?',
        [agentId],
      )
      if (!agent) throw notFound('agent', agentId)
      const queue = await c.db.get<{ tenant_id: string; number: string }>(
        'SELECT tenant_id, number FROM queues WHERE id = ?',
        [queueId],
      )
      if (!queue) throw notFound('queue', queueId)
      if (queue.tenant_id !== agent.tenant_id) {
        throw new StoreError(
          'INVALID',
          `agent ${agent.extension} (tenant ${agent.tenant_id}) cannot be a member of queue ${queue.number} in tenant ${queue.tenant_id}`,
          'queueId',
        )
      }
      const already = () =>
        new StoreError('DUPLICATE', `agent ${agent.extension} is already a member of queue ${queue.number}`)
      if (await new Memberships(c).has(agentId, queueId)) throw already()
      let added: unknown
      try {
        added = await c.db.get(
          'INSERT INTO memberships (agent_id, queue_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING RETURNING agent_id',
          [agentId, queueId, at],
        )
      } catch (err) {
        // the agent or the queue was removed meanwhile by another writer
        if (isForeignKeyViolation(err))
          throw new StoreError('NOT_FOUND', `agent '${agentId}' or queue '${queueId}' was removed`, undefined, {
            cause: err,
          })
        throw err
      }
      if (!added) throw already() // a concurrent writer added it between the check and the write
      await c.db.run(
        'INSERT INTO membership_history (tenant_id, agent_id, queue_id, extension, name, plan, from_at, until_at) VALUES (?, ?, ?, ?, ?, ?, ?, NULL)',
        [agent.tenant_id, agentId, queueId, agent.extension, agent.name, agent.plan, at],
      )
      return { agentId, queueId, createdAt: at }
    })
  }

  /** Revoke a membership; also logs the agent out of that queue. NOT_FOUND when not a member. */
  async remove(agentId: string, queueId: string, at: number = this.ctx.clock.now()): Promise<void> {
    requireInstant('membership.at', at)
    await this.ctx.tx(async (c) => {
      await c.db.run('DELETE FROM agent_sessions WHERE agent_id = ? AND queue_id = ?', [agentId, queueId])
      const r = await c.db.run('DELETE FROM memberships WHERE agent_id = ? AND queue_id = ?', [agentId, queueId])
      if (r.changes === 0) throw new StoreError('NOT_FOUND', `agent '${agentId}' is not a member of queue '${queueId}'`)
      await c.db.run(
        'UPDATE membership_history SET until_at = ? WHERE agent_id = ? AND queue_id = ? AND until_at IS NULL',
        [at, agentId, queueId],
      )
    })
  }

  /** The membership intervals of an agent (or of everyone), oldest first. */
  async history(agentId?: string): Promise<MembershipInterval[]> {
    const w = where([['agent_id = ?', agentId]])
    const rows = await this.ctx.db.all<HistoryRow>(
      `SELECT * FROM membership_history ${w.sql} ORDER BY from_at, id`,
      w.params,
    )
    return rows.map((r) => ({
      agentId: r.agent_id,
      queueId: r.queue_id,
      tenantId: r.tenant_id,
      from: r.from_at,
      until: r.until_at,
    }))
  }
}
