/**
 * `koplus tenant add|list|show|set|remove`: tenants (one per FreeSWITCH domain) through the API's /api/v1/tenants
 * (operators only, except list/show of one's own tenant).
 */
import type { Command } from 'commander'
import { CliError, type ApiClient } from '../client.js'
import { instant, table } from '../format.js'

interface Tenant {
  id: string
  name: string
  domain: string
  createdAt?: number
}

/** What the tenant commands need from the program (src/cli/main.ts). */
interface CommandKit {
  client(cmd: Command): ApiClient
  /** Print `data` as JSON with --json, else `human()`. */
  show(cmd: Command, data: unknown, human: () => string): void
}

const TENANT_KEYS = new Set(['name', 'domain'])

export function registerTenantCommands(program: Command, kit: CommandKit): void {
  const tenant = program
    .command('tenant')
    .description('tenants (each maps to a FreeSWITCH domain): add, list, show, set, remove')
  const get = (api: ApiClient, id: string): Promise<Tenant> =>
    api.request<Tenant>('GET', `/api/v1/tenants/${encodeURIComponent(id)}`)

  tenant
    .command('add <id> <name>')
    .description('add a tenant: its id (used with --tenant), a name, and the FreeSWITCH domain its users register in')
    .requiredOption('--domain <domain>', 'FreeSWITCH/SIP domain of the tenant, e.g. acme.example.com')
    .action(async (id: string, name: string, o: { domain: string }, cmd: Command) => {
      const t = await kit.client(cmd).request<Tenant>('POST', '/api/v1/tenants', { id, name, domain: o.domain })
      kit.show(cmd, t, () => `tenant ${t.id} "${t.name}" added (domain ${t.domain})`)
    })
  tenant
    .command('list')
    .description('list tenants')
    .action(async (_o, cmd: Command) => {
      const r = await kit.client(cmd).request<{ items: Tenant[] }>('GET', '/api/v1/tenants')
      kit.show(cmd, r.items, () =>
        table(r.items, [
          { header: 'ID', get: (x) => x.id },
          { header: 'NAME', get: (x) => x.name },
          { header: 'DOMAIN', get: (x) => x.domain },
          { header: 'CREATED', get: (x) => instant(x.createdAt) },
        ]),
      )
    })
  tenant
    .command('show <id>')
    .description('a tenant')
    .action(async (id: string, _o, cmd: Command) => {
      const t = await get(kit.client(cmd), id)
      kit.show(cmd, t, () => `tenant ${t.id} "${t.name}"  (domain ${t.domain}, created ${instant(t.createdAt)})`)
    })
  tenant
    .command('set <id> <assignments...>')
    .description('change a tenant: name=… and/or domain=…')
    .action(async (id: string, pairs: string[], _o, cmd: Command) => {
      const body: Record<string, string> = {}
      for (const p of pairs) {
        const i = p.indexOf('=')
        if (i <= 0) throw new CliError(`expected key=value, got '${p}'`)
        const key = p.slice(0, i)
        if (!TENANT_KEYS.has(key))
          throw new CliError(`unknown tenant field '${key}' (one of ${[...TENANT_KEYS].join(', ')})`)
        body[key] = p.slice(i + 1)
      }
      const t = await kit.client(cmd).request<Tenant>('PATCH', `/api/v1/tenants/${encodeURIComponent(id)}`, body)
      kit.show(cmd, t, () => `tenant ${t.id} updated`)
    })
  tenant
    .command('remove <id>')
    .description('remove a tenant (refused while it still has queues, agents, calendars or closures)')
    .action(async (id: string, _o, cmd: Command) => {
      await kit.client(cmd).request('DELETE', `/api/v1/tenants/${encodeURIComponent(id)}`)
      kit.show(cmd, { removed: id }, () => `tenant ${id} removed`)
    })
}
