/**
 * Temporary closures (S2) of many queues at once: by list, by tag, or every queue of a tenant; now or in a
 * future window; until a time or until reopened. The queues are resolved when the closure is created.
 */
import type { Closure } from '../core/schedule/types.js'
import type { StoreContext } from './context.js'
import { StoreError, invalid, notFound } from './errors.js'
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
  constructor(private readonly ctx: StoreContext) {}

  /** Create a closure; INVALID when it resolves to no queue or names a queue of another tenant. */
  create(input: ClosureInput): ClosureRecord {
    const tenantId = input.tenantId ?? 'default'
    if (!this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(tenantId)) throw notFound('tenant', tenantId)
    const id = chooseId('cl', input.id, 'closure')
    const now = this.ctx.clock.now()
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
    const queueIds = this.resolve(tenantId, input.scope)
    if (queueIds.length === 0) throw invalid('closure.scope', `selects no queue in tenant ${tenantId}`)
    if (this.find(id)) throw new StoreError('DUPLICATE', `closure '${id}' already exists`, 'closure.id')
    this.ctx
      .sql(
        `INSERT INTO closures (id, tenant_id, scope, queue_ids, from_at, until_at, reason, created_by, created_at, message_prompt)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
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
      )
    return this.get(id)
  }

  /** Reopen by hand (ends the closure now). NOT_FOUND / INVALID when already reopened. */
  reopen(id: string, by: string, at: number = this.ctx.clock.now()): ClosureRecord {
    const c = this.get(id)
    requireString('closure.reopenedBy', by, { max: 100 })
    if (c.reopenedAt !== undefined) throw invalid('closure.reopenedAt', `closure '${id}' was already reopened`)
    this.ctx.sql('UPDATE closures SET reopened_at = ?, reopened_by = ? WHERE id = ?').run(at, by, id)
    return this.get(id)
  }

  find(id: string): ClosureRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM closures WHERE id = ?').get(id) as Row | undefined
    return r && toClosure(r)
  }

  get(id: string): ClosureRecord {
    const c = this.find(id)
    if (!c) throw notFound('closure', id)
    return c
  }

  /** Closures not reopened and not yet over at `at` (current and future ones), oldest first. */
  active(at: number = this.ctx.clock.now(), tenantId?: string): ClosureRecord[] {
    const rows = this.ctx
      .sql(
        'SELECT * FROM closures WHERE reopened_at IS NULL AND (until_at IS NULL OR until_at > ?) AND (? IS NULL OR tenant_id = ?) ORDER BY from_at, id',
      )
      .all(at, tenantId ?? null, tenantId ?? null) as Row[]
    return rows.map(toClosure)
  }

  /** Every closure (the audit trail), newest first. */
  list(tenantId?: string, limit = 200): ClosureRecord[] {
    const rows = this.ctx
      .sql('SELECT * FROM closures WHERE (? IS NULL OR tenant_id = ?) ORDER BY created_at DESC, id DESC LIMIT ?')
      .all(tenantId ?? null, tenantId ?? null, limit) as Row[]
    return rows.map(toClosure)
  }

  private resolve(tenantId: string, scope: ClosureScope): string[] {
    if (scope?.kind === 'tenant') {
      return (
        this.ctx.sql('SELECT id FROM queues WHERE tenant_id = ? ORDER BY number').all(tenantId) as { id: string }[]
      ).map((r) => r.id)
    }
    if (scope?.kind === 'tag') {
      requireString('closure.scope.tag', scope.tag, { max: 64 })
      return (
        this.ctx
          .sql(
            'SELECT id FROM queues q WHERE tenant_id = ? AND EXISTS (SELECT 1 FROM json_each(q.tags) WHERE value = ?) ORDER BY number',
          )
          .all(tenantId, scope.tag) as { id: string }[]
      ).map((r) => r.id)
    }
    if (scope?.kind === 'queues') {
      if (!Array.isArray(scope.queueIds))
        throw invalid('closure.scope.queueIds', `expected an array of queue ids, got ${describe(scope.queueIds)}`)
      for (const q of scope.queueIds) {
        const row = this.ctx.sql('SELECT tenant_id FROM queues WHERE id = ?').get(q) as
          { tenant_id: string } | undefined
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
