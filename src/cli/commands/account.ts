/**
 * `koplus account add|list|remove|password`: web/API accounts; passwords only from stdin or KOPLUS_PASSWORD.
 */
import { type Command, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { CliError } from '../client.js'
import { table } from '../format.js'
import type { Items, Kit } from '../kit.js'

export function registerAccountCommands(program: Command, kit: Kit): void {
  const { env, g, client, show, tenantQuery, findAgent } = kit
  const account = program.command('account').description('web/API accounts: add, list, remove, password')
  account
    .command('add <username>')
    .description(
      'add an account; the password is read from --password-stdin or KOPLUS_PASSWORD (never from the command line)',
    )
    .addOption(new Option('--role <role>', 'role').choices(['operator', 'tenant-admin', 'agent']).makeOptionMandatory())
    .option('--agent <agent>', 'agent role: the agent (extension or id)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, o: { role: string; agent?: string; passwordStdin?: boolean }, cmd: Command) => {
      const password = o.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : env.KOPLUS_PASSWORD
      if (!password) throw new CliError('no password: pipe it with --password-stdin, or set KOPLUS_PASSWORD')
      const api = client(cmd)
      const body: Record<string, unknown> = { username, password, role: o.role }
      if (o.role !== 'operator') body.tenantId = g(cmd).tenant ?? 'default'
      if (o.agent) {
        const a = await findAgent(cmd, api, o.agent)
        body.agentId = a.id
        body.tenantId = a.tenantId
      }
      const r = await api.request<{ id: string; username: string; role: string }>('POST', '/api/v1/accounts', body)
      show(cmd, r, () => `account ${r.username} (${r.role}) added`)
    })
  account.command('list').action(async (_o, cmd: Command) => {
    const r = await client(cmd).request<Items<Record<string, unknown>>>('GET', `/api/v1/accounts${tenantQuery(cmd)}`)
    show(cmd, r.items, () =>
      table(r.items, [
        { header: 'USERNAME', get: (x) => x.username },
        { header: 'ROLE', get: (x) => x.role },
        { header: 'TENANT', get: (x) => x.tenantId },
        { header: 'AGENT', get: (x) => x.agentId },
        { header: 'ID', get: (x) => x.id },
      ]),
    )
  })
  account.command('remove <username>').action(async (username: string, _o, cmd: Command) => {
    const api = client(cmd)
    const r = await api.request<Items<{ id: string; username: string }>>('GET', '/api/v1/accounts')
    const a = r.items.find((x) => x.username === username || x.id === username)
    if (!a) throw new CliError(`unknown account '${username}'`)
    await api.request('DELETE', `/api/v1/accounts/${a.id}`)
    show(cmd, { removed: a.id }, () => `account ${a.username} removed`)
  })
  account
    .command('password <username>')
    .description('set a password (from --password-stdin or KOPLUS_PASSWORD)')
    .option('--password-stdin', 'read the password from standard input')
    .action(async (username: string, o: { passwordStdin?: boolean }, cmd: Command) => {
      const password = o.passwordStdin ? readFileSync(0, 'utf8').replace(/\r?\n$/, '') : env.KOPLUS_PASSWORD
      if (!password) throw new CliError('no password: pipe it with --password-stdin, or set KOPLUS_PASSWORD')
      const api = client(cmd)
      const r = await api.request<Items<{ id: string; username: string }>>('GET', '/api/v1/accounts')
      const a = r.items.find((x) => x.username === username || x.id === username)
      if (!a) throw new CliError(`unknown account '${username}'`)
      await api.request('PATCH', `/api/v1/accounts/${a.id}`, { password })
      show(cmd, { updated: a.id }, () => `password of ${a.username} changed`)
    })
}
