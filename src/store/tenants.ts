/** Tenants: each maps to a FreeSWITCH domain. */
import type { Tenant } from '../core/model.js'
import type { StoreContext } from './context.js'
import { StoreError, notFound } from './errors.js'
import { chooseId, rejectUnknownKeys, requireString } from './util.js'

export interface TenantRecord extends Tenant {
  createdAt: number
}

interface Row {
  id: string
  name: string
  domain: string
  created_at: number
}

const DOMAIN_RE = /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/
const DOMAIN_WHAT = 'a domain name of lower-case letters, digits, - and .'

const toTenant = (r: Row): TenantRecord => ({ id: r.id, name: r.name, domain: r.domain, createdAt: r.created_at })

export class Tenants {
  constructor(private readonly ctx: StoreContext) {}

  list(): TenantRecord[] {
    return (this.ctx.sql('SELECT * FROM tenants ORDER BY created_at, id').all() as Row[]).map(toTenant)
  }

  find(id: string): TenantRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM tenants WHERE id = ?').get(id) as Row | undefined
    return r && toTenant(r)
  }

  /** Throws NOT_FOUND. */
  get(id: string): TenantRecord {
    const t = this.find(id)
    if (!t) throw notFound('tenant', id)
    return t
  }

  getByDomain(domain: string): TenantRecord | undefined {
    const r = this.ctx.sql('SELECT * FROM tenants WHERE domain = ?').get(domain) as Row | undefined
    return r && toTenant(r)
  }

  create(input: { id?: string; name: string; domain: string }): TenantRecord {
    rejectUnknownKeys('tenant', input, ['id', 'name', 'domain'])
    const id = chooseId('t', input.id, 'tenant')
    const name = requireString('tenant.name', input.name, { max: 100 })
    const domain = requireString('tenant.domain', input.domain, { re: DOMAIN_RE, what: DOMAIN_WHAT })
    if (this.find(id)) throw new StoreError('DUPLICATE', `tenant '${id}' already exists`, 'tenant.id')
    if (this.getByDomain(domain)) throw new StoreError('DUPLICATE', `tenant domain '${domain}' already exists`, 'tenant.domain')
    this.ctx.sql('INSERT INTO tenants (id, name, domain, created_at) VALUES (?, ?, ?, ?)').run(id, name, domain, this.ctx.clock.now())
    return this.get(id)
  }

  update(id: string, patch: { name?: string; domain?: string }): TenantRecord {
    rejectUnknownKeys('tenant', patch, ['name', 'domain'])
    const cur = this.get(id)
    const name = patch.name === undefined ? cur.name : requireString('tenant.name', patch.name, { max: 100 })
    const domain = patch.domain === undefined ? cur.domain : requireString('tenant.domain', patch.domain, { re: DOMAIN_RE, what: DOMAIN_WHAT })
    const other = this.getByDomain(domain)
    if (other && other.id !== id) throw new StoreError('DUPLICATE', `tenant domain '${domain}' already exists`, 'tenant.domain')
    this.ctx.sql('UPDATE tenants SET name = ?, domain = ? WHERE id = ?').run(name, domain, id)
    return this.get(id)
  }

  /** Refuses (IN_USE) while the tenant still has queues, agents, calendars or closures. */
  remove(id: string): void {
    this.get(id)
    for (const [table, what] of [['queues', 'queues'], ['agents', 'agents'], ['holiday_calendars', 'holiday calendars'], ['closures', 'closures']] as const) {
      const n = (this.ctx.sql(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`).get(id) as { n: number }).n
      if (n > 0) throw new StoreError('IN_USE', `tenant '${id}' still has ${n} ${what}; remove them first`)
    }
    this.ctx.sql('DELETE FROM tenants WHERE id = ?').run(id)
  }
}
