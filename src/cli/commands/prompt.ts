/**
 * `koplus prompt upload|list|remove`: recorded prompts (the API converts uploads with sox).
 */
import { type Command, Option } from 'commander'
import { readFileSync } from 'node:fs'
import { CliError } from '../client.js'
import { table } from '../format.js'
import type { Items, Kit } from '../kit.js'

/** A recorded prompt of GET /api/v1/prompts, as `prompts` reads it. */
interface PromptRow {
  id: string
  name: string
  language: string
  tenantId: string
  queueId: string | null
  path: string
}

export function registerPromptCommands(program: Command, kit: Kit): void {
  const { g, client, show, tenantQuery, findQueue, names } = kit
  const prompt = program
    .command('prompt')
    .description('prompts: list, upload (converted to 8 kHz mono WAV with sox), remove')
  prompt
    .command('upload <file>')
    .requiredOption(
      '--name <name>',
      'which prompt: welcome, queue-first, queue-periodic, closed, overflow, no-agents, …',
    )
    .addOption(new Option('--language <lang>', 'language').choices(['sv', 'en']).default('sv'))
    .option('--queue <queue>', 'only for this queue (default: every queue of the tenant)')
    .action(async (file: string, o: { name: string; language: string; queue?: string }, cmd: Command) => {
      let data: Buffer
      try {
        data = readFileSync(file)
      } catch (err) {
        throw new CliError(`cannot read ${file}: ${(err as Error).message}`)
      }
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const params = new URLSearchParams({
        name: o.name,
        language: o.language,
        ...(q ? { queue: q.id, tenant: q.tenantId } : g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
      })
      const r = await api.request<{ id: string; path: string }>('POST', `/api/v1/prompts/upload?${params}`, undefined, {
        raw: data,
        contentType: 'application/octet-stream',
      })
      show(cmd, r, () => `prompt ${o.name} (${o.language}) stored as ${r.path}`)
    })
  prompt.command('list').action(async (_o, cmd: Command) => {
    const api = client(cmd)
    const r = await api.request<Items<PromptRow>>('GET', `/api/v1/prompts${tenantQuery(cmd)}`)
    const n = await names(cmd, api)
    show(cmd, r.items, () =>
      table(r.items, [
        { header: 'NAME', get: (x) => x.name },
        { header: 'LANG', get: (x) => x.language },
        { header: 'TENANT', get: (x) => x.tenantId },
        { header: 'QUEUE', get: (x) => (x.queueId ? n.q(x.queueId) : '(all)') },
        { header: 'PATH', get: (x) => x.path },
        { header: 'ID', get: (x) => x.id },
      ]),
    )
  })
  prompt.command('remove <id>').action(async (id: string, _o, cmd: Command) => {
    await client(cmd).request('DELETE', `/api/v1/prompts/${encodeURIComponent(id)}`)
    show(cmd, { removed: id }, () => `prompt ${id} removed (the default plays again)`)
  })
}
