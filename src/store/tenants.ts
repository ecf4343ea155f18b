/** Tenants: each maps to a FreeSWITCH domain. */
import type { Tenant } from '../core/model.js'
import { StoreError, notFound } from './errors.js'
import type { RepoContext } from './repo-context.js'
import { isForeignKeyViolation, uniqueViolation } from './sql/constraint.js'
import { textOrder } from './sql/clauses.js'
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

/**
 * The built-in tenant's domain: a placeholder, not a FreeSWITCH domain. While it is the only tenant the engine
 * takes calls from any domain for it and counts its agents' registrations in FreeSWITCH's own domain; with a second
 * tenant calls and registrations are matched by domain, and a tenant on the placeholder matches nothing.
 */
export const PLACEHOLDER_DOMAIN = 'default'

/** A tenant's domain and how much hangs on it. */
export interface TenantUse {
  id: string
  domain: string
  queues: number
  agents: number
}

/**
 * The warning for a multi-tenant install in which a tenant with queues or agents is still on the placeholder
 * domain (its callers and agents are cut off), or undefined. Shared by the API (when a tenant is added or changed)
 * and `koplus doctor`.
 */
export function placeholderDomainWarning(tenants: readonly TenantUse[]): string | undefined {
  if (tenants.length < 2) return undefined
  const t = tenants.find((x) => x.domain === PLACEHOLDER_DOMAIN && x.queues + x.agents > 0)
  if (!t) return undefined
  return (
    `tenant '${t.id}' (${t.queues} queue(s), ${t.agents} agent(s)) still has the placeholder domain '${PLACEHOLDER_DOMAIN}': ` +
    `with ${tenants.length} tenants koplus matches calls and phone registrations by domain, so its queues get no calls and its agents ` +
    `(phones registered in FreeSWITCH's own domain) are not rung. Give it FreeSWITCH's domain: ` +
    `PATCH /api/v1/tenants/${t.id} {"domain": "<FreeSWITCH domain>"}`
  )
}

const TENANT_USAGE_SELECT =
  'SELECT t.id, t.domain, (SELECT count(*) FROM queues q WHERE q.tenant_id = t.id) AS queues, (SELECT count(*) FROM agents a WHERE a.tenant_id = t.id) AS agents FROM tenants t'

/** Every tenant with its number of queues and agents (also read by `koplus doctor` from the SQLite file directly). */
export const TENANT_USAGE_SQL = `${TENANT_USAGE_SELECT} ORDER BY t.id`

const toTenant = (r: Row): TenantRecord => ({ id: r.id, name: r.name, domain: r.domain, createdAt: r.created_at })

export class Tenants {
  constructor(private readonly ctx: RepoContext) {}

  async list(): Promise<TenantRecord[]> {
    return (
      await this.ctx.db.all<Row>(`SELECT * FROM tenants ORDER BY created_at, ${textOrder(this.ctx.dialect, 'id')}`)
    ).map(toTenant)
  }

  async find(id: string): Promise<TenantRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM tenants WHERE id = ?', [id])
    return r && toTenant(r)
  }

  /** Throws NOT_FOUND. */
  async get(id: string): Promise<TenantRecord> {
    const t = await this.find(id)
    if (!t) throw notFound('tenant', id)
    return t
  }

  /** Every tenant with its number of queues and agents. */
  async usage(): Promise<TenantUse[]> {
    return this.ctx.db.all<TenantUse>(`${TENANT_USAGE_SELECT} ORDER BY ${textOrder(this.ctx.dialect, 't.id')}`)
  }

  async getByDomain(domain: string): Promise<TenantRecord | undefined> {
    const r = await this.ctx.db.get<Row>('SELECT * FROM tenants WHERE domain = ?', [domain])
    return r && toTenant(r)
  }

  async create(input: { id?: string; name: string; domain: string }): Promise<TenantRecord> {
    rejectUnknownKeys('tenant', input, ['id', 'name', 'domain'])
    const id = chooseId('t', input.id, 'tenant')
    const name = requireString('tenant.name', input.name, { max: 100 })
    const domain = requireString('tenant.domain', input.domain, { re: DOMAIN_RE, what: DOMAIN_WHAT })
    return this.ctx.tx(async (c) => {
      const tenants = new Tenants(c)
      await tenants.assertFree(id, domain)
      const r = await c.db.get<Row>(
        'INSERT INTO tenants (id, name, domain, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *',
        [id, name, domain, c.clock.now()],
      )
      if (r) return toTenant(r)
      await tenants.assertFree(id, domain) // a concurrent writer took the id or the domain: say which
      throw new StoreError('DUPLICATE', `tenant '${id}' already exists`, 'tenant.id')
    })
  }

  async update(id: string, patch: { name?: string; domain?: string }): Promise<TenantRecord> {
    rejectUnknownKeys('tenant', patch, ['name', 'domain'])
    return this.ctx.tx(async (c) => {
      const tenants = new Tenants(c)
      const cur = await tenants.get(id)
      const name = patch.name === undefined ? cur.name : requireString('tenant.name', patch.name, { max: 100 })
      const domain =
        patch.domain === undefined
          ? cur.domain
          : requireString('tenant.domain', patch.domain, { re: DOMAIN_RE, what: DOMAIN_WHAT })
      const other = await tenants.getByDomain(domain)
      if (other && other.id !== id) throw domainTaken(domain)
      try {
        const r = await c.db.get<Row>('UPDATE tenants SET name = ?, domain = ? WHERE id = ? RETURNING *', [
          name,
          domain,
          id,
        ])
        if (!r) throw notFound('tenant', id)
        return toTenant(r)
      } catch (err) {
        if (uniqueViolation(err) !== undefined) throw domainTaken(domain, err)
        throw err
      }
    })
  }

  /**
   * Refuses (IN_USE) while the tenant still has queues, agents or calendars. Its closures go with it: once its
   * queues are gone they close nothing, and no route removes a closure (their history stays in the audit log).
   */
  async remove(id: string): Promise<void> {
    await this.ctx.tx(async (c) => {
      await new Tenants(c).get(id)
      for (const [table, what] of [
        ['queues', 'queues'],
        ['agents', 'agents'],
        ['holiday_calendars', 'holiday calendars'],
      ] as const) {
        const n = (await c.db.get<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE tenant_id = ?`, [id]))!.n
        if (n > 0) throw new StoreError('IN_USE', `tenant '${id}' still has ${n} ${what}; remove them first`)
      }
      try {
        await c.db.run('DELETE FROM closures WHERE tenant_id = ?', [id])
        await c.db.run('DELETE FROM tenants WHERE id = ?', [id])
      } catch (err) {
        // a queue, agent or calendar added meanwhile by another writer
        if (isForeignKeyViolation(err))
          throw new StoreError(
            'IN_USE',
            `tenant '${id}' is still in use; remove its queues, agents and calendars first`,
            undefined,
            { cause: err },
          )
        throw err
      }
    })
  }

  private async assertFree(id: string, domain: string): Promise<void> {
    if (await this.find(id)) throw new StoreError('DUPLICATE', `tenant '${id}' already exists`, 'tenant.id')
    if (await this.getByDomain(domain)) throw domainTaken(domain)
  }
}

function domainTaken(domain: string, cause?: unknown): StoreError {
  return new StoreError('DUPLICATE', `tenant domain '${domain}' already exists`, 'tenant.domain', { cause })
}
