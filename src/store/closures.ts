/**
 * Temporary closures (S2) of many queues at once: by list, by tag, or every queue of a tenant; now or in a
 * future window; until a time or until reopened. The queues are resolved when the closure is created.
 */
import type { Closure } from '../core/schedule/types.js'
import { StoreError, invalid, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation } from './sql/constraint.js'
import { textOrder, where } from './sql/clauses.js'
import { jsonArrayHas } from './sql/json.js'
import { chooseId, describe, parseJson, requireInstant, requireString } from './util.js'

export type ClosureScope = { kind: 'queues'; queueIds: string[] } | { kind: 'tag'; tag: string } | { kind: 'tenant' }

export interface ClosureRecord extends Closure {
  tenantId: string
  scope: ClosureScope
  reopenedBy?: string
}

export interface ClosureInput {
  id?: string
  tenantId?: string
  scope: ClosureScope
  /** Default: now. */
  from?: number
  /** Omitted: until reopened. */
  until?: number
  reason: string
  by: string
  messagePrompt?: string
}

interface Row {
  id: string
  tenant_id: string
  scope: string
  queue_ids: string
  from_at: number
  until_at: number | null
  reason: string
  created_by: string
  created_at: number
  reopened_at: number | null
  reopened_by: string | null
  message_prompt: string | null
}

function toClosure(r: Row): ClosureRecord {
  const c: ClosureRecord = {
    id: r.id,
    tenantId: r.tenant_id,
    scope: parseJson<ClosureScope>(r.scope, { kind: 'tenant' }),
    queueIds: parseJson<string[]>(r.queue_ids, []),
    from: r.from_at,
    reason: r.reason,
    by: r.created_by,
    createdAt: r.created_at,
  }
  if (r.until_at !== null) c.until = r.until_at
  if (r.reopened_at !== null) c.reopenedAt = r.reopened_at
  if (r.reopened_by !== null) c.reopenedBy = r.reopened_by
  if (r.message_prompt !== null) c.messagePrompt = r.message_prompt
  return c
}

export class Closures {
  constructor(private readonly ctx: RepoContext) {}

  /** Create a closure; INVALID when it resolves to no queue or names a queue of another tenant. */
  async create(input: ClosureInput): Promise<ClosureRecord> {
    const tenantId = input.tenantId ?? 'default'
    return this.ctx.tx(async (c) => {
      const closures = new Closures(c)
      if (!(await c.db.get('SELECT 1 FROM tenants WHERE id = ?', [tenantId]))) throw notFound('tenant', tenantId)
      const id = chooseId('cl', input.id, 'closure')
      const now = c.clock.now()
      const from = input.from === undefined ? now : requireInstant('closure.from', input.from)
      if (input.until !== undefined) {
        requireInstant('closure.until', input.until)
        if (input.until <= from) throw invalid('closure.until', 'must be after closure.from')
      }
      const reason = requireString('closure.reason', input.reason, { max: 200 })
      const by = requireString('closure.by', input.by, { max: 100 })
      const messagePrompt =
        input.messagePrompt === undefined
          ? null
          : requireString('closure.messagePrompt', input.messagePrompt, { max: 500 })
      const queueIds = await closures.resolve(tenantId, input.scope)
      if (queueIds.length === 0) throw invalid('closure.scope', `selects no queue in tenant ${tenantId}`)
      const duplicate = () => new StoreError('DUPLICATE', `closure '${id}' already exists`, 'closure.id')
      if (await closures.find(id)) throw duplicate()
      let r: Row | undefined
      try {
        r = await c.db.get<Row>(
          `INSERT INTO closures (id, tenant_id, scope, queue_ids, from_at, until_at, reason, created_by, created_at, message_prompt)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *`,
          [
            id,
            tenantId,
            JSON.stringify(input.scope),
            JSON.stringify(queueIds),
            from,
            input.until ?? null,
            reason,
            by,
            now,
            messagePrompt,
          ],
        )
      } catch (err) {
        if (isForeignKeyViolation(err)) throw notFound('tenant', tenantId)
        throw err
      }
      if (!r) throw duplicate() // a concurrent writer took the id between the check and the write
      return toClosure(r)
    })
  }

  /** Reopen by hand (ends the closure now). NOT_FOUND / INVALID when already reopened. */
  async reopen(id: string, by: string, at: number = this.ctx.clock.now()): Promise<ClosureRecord> {
    return this.ctx.tx(async (c) => {
      const cur = await new Closures(c).get(id)
      requireString('closure.reopenedBy', by, { max: 100 })
      const reopened = () => invalid('closure.reopenedAt', `closure '${id}' was already reopened`)
      if (cur.reopenedAt !== undefined) throw reopened()
      const r = await c.db.get<Row>(
        'UPDATE closures SET reopened_at = ?, reopened_by = ? WHERE id = ? AND reopened_at IS NULL RETURNING *',
        [at, by, id],
      )
      if (!r) throw reopened() // a concurrent writer reopened it between the check and the write
      return toClosure(r)
    })
  }

  async find(id: string): Promise<ClosureRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM closures WHERE id = ?', [id])
    return r && toClosure(r)
  }

  async get(id: string): Promise<ClosureRecord> {
    const c = await this.find(id)
    if (!c) throw notFound('closure', id)
    return c
  }

  /** Closures not reopened and not yet over at `at` (current and future ones), oldest first. */
  async active(at: number = this.ctx.clock.now(), tenantId?: string): Promise<ClosureRecord[]> {
    const w = where([
      ['reopened_at IS NULL AND (until_at IS NULL OR until_at > ?)', at],
      ['tenant_id = ?', tenantId],
    ])
    const rows = await this.ctx.db.all<Row>(
      `SELECT * FROM closures ${w.sql} ORDER BY from_at, ${textOrder(this.ctx.dialect, 'id')}`,
      w.params,
    )
    return rows.map(toClosure)
  }

  /** Every closure (the audit trail), newest first. */
  async list(tenantId?: string, limit = 200): Promise<ClosureRecord[]> {
    const w = where([['tenant_id = ?', tenantId]])
    const rows = await this.ctx.db.all<Row>(
      `SELECT * FROM closures ${w.sql} ORDER BY created_at DESC, ${textOrder(this.ctx.dialect, 'id')} DESC LIMIT ?`,
      [...w.params, limit],
    )
    return rows.map(toClosure)
  }

  private async resolve(tenantId: string, scope: ClosureScope): Promise<string[]> {
    const d = this.ctx.dialect
    if (scope?.kind === 'tenant') {
      return (
        await this.ctx.db.all<{ id: string }>(
          `SELECT id FROM queues WHERE tenant_id = ? ORDER BY ${textOrder(d, 'number')}`,
          [tenantId],
        )
      ).map((r) => r.id)
    }
    if (scope?.kind === 'tag') {
      requireString('closure.scope.tag', scope.tag, { max: 64 })
      return (
        await this.ctx.db.all<{ id: string }>(
          `SELECT id FROM queues q WHERE tenant_id = ? AND ${jsonArrayHas(d, 'q.tags')} ORDER BY ${textOrder(d, 'number')}`,
          [tenantId, scope.tag],
        )
      ).map((r) => r.id)
    }
    if (scope?.kind === 'queues') {
      if (!Array.isArray(scope.queueIds))
        throw invalid('closure.scope.queueIds', `expected an array of queue ids, got ${describe(scope.queueIds)}`)
      for (const q of scope.queueIds) {
        const row =
          typeof q === 'string'
            ? await this.ctx.db.get<{ tenant_id: string }>('SELECT tenant_id FROM queues WHERE id = ?', [q])
            : undefined
        if (!row) throw notFound('queue', String(q))
        if (row.tenant_id !== tenantId)
          throw invalid('closure.scope.queueIds', `queue '${q}' is not in tenant ${tenantId}`)
      }
      return [...new Set(scope.queueIds)]
    }
    throw invalid(
      'closure.scope.kind',
      `expected queues, tag or tenant, got ${describe((scope as { kind?: unknown })?.kind)}`,
    )
  }
}
