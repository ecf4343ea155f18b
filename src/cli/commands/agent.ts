/**
 * `koplus agent …` (add, list, show, set, remove and the live actions login, logout, pause, unpause, wrapup-end,
 * device) and `koplus member add|remove|list` (who may log in where).
 */
import { type Command, Option } from 'commander'
import { type ApiClient, CliError } from '../client.js'
import { instant, table } from '../format.js'
import { collect, type Agent, type Items, type Kit, type Queue } from '../kit.js'
import { parseAssignments, parseDevice, parseValue } from '../parse.js'
import type { AgentStatusRow } from './status.js'

/** The fields `koplus agent set` may change. */
const AGENT_KEYS = new Set(['name', 'extension', 'plan', 'sipUser', 'devices', 'activeDevice', 'wrapUpSec', 'skills'])

const agentColumns = [
  { header: 'EXT', get: (a: Agent) => a.extension },
  { header: 'NAME', get: (a: Agent) => a.name },
  { header: 'TENANT', get: (a: Agent) => a.tenantId },
  { header: 'PLAN', get: (a: Agent) => a.plan },
  {
    header: 'DEVICE',
    get: (a: Agent) =>
      a.devices[a.activeDevice]
        ? `${a.activeDevice + 1}:${a.devices[a.activeDevice].type}:${a.devices[a.activeDevice].target}`
        : '-',
  },
  { header: 'SKILLS', get: (a: Agent) => Object.entries(a.skills).map(([k, v]) => `${k}=${v}`) },
  { header: 'ID', get: (a: Agent) => a.id },
]

export function registerAgentCommands(program: Command, kit: Kit): void {
  const { g, client, show, tenantQuery, findQueue, findAgent, names, typed } = kit
  const agent = program
    .command('agent')
    .description('agents: add, list, show, set, remove, login, logout, pause, unpause, wrapup-end, device')
  agent
    .command('add <extension> <name>')
    .description('add an agent')
    .addOption(
      new Option('--plan <plan>', 'licence plan').choices(['basic', 'pro', 'business', 'enterprise']).default('pro'),
    )
    .option('--sip-user <user>', 'SIP user that identifies the agent on feature-code calls (default: the extension)')
    .option(
      '--device <type:target>',
      'a device, e.g. softphone:1001, deskphone:1001, mobile:0701234567 (repeatable; the first is active)',
      collect,
    )
    .option('--wrap-up <sec>', 'wrap-up override in seconds')
    .action(
      async (
        extension: string,
        name: string,
        o: { plan: string; sipUser?: string; device?: string[]; wrapUp?: string },
        cmd: Command,
      ) => {
        const body: Record<string, unknown> = {
          extension,
          name,
          plan: o.plan,
          sipUser: o.sipUser ?? extension,
          devices: (o.device ?? [`softphone:${extension}`]).map(parseDevice),
          ...(o.wrapUp !== undefined ? { wrapUpSec: parseValue(o.wrapUp) } : {}),
          ...(g(cmd).tenant ? { tenantId: g(cmd).tenant } : {}),
        }
        const a = await client(cmd).request<Agent>('POST', '/api/v1/agents', body)
        show(cmd, a, () => `agent ${a.extension} "${a.name}" added (id ${a.id})`)
      },
    )
  agent
    .command('list')
    .description('list agents with their live state')
    .action(async (_o, cmd: Command) => {
      const api = client(cmd)
      const r = await api.request<Items<Agent>>('GET', `/api/v1/agents${tenantQuery(cmd)}`)
      const status = await api.request<{ agents: AgentStatusRow[] }>('GET', '/api/v1/status')
      const live = new Map(status.agents.map((a) => [a.agentId, a]))
      const n = await names(cmd, api)
      const rows = r.items.map((a) => ({ ...a, live: live.get(a.id) }))
      show(cmd, rows, () =>
        table(rows, [
          ...agentColumns.slice(0, 5),
          { header: 'STATE', get: (a) => a.live?.state ?? 'logged-out' },
          { header: 'QUEUES', get: (a) => (a.live?.queues ?? []).map(n.q) },
          { header: 'IDLE-SINCE', get: (a) => instant(a.live?.idleSince, n.z(a.live?.queues)) },
          { header: 'UNANSWERED', get: (a) => a.live?.unanswered ?? 0, align: 'right' },
          { header: 'AUTO-LOGOUT', get: (a) => a.live?.autoLogoutReason ?? '' },
        ]),
      )
    })
  agent
    .command('show <agent>')
    .description('an agent')
    .action(async (ref: string, _o, cmd: Command) => {
      const a = await findAgent(cmd, client(cmd), ref)
      show(cmd, a, () =>
        [
          `agent ${a.extension} "${a.name}"  (id ${a.id}, tenant ${a.tenantId}, plan ${a.plan}, SIP user ${a.sipUser || '-'})`,
          ...a.devices.map(
            (d, i) => `  device ${i + 1}: ${d.type} ${d.target}${i === a.activeDevice ? '  (active)' : ''}`,
          ),
          `  wrap-up: ${a.wrapUpSec === null ? "the queue's" : `${a.wrapUpSec}s`}`,
          `  skills: ${
            Object.entries(a.skills)
              .map(([k, v]) => `${k}=${v}`)
              .join(' ') || '-'
          }`,
        ].join('\n'),
      )
    })
  agent
    .command('set <agent> <assignments...>')
    .description(
      'change an agent: name=…, extension=…, plan=…, sipUser=…, wrapUpSec=…|null, skills=\'{"sv":5}\', devices=softphone:1001,mobile:070…',
    )
    .action(async (ref: string, pairs: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const a = await findAgent(cmd, api, ref)
      const kv = parseAssignments(pairs)
      for (const k of Object.keys(kv))
        if (!AGENT_KEYS.has(k)) throw new CliError(`unknown agent field '${k}' (one of ${[...AGENT_KEYS].join(', ')})`)
      if (typeof kv.devices === 'string') kv.devices = kv.devices.split(',').map(parseDevice)
      if (kv.extension !== undefined) kv.extension = String(kv.extension)
      if (kv.sipUser !== undefined) kv.sipUser = String(kv.sipUser)
      const updated = await api.request<Agent>('PATCH', `/api/v1/agents/${a.id}`, kv)
      show(cmd, updated, () => `agent ${updated.extension} updated`)
    })
  agent
    .command('remove <agent>')
    .description('remove an agent')
    .action(async (ref: string, _o, cmd: Command) => {
      const api = client(cmd)
      const a = await findAgent(cmd, api, ref)
      await api.request('DELETE', `/api/v1/agents/${a.id}`)
      show(cmd, { removed: a.id }, () => `agent ${a.extension} removed`)
    })
  const liveAction = (
    name: string,
    description: string,
    path: string,
    build: (cmd: Command, api: ApiClient, args: string[], o: Record<string, string | undefined>) => Promise<unknown>,
    done: (a: Agent) => string,
    args = '[queues...]',
  ): Command =>
    agent
      .command(`${name} <agent> ${args}`.trim())
      .description(description)
      .action(async (ref: string, ...rest: unknown[]) => {
        const cmd = rest[rest.length - 1] as Command
        const o = rest[rest.length - 2] as Record<string, string | undefined>
        const positional = rest.length > 2 ? (rest[0] as string[] | string | undefined) : undefined
        const list = positional === undefined ? [] : Array.isArray(positional) ? positional : [positional]
        const api = client(cmd)
        const a = await findAgent(cmd, api, ref)
        const body = await build(cmd, api, list, o)
        const r = await typed(
          [{ id: a.id, shown: a.extension }],
          api.request('POST', `/api/v1/agents/${a.id}/${path}`, body),
        )
        show(cmd, r, () => done(a))
      })
  const queueIds = async (cmd: Command, api: ApiClient, refs: string[]): Promise<{ queueIds?: string[] }> =>
    refs.length ? { queueIds: await Promise.all(refs.map(async (r) => (await findQueue(cmd, api, r)).id)) } : {}
  liveAction(
    'login',
    'log an agent in to queues (default: every queue it is a member of)',
    'login',
    (cmd, api, refs) => queueIds(cmd, api, refs),
    (a) => `agent ${a.extension} logged in`,
  )
  liveAction(
    'logout',
    'log an agent out of queues (default: all)',
    'logout',
    (cmd, api, refs) => queueIds(cmd, api, refs),
    (a) => `agent ${a.extension} logged out`,
  )
  liveAction(
    'pause',
    'pause an agent (no calls offered)',
    'pause',
    async (_c, _a, _r, o) => (o.reason ? { reason: o.reason } : {}),
    (a) => `agent ${a.extension} paused`,
    '',
  ).option('--reason <reason>', 'pause reason')
  liveAction(
    'unpause',
    'resume a paused agent',
    'unpause',
    async () => undefined,
    (a) => `agent ${a.extension} resumed`,
    '',
  )
  liveAction(
    'wrapup-end',
    'end the wrap-up now',
    'end-wrapup',
    async () => undefined,
    (a) => `agent ${a.extension}: wrap-up ended`,
    '',
  )
  liveAction(
    'device',
    'choose the active device: its number as listed by `koplus agent show` (1, 2, …)',
    'device',
    async (_c, _a, [n]) => {
      const i = Number(n)
      if (!Number.isInteger(i) || i < 1) throw new CliError(`expected a device number 1, 2, …, got '${n}'`)
      return { index: i - 1 }
    },
    (a) => `agent ${a.extension}: device chosen`,
    '<number>',
  )

  // ── member ──
  const member = program.command('member').description('queue membership: who may log in where (D2)')
  for (const [name, method] of [
    ['add', 'POST'],
    ['remove', 'DELETE'],
  ] as const) {
    member
      .command(`${name} <agent> <queue>`)
      .description(name === 'add' ? 'grant an agent a queue' : "revoke an agent's queue")
      .action(async (aRef: string, qRef: string, _o, cmd: Command) => {
        const api = client(cmd)
        const a = await findAgent(cmd, api, aRef)
        const q = await findQueue(cmd, api, qRef)
        const refs = [
          { id: a.id, shown: a.extension },
          { id: q.id, shown: q.number },
        ]
        if (method === 'POST')
          await typed(refs, api.request('POST', '/api/v1/memberships', { agentId: a.id, queueId: q.id }))
        else await typed(refs, api.request('DELETE', `/api/v1/memberships/${a.id}/${q.id}`))
        show(
          cmd,
          { agentId: a.id, queueId: q.id, member: method === 'POST' },
          () =>
            `agent ${a.extension} ${method === 'POST' ? 'is now a member of' : 'is no longer a member of'} queue ${q.number}`,
        )
      })
  }
  member
    .command('list')
    .description('memberships')
    .option('--queue <queue>', 'of one queue')
    .action(async (o: { queue?: string }, cmd: Command) => {
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const [m, agents, queues] = await Promise.all([
        api.request<Items<{ agentId: string; queueId: string }>>(
          'GET',
          `/api/v1/memberships${q ? `?queue=${q.id}` : tenantQuery(cmd)}`,
        ),
        api.request<Items<Agent>>('GET', '/api/v1/agents'),
        api.request<Items<Queue>>('GET', '/api/v1/queues'),
      ])
      const an = new Map(agents.items.map((a) => [a.id, a]))
      const qn = new Map(queues.items.map((x) => [x.id, x]))
      show(cmd, m.items, () =>
        table(m.items, [
          { header: 'AGENT', get: (r) => an.get(r.agentId)?.extension ?? r.agentId },
          { header: 'NAME', get: (r) => an.get(r.agentId)?.name },
          { header: 'QUEUE', get: (r) => qn.get(r.queueId)?.number ?? r.queueId },
          { header: 'QUEUE NAME', get: (r) => qn.get(r.queueId)?.name },
        ]),
      )
    })
}
