/**
 * `koplus queue add|list|show|set|remove`: queues and their settings (docs/cli.md).
 */
import type { Command } from 'commander'
import { table } from '../format.js'
import { collect, type Items, type Kit, type Queue } from '../kit.js'
import { parseAssignments, parseValue, settingValue } from '../parse.js'

/** Settings of a queue a `key=value` may set at the top level (the rest go into settings). */
const QUEUE_TOP = new Set(['name', 'number', 'tags'])

const queueColumns = [
  { header: 'NUMBER', get: (q: Queue) => q.number },
  { header: 'NAME', get: (q: Queue) => q.name },
  { header: 'TENANT', get: (q: Queue) => q.tenantId },
  { header: 'STRATEGY', get: (q: Queue) => q.settings.strategy },
  { header: 'RING', get: (q: Queue) => `${String(q.settings.ringTimeSec)}s`, align: 'right' as const },
  { header: 'WRAP-UP', get: (q: Queue) => `${String(q.settings.wrapUpSec)}s`, align: 'right' as const },
  { header: 'TAGS', get: (q: Queue) => q.tags },
  { header: 'ID', get: (q: Queue) => q.id },
]

export function registerQueueCommands(program: Command, kit: Kit): void {
  const { out, g, client, show, tenantQuery, findQueue } = kit
  const queue = program.command('queue').description('queues: add, list, show, set, remove')
  queue
    .command('add <number> <name>')
    .description('add a queue')
    .option('--tag <tag>', 'a queue group tag (repeatable)', collect)
    .argument('[settings...]', 'settings as key=value, e.g. ringTimeSec=30 strategy=ring-parallel')
    .action(async (number: string, name: string, settings: string[], o: { tag?: string[] }, cmd: Command) => {
      const body: Record<string, unknown> = {
        number,
        name,
        ...(o.tag ? { tags: o.tag } : {}),
        ...(g(cmd).tenant ? { tenantId: g(cmd).tenant } : {}),
      }
      if (settings.length)
        body.settings = parseAssignments(settings, (k, v) => settingValue(k.replace(/^settings\./, ''), v))
      const q = await client(cmd).request<Queue & { warnings?: string[] }>('POST', '/api/v1/queues', body)
      show(cmd, q, () => `queue ${q.number} "${q.name}" added (id ${q.id})`)
      for (const w of q.warnings ?? []) out.err(`warning: ${w}`)
    })
  queue
    .command('list')
    .description('list queues')
    .action(async (_o, cmd: Command) => {
      const r = await client(cmd).request<Items<Queue>>('GET', `/api/v1/queues${tenantQuery(cmd)}`)
      show(cmd, r.items, () => table(r.items, queueColumns))
    })
  queue
    .command('show <queue>')
    .description('a queue with all its settings')
    .action(async (ref: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      show(cmd, q, () =>
        [
          `queue ${q.number} "${q.name}"  (id ${q.id}, tenant ${q.tenantId}, tags ${q.tags.join(',') || '-'})`,
          ...Object.entries(q.settings).map(
            ([k, v]) => `  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`,
          ),
        ].join('\n'),
      )
    })
  queue
    .command('set <queue> <assignments...>')
    .description(
      'change a queue: name=…, number=…, tags=a,b, or any setting, e.g. ringTimeSec=30 closedAction=\'{"type":"busy"}\'',
    )
    .action(async (ref: string, pairs: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const kv = parseAssignments(pairs, (k, v) =>
        QUEUE_TOP.has(k) ? parseValue(v) : settingValue(k.replace(/^settings\./, ''), v),
      )
      const body: Record<string, unknown> = {}
      const settings: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(kv)) {
        const key = k.startsWith('settings.') ? k.slice(9) : k
        if (QUEUE_TOP.has(key) && !k.startsWith('settings.'))
          body[key] = key === 'tags' ? String(v).split(',').filter(Boolean) : key === 'number' ? String(v) : v
        else settings[key] = v
      }
      if (Object.keys(settings).length) body.settings = settings
      const updated = await api.request<Queue & { warnings?: string[] }>('PATCH', `/api/v1/queues/${q.id}`, body)
      show(cmd, updated, () => `queue ${updated.number} updated`)
      for (const w of updated.warnings ?? []) out.err(`warning: ${w}`)
    })
  queue
    .command('remove <queue>')
    .description('remove a queue')
    .action(async (ref: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      await api.request('DELETE', `/api/v1/queues/${q.id}`)
      show(cmd, { removed: q.id }, () => `queue ${q.number} removed`)
    })
}
