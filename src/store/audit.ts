/** The audit trail: who changed what, when. Asynchronous, SQLite and PostgreSQL alike (RepoContext). */
import type { RepoContext } from './repo-context.js'
import { where } from './sql/clauses.js'
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

interface Row {
  id: number
  at: number
  actor: string
  tenant_id: string | null
  action: string
  entity: string
  entity_id: string | null
  detail: string | null
}

export class Audit {
  constructor(private readonly ctx: RepoContext) {}

  /** Record an entry; returns its id. Inside `store.tx(…)` it commits (or not) with the change it describes. */
  async record(e: AuditInput): Promise<number> {
    requireString('audit.actor', e.actor, { max: 200 })
    requireString('audit.action', e.action, { max: 64 })
    requireString('audit.entity', e.entity, { max: 64 })
    const r = await this.ctx.db.get<{ id: number }>(
      'INSERT INTO audit (at, actor, tenant_id, action, entity, entity_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id',
      [
        e.at ?? this.ctx.clock.now(),
        e.actor,
        e.tenantId ?? null,
        e.action,
        e.entity,
        e.entityId ?? null,
        e.detail === undefined ? null : JSON.stringify(e.detail),
      ],
    )
    return r!.id
  }

  /** Newest first. */
  async list(
    f: { tenantId?: string; entity?: string; entityId?: string; since?: number; limit?: number } = {},
  ): Promise<AuditEntry[]> {
    const w = where([
      ['tenant_id = ?', f.tenantId],
      ['entity = ?', f.entity],
      ['entity_id = ?', f.entityId],
      ['at >= ?', f.since],
    ])
    const rows = await this.ctx.db.all<Row>(`SELECT * FROM audit ${w.sql} ORDER BY at DESC, id DESC LIMIT ?`, [
      ...w.params,
      Math.min(Math.max(1, Math.floor(f.limit ?? 200)), 10000),
    ])
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
