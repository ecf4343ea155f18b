/** Prompts replaced by operators: per tenant, optional queue, language and name; a new one replaces the old. */
import type { Language } from '../core/model.js'
import { StoreError, invalid, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { textOrder, where } from './sql/clauses.js'
import { newId, requireString } from './util.js'

export interface PromptRecord {
  id: string
  tenantId: string
  /** null: the tenant's prompt for every queue. */
  queueId: string | null
  language: Language
  name: string
  /** Absolute path of the audio file. */
  path: string
  createdAt: number
}

interface Row {
  id: string
  tenant_id: string
  queue_id: string | null
  language: Language
  name: string
  path: string
  created_at: number
}

const toPrompt = (r: Row): PromptRecord => ({
  id: r.id,
  tenantId: r.tenant_id,
  queueId: r.queue_id,
  language: r.language,
  name: r.name,
  path: r.path,
  createdAt: r.created_at,
})
const NAME_RE = /^[a-z0-9][a-z0-9_-]{0,63}$/

export class Prompts {
  constructor(private readonly ctx: RepoContext) {}

  /**
   * Set the prompt for (tenant, queue, language, name), replacing any previous one. Returns the new
   * record and the path of the file it replaced (for the caller to delete), or null.
   */
  async put(p: { tenantId: string; queueId?: string | null; language: Language; name: string; path: string }): Promise<{
    prompt: PromptRecord
    replacedPath: string | null
  }> {
    if (p.language !== 'sv' && p.language !== 'en')
      throw invalid('prompt.language', `expected sv or en, got ${JSON.stringify(p.language)}`)
    requireString('prompt.name', p.name, { re: NAME_RE, what: 'a prompt name of lower-case letters, digits, _ and -' })
    requireString('prompt.path', p.path, { max: 1000 })
    const queueId = p.queueId ?? null
    return this.ctx.tx(async (c) => {
      if (!(await c.db.get('SELECT 1 FROM tenants WHERE id = ?', [p.tenantId]))) throw notFound('tenant', p.tenantId)
      if (queueId !== null) {
        const q = await c.db.get<{ tenant_id: string }>('SELECT tenant_id FROM queues WHERE id = ?', [queueId])
        if (!q) throw notFound('queue', queueId)
        if (q.tenant_id !== p.tenantId)
          throw invalid('prompt.queueId', `queue '${queueId}' is not in tenant ${p.tenantId}`)
      }
      const prompts = new Prompts(c)
      // A concurrent put of the same key may commit between the delete and the insert (PostgreSQL): the insert
      // then does nothing and the entry it wrote is replaced in turn, so its file is handed back for deletion too.
      for (let attempt = 1; ; attempt++) {
        const old = await prompts.lookup(p.tenantId, queueId, p.language, p.name)
        if (old) await c.db.run('DELETE FROM prompts WHERE id = ?', [old.id])
        const r = await c.db.get<Row>(
          'INSERT INTO prompts (id, tenant_id, queue_id, language, name, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *',
          [newId('p'), p.tenantId, queueId, p.language, p.name, p.path, c.clock.now()],
        )
        if (r) return { prompt: toPrompt(r), replacedPath: old?.path ?? null }
        if (attempt === 3)
          throw new StoreError('DUPLICATE', `prompt '${p.name}' (${p.language}) is being replaced by another writer`)
      }
    })
  }

  /** The exact entry for (tenant, queue or null, language, name). */
  async lookup(
    tenantId: string,
    queueId: string | null,
    language: Language,
    name: string,
  ): Promise<PromptRecord | undefined> {
    const r = await this.ctx.db.get<Row>(
      "SELECT * FROM prompts WHERE tenant_id = ? AND COALESCE(queue_id, '') = ? AND language = ? AND name = ?",
      [tenantId, queueId ?? '', language, name],
    )
    return r && toPrompt(r)
  }

  /** The prompt a queue should play: its own, else the tenant's; undefined = use the built-in sound. */
  async resolve(
    tenantId: string,
    queueId: string,
    language: Language,
    name: string,
  ): Promise<PromptRecord | undefined> {
    return (await this.lookup(tenantId, queueId, language, name)) ?? (await this.lookup(tenantId, null, language, name))
  }

  /** Prompts of a tenant and/or queue (or all), by tenant, queue (the tenant-wide ones first), language, name. */
  async list(tenantId?: string, queueId?: string): Promise<PromptRecord[]> {
    const d = this.ctx.dialect
    const w = where([
      ['tenant_id = ?', tenantId],
      ['queue_id = ?', queueId],
    ])
    const rows = await this.ctx.db.all<Row>(
      `SELECT * FROM prompts ${w.sql} ORDER BY ${textOrder(d, 'tenant_id')}, ${textOrder(d, 'queue_id')} NULLS FIRST, ${textOrder(d, 'language')}, ${textOrder(d, 'name')}`,
      w.params,
    )
    return rows.map(toPrompt)
  }

  /** Remove a prompt entry; returns its file path. */
  async remove(id: string): Promise<string> {
    const r = await this.ctx.db.get<{ path: string }>('DELETE FROM prompts WHERE id = ? RETURNING path', [id])
    if (!r) throw notFound('prompt', id)
    return r.path
  }
}
