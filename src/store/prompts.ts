/** Prompts replaced by operators: per tenant, optional queue, language and name; a new one replaces the old. */
import type { Language } from '../core/model.js'
import type { StoreContext } from './context.js'
import { invalid, notFound } from './errors.js'
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
  constructor(private readonly ctx: StoreContext) {}

  /**
   * Set the prompt for (tenant, queue, language, name), replacing any previous one. Returns the new
   * record and the path of the file it replaced (for the caller to delete), or null.
   */
  put(p: { tenantId: string; queueId?: string | null; language: Language; name: string; path: string }): {
    prompt: PromptRecord
    replacedPath: string | null
  } {
    if (p.language !== 'sv' && p.language !== 'en')
      throw invalid('prompt.language', `expected sv or en, got ${JSON.stringify(p.language)}`)
    requireString('prompt.name', p.name, { re: NAME_RE, what: 'a prompt name of lower-case letters, digits, _ and -' })
    requireString('prompt.path', p.path, { max: 1000 })
    if (!this.ctx.sql('SELECT 1 FROM tenants WHERE id = ?').get(p.tenantId)) throw notFound('tenant', p.tenantId)
    const queueId = p.queueId ?? null
    if (queueId !== null) {
      const q = this.ctx.sql('SELECT tenant_id FROM queues WHERE id = ?').get(queueId) as
        { tenant_id: string } | undefined
      if (!q) throw notFound('queue', queueId)
      if (q.tenant_id !== p.tenantId)
        throw invalid('prompt.queueId', `queue '${queueId}' is not in tenant ${p.tenantId}`)
    }
    return this.ctx.db.transaction(() => {
      const old = this.lookup(p.tenantId, queueId, p.language, p.name)
      if (old) this.ctx.sql('DELETE FROM prompts WHERE id = ?').run(old.id)
      const id = newId('p')
      this.ctx
        .sql(
          'INSERT INTO prompts (id, tenant_id, queue_id, language, name, path, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(id, p.tenantId, queueId, p.language, p.name, p.path, this.ctx.clock.now())
      return {
        prompt: toPrompt(this.ctx.sql('SELECT * FROM prompts WHERE id = ?').get(id) as Row),
        replacedPath: old?.path ?? null,
      }
    })()
  }

  /** The exact entry for (tenant, queue or null, language, name). */
  lookup(tenantId: string, queueId: string | null, language: Language, name: string): PromptRecord | undefined {
    const r = this.ctx
      .sql("SELECT * FROM prompts WHERE tenant_id = ? AND COALESCE(queue_id, '') = ? AND language = ? AND name = ?")
      .get(tenantId, queueId ?? '', language, name) as Row | undefined
    return r && toPrompt(r)
  }

  /** The prompt a queue should play: its own, else the tenant's; undefined = use the built-in sound. */
  resolve(tenantId: string, queueId: string, language: Language, name: string): PromptRecord | undefined {
    return this.lookup(tenantId, queueId, language, name) ?? this.lookup(tenantId, null, language, name)
  }

  list(tenantId?: string, queueId?: string): PromptRecord[] {
    const rows = this.ctx
      .sql(
        'SELECT * FROM prompts WHERE (@t IS NULL OR tenant_id = @t) AND (@q IS NULL OR queue_id = @q) ORDER BY tenant_id, queue_id, language, name',
      )
      .all({ t: tenantId ?? null, q: queueId ?? null }) as Row[]
    return rows.map(toPrompt)
  }

  /** Remove a prompt entry; returns its file path. */
  remove(id: string): string {
    const r = this.ctx.sql('SELECT * FROM prompts WHERE id = ?').get(id) as Row | undefined
    if (!r) throw notFound('prompt', id)
    this.ctx.sql('DELETE FROM prompts WHERE id = ?').run(id)
    return r.path
  }
}
