/** The audit trail: who changed what, when. */
import type { StoreContext } from './context.js'
import { requireString } from './util.js'

export interface AuditEntry {
  id: number
  at: number
  /** 'operator:alice', 'cli', 'phone:1001', 'system' … */
  actor: string
  tenantId: string | null
  /** 'create' | 'update' | 'remove' | 'close' | 'reopen' | 'login' … */
  action: string
  /** 'queue' | 'agent' | 'closure' … */
  entity: string
  entityId: string | null
  detail: unknown
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at' | 'tenantId' | 'entityId' | 'detail'> &
  Partial<Pick<AuditEntry, 'at' | 'tenantId' | 'entityId' | 'detail'>>

export class Audit {
  constructor(private readonly ctx: StoreContext) {}

  record(e: AuditInput): number {
    requireString('audit.actor', e.actor, { max: 200 })
    requireString('audit.action', e.action, { max: 64 })
    requireString('audit.entity', e.entity, { max: 64 })
    const r = this.ctx
      .sql('INSERT INTO audit (at, actor, tenant_id, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(
        e.at ?? this.ctx.clock.now(),
        e.actor,
        e.tenantId ?? null,
        e.action,
        e.entity,
        e.entityId ?? null,
        e.detail === undefined ? null : JSON.stringify(e.detail),
      )
    return Number(r.lastInsertRowid)
  }

  /** Newest first. */
  list(
    f: { tenantId?: string; entity?: string; entityId?: string; since?: number; limit?: number } = {},
  ): AuditEntry[] {
    const rows = this.ctx
      .sql(
        `SELECT * FROM audit WHERE (@tenantId IS NULL OR tenant_id = @tenantId) AND (@entity IS NULL OR entity = @entity)
                  AND (@entityId IS NULL OR entity_id = @entityId) AND (@since IS NULL OR at >= @since)
                ORDER BY at DESC, id DESC LIMIT @limit`,
      )
      .all({
        tenantId: f.tenantId ?? null,
        entity: f.entity ?? null,
        entityId: f.entityId ?? null,
        since: f.since ?? null,
        limit: Math.min(Math.max(1, f.limit ?? 200), 10000),
      }) as {
      id: number
      at: number
      actor: string
      tenant_id: string | null
      action: string
      entity: string
      entity_id: string | null
      detail: string | null
    }[]
    return rows.map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      tenantId: r.tenant_id,
      action: r.action,
      entity: r.entity,
      entityId: r.entity_id,
      detail: r.detail === null ? null : (JSON.parse(r.detail) as unknown),
    }))
  }
}
