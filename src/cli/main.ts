/**
 * The `koplus` command line (commander). Every command except `daemon` and `doctor` talks to the running daemon's
 * HTTP API, so changes apply live. Tables on a terminal; `--json` on every command prints the API's JSON instead.
 * Errors print `error: <message>` on stderr and exit non-zero (1: refused/invalid, 2: daemon not reachable).
 */
import { readFileSync } from 'node:fs'
import { Command, CommanderError, Option } from 'commander'
import { ApiClient, apiToken, apiUrl, cliConfig, CliError, runtimeInfo, type GlobalOptions } from './client.js'
import { DISPLAY_ZONE, duration, instant, plural, stdio, table, type Output } from './format.js'
import { parseTime, type TimeContext } from './time.js'
import { registerTenantCommands } from './commands/tenant.js'
import { NUMBER_SETTINGS, TEXT_SETTINGS } from './queue-setting-kinds.js'

interface Queue { id: string; tenantId: string; number: string; name: string; tags: string[]; settings: Record<string, unknown>; schedule?: { timeZone?: string } | null }
interface Agent { id: string; tenantId: string; extension: string; name: string; plan: string; sipUser: string; devices: { type: string; target: string }[]; activeDevice: number; wrapUpSec: number | null; skills: Record<string, number> }
interface Items<T> { items: T[] }

/** Settings of a queue a `key=value` may set at the top level (the rest go into settings). */
const QUEUE_TOP = new Set(['name', 'number', 'tags'])
const AGENT_KEYS = new Set(['name', 'extension', 'plan', 'sipUser', 'devices', 'activeDevice', 'wrapUpSec', 'skills'])

/** 'true' → true, '30' → 30, '{"type":"busy"}' → object, 'null' → null, else the string. */
export function parseValue(v: string): unknown {
  if (v === '') return ''
  try {
    return JSON.parse(v)
  } catch {
    return v
  }
}

/** key=value pairs → object; refuses a pair without '='. `read` turns a value's text into the value (default parseValue). */
export function parseAssignments(pairs: readonly string[], read: (key: string, v: string) => unknown = (_k, v) => parseValue(v)): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const p of pairs) {
    const i = p.indexOf('=')
    if (i <= 0) throw new CliError(`expected key=value, got '${p}'`)
    out[p.slice(0, i)] = read(p.slice(0, i), p.slice(i + 1))
  }
  return out
}

/** 'softphone:1001' → { type, target }. */
export function parseDevice(spec: string): { type: string; target: string } {
  const i = spec.indexOf(':')
  if (i <= 0 || i === spec.length - 1) throw new CliError(`expected a device as type:target (e.g. softphone:1001, mobile:0701234567), got '${spec}'`)
  return { type: spec.slice(0, i), target: spec.slice(i + 1) }
}

/** package.json's version (read once; dist/src/cli/main.js and src/cli/main.ts are both three levels below it). */
const VERSION: string = (() => {
  for (const rel of ['../../../package.json', '../../package.json']) {
    try {
      const p = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string }
      if (p.name === 'koplus' && p.version) return p.version
    } catch {
      // try the next place
    }
  }
  return 'unknown'
})()

const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

/** The zone a queue's times are shown and typed in: its schedule's, else the default (docs/cli.md). */
export function zoneOf(q: Pick<Queue, 'schedule'>): string {
  return q.schedule?.timeZone ?? DISPLAY_ZONE
}
/** The zone every one of these queues shares, else the default. */
function sharedZone(qs: readonly Pick<Queue, 'schedule'>[]): string {
  const zones = new Set(qs.map(zoneOf))
  return zones.size === 1 ? [...zones][0]! : DISPLAY_ZONE
}

interface Names {
  /** queue id → number */
  q: (id: string) => string
  /** agent id → extension */
  a: (id: string | null) => string
  /** the zone of the first known queue of these ids, else `zone` */
  z: (ids: string | readonly string[] | null | undefined) => string
  /** the zone shared by the tenant's queues, else the default */
  zone: string
}

/**
 * A `key=value` value of a queue setting, read by the setting's type (./queue-setting-kinds.ts): a text
 * setting keeps the text as typed (exitKey=0 is the string "0"), a number or true/false setting and an object setting
 * are read as JSON; 'null' clears a setting that may be null.
 */
export function settingValue(key: string, v: string): unknown {
  if (TEXT_SETTINGS.has(key)) return v
  if (NUMBER_SETTINGS.has(key)) return v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : v
  return parseValue(v)
}

/** `message` with an internal id (quoted or as a whole word) replaced by what the operator typed. */
export function withTypedName(message: string, id: string, shown: string): string {
  const esc = id.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return message.replace(new RegExp(`'${esc}'|(?<![\\w-])${esc}(?![\\w-])`, 'g'), shown)
}

/** A positive whole number option (--limit, --days), or a message naming the option and what was typed. */
export function wholeNumber(option: string, v: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = /^\d+$/.test(v.trim()) ? Number(v) : NaN
  if (!Number.isSafeInteger(n) || n < min || n > max) throw new CliError(`${option}: expected a whole number ${min}-${max}, got '${v}'`)
  return n
}

/** Build the program; `out` lets tests capture output. */
export function buildProgram(out: Output = stdio, env: NodeJS.ProcessEnv = process.env): Command {
  const program = new Command('koplus')
  program
    .description('koplus: call queues (ACD) for FreeSWITCH — control the running daemon')
    .option('--api <url>', 'the daemon API address (default: from the config, http://127.0.0.1:<api.port>)')
    .option('--token <token>', 'API token (default: KOPLUS_TOKEN, else <data dir>/cli-token written by the daemon)')
    .option('--config <path>', 'koplus config file (default: KOPLUS_CONFIG, else /etc/koplus/koplus.json if it exists, else built-in defaults)')
    .option('--tenant <id>', 'tenant of the queues/agents named (needed only when a number exists in several tenants)')
    .option('--json', 'print JSON instead of tables')
    .version(VERSION, '-V, --version', 'print the koplus version')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: (s) => out.out(s), writeErr: (s) => out.err(s) })

  const g = (cmd: Command): GlobalOptions => cmd.optsWithGlobals() as GlobalOptions
  const client = (cmd: Command): ApiClient => {
    const o = g(cmd)
    return new ApiClient(apiUrl(o, env), apiToken(o, env))
  }
  /** Print `data` as JSON with --json, else `human()`. */
  const show = (cmd: Command, data: unknown, human: () => string): void => {
    if (g(cmd).json) out.out(JSON.stringify(data, null, 2))
    else out.out(human())
  }
  const tenantQuery = (cmd: Command): string => (g(cmd).tenant ? `?tenant=${encodeURIComponent(g(cmd).tenant!)}` : '')

  async function findQueue(cmd: Command, api: ApiClient, ref: string): Promise<Queue> {
    const { items } = await api.request<Items<Queue>>('GET', `/api/v1/queues${tenantQuery(cmd)}`)
    const hits = items.filter((q) => q.id === ref || q.number === ref)
    if (hits.length === 0) throw new CliError(`unknown queue '${ref}' (give its number or id; 'koplus queue list' shows them)`)
    if (hits.length > 1) throw new CliError(`queue '${ref}' exists in several tenants (${hits.map((q) => q.tenantId).join(', ')}); add --tenant`)
    return hits[0]!
  }
  async function findAgent(cmd: Command, api: ApiClient, ref: string): Promise<Agent> {
    const { items } = await api.request<Items<Agent>>('GET', `/api/v1/agents${tenantQuery(cmd)}`)
    const hits = items.filter((a) => a.id === ref || a.extension === ref)
    if (hits.length === 0) throw new CliError(`unknown agent '${ref}' (give the extension or id; 'koplus agent list' shows them)`)
    if (hits.length > 1) throw new CliError(`agent '${ref}' exists in several tenants (${hits.map((a) => a.tenantId).join(', ')}); add --tenant`)
    return hits[0]!
  }

  /** id → queue number and id → agent extension, for tables (not fetched with --json). */
  async function names(cmd: Command, api: ApiClient): Promise<Names> {
    if (g(cmd).json) return { q: (id) => id, a: (id) => id ?? '-', z: () => DISPLAY_ZONE, zone: DISPLAY_ZONE }
    const [qs, as] = await Promise.all([api.request<Items<Queue>>('GET', '/api/v1/queues'), api.request<Items<Agent>>('GET', '/api/v1/agents')])
    const qm = new Map(qs.items.map((x) => [x.id, x.number]))
    const am = new Map(as.items.map((x) => [x.id, x.extension]))
    const zm = new Map(qs.items.map((x) => [x.id, zoneOf(x)]))
    const zone = sharedZone(qs.items.filter((x) => !g(cmd).tenant || x.tenantId === g(cmd).tenant))
    const z = (ids: string | readonly string[] | null | undefined): string => {
      const list = ids === null || ids === undefined ? [] : typeof ids === 'string' ? [ids] : ids
      return list.map((id) => zm.get(id)).find((x) => x !== undefined) ?? zone
    }
    return { q: (id) => qm.get(id) ?? id, a: (id) => (id === null ? '-' : (am.get(id) ?? id)), z, zone }
  }
  /** Ids the API names in an error → what the operator typed (agent a_4cbie34b → 1001, queue q_x → 5000). */
  async function typed<T>(refs: { id: string; shown: string }[], p: Promise<T>): Promise<T> {
    try {
      return await p
    } catch (err) {
      if (!(err instanceof CliError)) throw err
      let m = err.message
      for (const r of refs) m = withTypedName(m, r.id, r.shown)
      throw new CliError(m, err.exitCode, err.code)
    }
  }

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
  const agentColumns = [
    { header: 'EXT', get: (a: Agent) => a.extension },
    { header: 'NAME', get: (a: Agent) => a.name },
    { header: 'TENANT', get: (a: Agent) => a.tenantId },
    { header: 'PLAN', get: (a: Agent) => a.plan },
    { header: 'DEVICE', get: (a: Agent) => (a.devices[a.activeDevice] ? `${a.activeDevice + 1}:${a.devices[a.activeDevice]!.type}:${a.devices[a.activeDevice]!.target}` : '-') },
    { header: 'SKILLS', get: (a: Agent) => Object.entries(a.skills).map(([k, v]) => `${k}=${v}`) },
    { header: 'ID', get: (a: Agent) => a.id },
  ]

  // ── daemon ──
  program
    .command('daemon')
    .description('run the daemon (connects to FreeSWITCH, serves the control API)')
    .option('--simulate', 'run against the built-in FreeSWITCH simulator with a demo call centre and generated traffic (kept in <data dir>/simulate.sqlite)')
    .option('--fresh', 'with --simulate: delete the demo database and start the demo over')
    .action(async (o: { simulate?: boolean; fresh?: boolean }, cmd: Command) => {
      if (o.fresh && !o.simulate) throw new CliError('--fresh goes with --simulate (it starts the demo over; the real database is never deleted)')
      const { runDaemonCommand } = await import('../daemon/index.js')
      const running = await runDaemonCommand({ configPath: g(cmd).config, simulate: !!o.simulate, fresh: !!o.fresh, env })
      if (running.api) out.err(`koplus daemon running; control API at ${running.api.url} (Ctrl-C stops it; live calls stay in FreeSWITCH)`)
      await new Promise<never>(() => undefined) // until a signal stops the process
    })

  // ── status ──
  program
    .command('status')
    .description('FreeSWITCH connection; per queue: open or closed (why, until when), waiting, longest wait, agents logged in / free; per agent: state. Exit 3 when the daemon has no FreeSWITCH')
    .action(async (_o, cmd: Command) => {
      const api = client(cmd)
      const s = await api.request<{ queues: Record<string, any>[]; agents: Record<string, any>[]; freeswitch?: { connected: boolean; address?: string; lastError?: string } }>('GET', '/api/v1/status')
      const n = await names(cmd, api)
      const fs = s.freeswitch
      const fsLine = !fs
        ? 'FreeSWITCH: unknown (this daemon does not report it)'
        : fs.connected
          ? `FreeSWITCH: connected${fs.address ? ` (${fs.address})` : ''}`
          : `FreeSWITCH: NOT CONNECTED${fs.address ? ` to ${fs.address}` : ''}${fs.lastError ? `: ${fs.lastError}` : ''} — no call can be queued or offered until it is back`
      show(cmd, s, () =>
        [
          fsLine,
          '',
          table(s.queues, [
            { header: 'QUEUE', get: (q) => q.number },
            { header: 'NAME', get: (q) => q.name },
            { header: 'OPEN', get: (q) => (q.open === false ? 'CLOSED' : q.open === true ? 'open' : '?') },
            { header: 'WAITING', get: (q) => q.waiting, align: 'right' },
            { header: 'LONGEST', get: (q) => duration(q.longestWaitSec), align: 'right' },
            { header: 'LOGGED-IN', get: (q) => q.agents?.loggedIn, align: 'right' },
            { header: 'FREE', get: (q) => q.agents?.free, align: 'right' },
            { header: 'ON-CALL', get: (q) => q.agents?.onCall, align: 'right' },
            { header: 'EWT', get: (q) => duration(q.estimatedWaitSec), align: 'right' },
            { header: 'NOTE', get: (q) => [q.open === false ? `${q.closedReason ?? 'closed'}; ${q.closedUntil ? `until ${instant(q.closedUntil)}` : 'no opening ahead'}` : '', q.overflowing ? `overflow: ${q.overflowReason ?? ''}` : ''].filter(Boolean).join('; ') },
          ]),
          '',
          table(s.agents, [
            { header: 'AGENT', get: (a) => a.extension },
            { header: 'NAME', get: (a) => a.name },
            { header: 'STATE', get: (a) => a.state + (a.pauseReason ? ` (${a.pauseReason})` : '') },
            { header: 'QUEUES', get: (a) => (a.queues as string[]).map(n.q) },
            { header: 'DEVICE', get: (a) => (a.activeDevice ? `${a.activeDevice.type}:${a.activeDevice.target}${a.registered === false ? ' (unregistered)' : ''}` : '-') },
            { header: 'IDLE-SINCE', get: (a) => instant(a.idleSince, n.z(a.queues)) },
            { header: 'UNANSWERED', get: (a) => a.unanswered, align: 'right' },
            { header: 'AUTO-LOGOUT', get: (a) => a.autoLogoutReason ?? '' },
          ]),
        ].join('\n'),
      )
      if (fs && !fs.connected) throw new CliError(`the daemon is not connected to FreeSWITCH${fs.address ? ` at ${fs.address}` : ''}${fs.lastError ? ` (${fs.lastError})` : ''}; 'koplus doctor' checks the connection`, 3)
    })

  registerTenantCommands(program, { client, show })

  // ── queue ──
  const queue = program.command('queue').description('queues: add, list, show, set, remove')
  queue
    .command('add <number> <name>')
    .description('add a queue')
    .option('--tag <tag>', 'a queue group tag (repeatable)', collect)
    .argument('[settings...]', 'settings as key=value, e.g. ringTimeSec=30 strategy=ring-parallel')
    .action(async (number: string, name: string, settings: string[], o: { tag?: string[] }, cmd: Command) => {
      const body: Record<string, unknown> = { number, name, ...(o.tag ? { tags: o.tag } : {}), ...(g(cmd).tenant ? { tenantId: g(cmd).tenant } : {}) }
      if (settings.length) body.settings = parseAssignments(settings, (k, v) => settingValue(k.replace(/^settings\./, ''), v))
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
        [`queue ${q.number} "${q.name}"  (id ${q.id}, tenant ${q.tenantId}, tags ${q.tags.join(',') || '-'})`, ...Object.entries(q.settings).map(([k, v]) => `  ${k.padEnd(28)} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)].join('\n'),
      )
    })
  queue
    .command('set <queue> <assignments...>')
    .description('change a queue: name=…, number=…, tags=a,b, or any setting, e.g. ringTimeSec=30 closedAction=\'{"type":"busy"}\'')
    .action(async (ref: string, pairs: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const kv = parseAssignments(pairs, (k, v) => (QUEUE_TOP.has(k) ? parseValue(v) : settingValue(k.replace(/^settings\./, ''), v)))
      const body: Record<string, unknown> = {}
      const settings: Record<string, unknown> = {}
      for (const [k, v] of Object.entries(kv)) {
        const key = k.startsWith('settings.') ? k.slice(9) : k
        if (QUEUE_TOP.has(key) && !k.startsWith('settings.')) body[key] = key === 'tags' ? String(v).split(',').filter(Boolean) : key === 'number' ? String(v) : v
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

  // ── agent ──
  const agent = program.command('agent').description('agents: add, list, show, set, remove, login, logout, pause, unpause, wrapup-end, device')
  agent
    .command('add <extension> <name>')
    .description('add an agent')
    .addOption(new Option('--plan <plan>', 'licence plan').choices(['basic', 'pro', 'business', 'enterprise']).default('pro'))
    .option('--sip-user <user>', 'SIP user that identifies the agent on feature-code calls (default: the extension)')
    .option('--device <type:target>', 'a device, e.g. softphone:1001, deskphone:1001, mobile:0701234567 (repeatable; the first is active)', collect)
    .option('--wrap-up <sec>', 'wrap-up override in seconds')
    .action(async (extension: string, name: string, o: { plan: string; sipUser?: string; device?: string[]; wrapUp?: string }, cmd: Command) => {
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
    })
  agent
    .command('list')
    .description('list agents with their live state')
    .action(async (_o, cmd: Command) => {
      const api = client(cmd)
      const r = await api.request<Items<Agent>>('GET', `/api/v1/agents${tenantQuery(cmd)}`)
      const status = await api.request<{ agents: Record<string, any>[] }>('GET', '/api/v1/status')
      const live = new Map(status.agents.map((a) => [a.agentId as string, a]))
      const n = await names(cmd, api)
      const rows = r.items.map((a) => ({ ...a, live: live.get(a.id) }))
      show(cmd, rows, () =>
        table(rows, [
          ...agentColumns.slice(0, 5),
          { header: 'STATE', get: (a) => a.live?.state ?? 'logged-out' },
          { header: 'QUEUES', get: (a) => ((a.live?.queues ?? []) as string[]).map(n.q) },
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
          ...a.devices.map((d, i) => `  device ${i + 1}: ${d.type} ${d.target}${i === a.activeDevice ? '  (active)' : ''}`),
          `  wrap-up: ${a.wrapUpSec === null ? "the queue's" : `${a.wrapUpSec}s`}`,
          `  skills: ${Object.entries(a.skills).map(([k, v]) => `${k}=${v}`).join(' ') || '-'}`,
        ].join('\n'),
      )
    })
  agent
    .command('set <agent> <assignments...>')
    .description("change an agent: name=…, extension=…, plan=…, sipUser=…, wrapUpSec=…|null, skills='{\"sv\":5}', devices=softphone:1001,mobile:070…")
    .action(async (ref: string, pairs: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const a = await findAgent(cmd, api, ref)
      const kv = parseAssignments(pairs)
      for (const k of Object.keys(kv)) if (!AGENT_KEYS.has(k)) throw new CliError(`unknown agent field '${k}' (one of ${[...AGENT_KEYS].join(', ')})`)
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
  const liveAction = (name: string, description: string, path: string, build: (cmd: Command, api: ApiClient, args: string[], o: Record<string, string | undefined>) => Promise<unknown>, done: (a: Agent) => string, args = '[queues...]'): Command =>
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
        const r = await typed([{ id: a.id, shown: a.extension }], api.request('POST', `/api/v1/agents/${a.id}/${path}`, body))
        show(cmd, r, () => done(a))
      })
  const queueIds = async (cmd: Command, api: ApiClient, refs: string[]): Promise<{ queueIds?: string[] }> =>
    refs.length ? { queueIds: await Promise.all(refs.map(async (r) => (await findQueue(cmd, api, r)).id)) } : {}
  liveAction('login', 'log an agent in to queues (default: every queue it is a member of)', 'login', (cmd, api, refs) => queueIds(cmd, api, refs), (a) => `agent ${a.extension} logged in`)
  liveAction('logout', 'log an agent out of queues (default: all)', 'logout', (cmd, api, refs) => queueIds(cmd, api, refs), (a) => `agent ${a.extension} logged out`)
  liveAction('pause', 'pause an agent (no calls offered)', 'pause', async (_c, _a, _r, o) => (o.reason ? { reason: o.reason } : {}), (a) => `agent ${a.extension} paused`, '').option('--reason <reason>', 'pause reason')
  liveAction('unpause', 'resume a paused agent', 'unpause', async () => undefined, (a) => `agent ${a.extension} resumed`, '')
  liveAction('wrapup-end', 'end the wrap-up now', 'end-wrapup', async () => undefined, (a) => `agent ${a.extension}: wrap-up ended`, '')
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
  for (const [name, method] of [['add', 'POST'], ['remove', 'DELETE']] as const) {
    member
      .command(`${name} <agent> <queue>`)
      .description(name === 'add' ? 'grant an agent a queue' : "revoke an agent's queue")
      .action(async (aRef: string, qRef: string, _o, cmd: Command) => {
        const api = client(cmd)
        const a = await findAgent(cmd, api, aRef)
        const q = await findQueue(cmd, api, qRef)
        const refs = [{ id: a.id, shown: a.extension }, { id: q.id, shown: q.number }]
        if (method === 'POST') await typed(refs, api.request('POST', '/api/v1/memberships', { agentId: a.id, queueId: q.id }))
        else await typed(refs, api.request('DELETE', `/api/v1/memberships/${a.id}/${q.id}`))
        show(cmd, { agentId: a.id, queueId: q.id, member: method === 'POST' }, () => `agent ${a.extension} ${method === 'POST' ? 'is now a member of' : 'is no longer a member of'} queue ${q.number}`)
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
        api.request<Items<{ agentId: string; queueId: string }>>('GET', `/api/v1/memberships${q ? `?queue=${q.id}` : tenantQuery(cmd)}`),
        api.request<Items<Agent>>('GET', '/api/v1/agents'),
        api.request<Items<Queue>>('GET', '/api/v1/queues'),
      ])
      const an = new Map(agents.items.map((a) => [a.id, a]))
      const qn = new Map(queues.items.map((x) => [x.id, x]))
      show(cmd, m.items, () => table(m.items, [
        { header: 'AGENT', get: (r) => an.get(r.agentId)?.extension ?? r.agentId },
        { header: 'NAME', get: (r) => an.get(r.agentId)?.name },
        { header: 'QUEUE', get: (r) => qn.get(r.queueId)?.number ?? r.queueId },
        { header: 'QUEUE NAME', get: (r) => qn.get(r.queueId)?.name },
      ]))
    })

  // ── calls ──
  program
    .command('calls')
    .description('recent call records, newest first')
    .option('--queue <queue>', 'of one queue')
    .option('--limit <n>', 'how many (default 50)', '50')
    .action(async (o: { queue?: string; limit: string }, cmd: Command) => {
      const limit = wholeNumber('--limit', o.limit, 1, 1000)
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const params = new URLSearchParams({ limit: String(limit), ...(q ? { queue: q.id } : {}), ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/calls?${params}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () => table(r.items, [
        { header: 'ARRIVED', get: (c) => instant(c.arrivedAt, n.z(c.queueId)) },
        { header: 'QUEUE', get: (c) => n.q(c.queueId) },
        { header: 'CALLER', get: (c) => c.callerNumber },
        { header: 'OUTCOME', get: (c) => c.outcome ?? 'in progress' },
        { header: 'WAIT', get: (c) => duration(c.waitMs === null ? null : c.waitMs / 1000), align: 'right' },
        { header: 'TALK', get: (c) => duration(c.talkMs === null ? null : c.talkMs / 1000), align: 'right' },
        { header: 'AGENT', get: (c) => n.a(c.agentId) },
        { header: 'CALL ID', get: (c) => c.callId },
      ]))
    })

  // ── schedule ──
  const schedule = program.command('schedule').description('opening hours per queue: show, explain, next, set, add-rule, remove-rule')
  schedule
    .command('show <queue>')
    .description("the queue's rules, time zone and calendars")
    .action(async (ref: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request<{ schedule: { timeZone: string; calendarIds: string[]; rules: Record<string, any>[] } | null }>('GET', `/api/v1/queues/${q.id}/schedule`)
      show(cmd, r, () =>
        r.schedule
          ? [`time zone ${r.schedule.timeZone}; holiday calendars: ${r.schedule.calendarIds.join(', ') || '-'}`, table(r.schedule.rules, [
              { header: 'ID', get: (x) => x.id },
              { header: 'KIND', get: (x) => x.kind },
              { header: 'RRULE', get: (x) => x.rrule },
              { header: 'START', get: (x) => x.start },
              { header: 'MINUTES', get: (x) => x.durationMinutes, align: 'right' },
              { header: 'FROM', get: (x) => x.from },
              { header: 'UNTIL', get: (x) => x.until },
              { header: 'LABEL', get: (x) => x.label },
            ])].join('\n')
          : `queue ${q.number} has no schedule: always open (unless closed by a closure)`,
      )
    })
  schedule
    .command('explain <queue>')
    .description('open or closed at an instant, which rule decided, when it next changes')
    .option('--at <time>', "instant: ISO 8601, 'HH:MM' today, '+2h', or epoch ms (default now)")
    .action(async (ref: string, o: { at?: string }, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const zone = zoneOf(q)
      const at = o.at !== undefined ? `?at=${parseTime(o.at, { zone, dayTime: 'today' })}` : ''
      const r = await api.request<{ at: number; open: boolean; reason: string; nextChange?: number; timeZone?: string }>('GET', `/api/v1/queues/${q.id}/schedule/explain${at}`)
      const z = r.timeZone ?? zone
      show(cmd, r, () => `queue ${q.number} at ${instant(r.at, z)}: ${r.open ? 'OPEN' : 'CLOSED'} — ${r.reason} (times in ${z})${r.nextChange ? `\nnext change: ${instant(r.nextChange, z)} (${r.open ? 'closes' : 'opens'})` : ''}`)
    })
  schedule
    .command('next <queue>')
    .description('the coming open/closed transitions')
    .option('--days <n>', 'how many days ahead', '14')
    .action(async (ref: string, o: { days: string }, cmd: Command) => {
      wholeNumber('--days', o.days, 1, 366)
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request<Items<{ at: number; open: boolean; reason: string }> & { timeZone?: string }>('GET', `/api/v1/queues/${q.id}/schedule/next?days=${encodeURIComponent(o.days)}`)
      const z = r.timeZone ?? zoneOf(q)
      show(cmd, r.items, () => (r.items.length ? `${table(r.items, [
        { header: 'AT', get: (x) => instant(x.at, z) },
        { header: 'BECOMES', get: (x) => (x.open ? 'open' : 'closed') },
        { header: 'REASON', get: (x) => x.reason },
      ])}\ntimes in ${z}` : `no change in the next ${o.days} days`))
    })
  schedule
    .command('set <queue>')
    .description('replace the whole schedule from a JSON file ({ timeZone, calendarIds, rules }) or remove it (--none: always open)')
    .option('--file <path>', 'schedule JSON')
    .option('--none', 'no schedule: always open')
    .action(async (ref: string, o: { file?: string; none?: boolean }, cmd: Command) => {
      if (!o.file && !o.none) throw new CliError('give --file <schedule.json> or --none')
      let sched: unknown = null
      if (o.file) {
        try {
          sched = JSON.parse(readFileSync(o.file, 'utf8'))
        } catch (err) {
          throw new CliError(`cannot read ${o.file}: ${(err as Error).message}`)
        }
      }
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const r = await api.request('PUT', `/api/v1/queues/${q.id}/schedule`, { schedule: sched })
      show(cmd, r, () => `schedule of queue ${q.number} ${sched ? 'replaced' : 'removed (always open)'}`)
    })
  schedule
    .command('add-rule <queue>')
    .description('add an opening rule, e.g. --rrule "FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR" --start 08:00 --minutes 540')
    .requiredOption('--rrule <rrule>', 'RFC 5545 RRULE body (FREQ=DAILY|WEEKLY|MONTHLY|YEARLY;…)')
    .requiredOption('--start <HH:MM>', 'local opening time')
    .requiredOption('--minutes <n>', 'length of each opening in minutes')
    .addOption(new Option('--kind <kind>', 'open, closed (exception) or special (opening that wins over holidays)').choices(['open', 'closed', 'special']).default('open'))
    .option('--id <id>', 'rule id')
    .option('--label <text>', 'name shown in explanations')
    .option('--from <date>', 'first date YYYY-MM-DD')
    .option('--until <date>', 'last date YYYY-MM-DD')
    .action(async (ref: string, o: { rrule: string; start: string; minutes: string; kind: string; id?: string; label?: string; from?: string; until?: string }, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const minutes = Number(o.minutes)
      if (!Number.isInteger(minutes)) throw new CliError(`--minutes: expected a whole number, got '${o.minutes}'`)
      const body = { kind: o.kind, rrule: o.rrule, start: o.start, durationMinutes: minutes, ...(o.id ? { id: o.id } : {}), ...(o.label ? { label: o.label } : {}), ...(o.from ? { from: o.from } : {}), ...(o.until ? { until: o.until } : {}) }
      const r = await api.request<{ rule: { id: string } }>('POST', `/api/v1/queues/${q.id}/schedule/rules`, body)
      show(cmd, r, () => `rule ${r.rule.id} added to queue ${q.number}`)
    })
  schedule
    .command('remove-rule <queue> <ruleId>')
    .description('remove an opening rule')
    .action(async (ref: string, ruleId: string, _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      await api.request('DELETE', `/api/v1/queues/${q.id}/schedule/rules/${encodeURIComponent(ruleId)}`)
      show(cmd, { removed: ruleId }, () => `rule ${ruleId} removed from queue ${q.number}`)
    })
  schedule
    .command('calendars <queue> [calendarIds...]')
    .description('set which holiday calendars apply to the queue')
    .action(async (ref: string, ids: string[], _o, cmd: Command) => {
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const cur = (await api.request<{ schedule: Record<string, unknown> | null }>('GET', `/api/v1/queues/${q.id}/schedule`)).schedule ?? { timeZone: 'Europe/Stockholm', rules: [], alwaysOpen: true }
      const r = await api.request('PUT', `/api/v1/queues/${q.id}/schedule`, { schedule: { ...cur, calendarIds: ids } })
      show(cmd, r, () => `queue ${q.number}: holiday calendars ${ids.join(', ') || 'none'}`)
    })

  // ── calendar ──
  const calendar = program.command('calendar').description('holiday calendars: list, show, add, add-date, remove-date, remove')
  interface Cal { id: string; tenantId: string | null; name: string; country?: string; region?: string; closedTypes?: string[]; customDates: { date: string; name: string; closed: boolean; start?: string; end?: string }[] }
  calendar
    .command('list')
    .action(async (_o, cmd: Command) => {
      const r = await client(cmd).request<Items<Cal>>('GET', `/api/v1/calendars${tenantQuery(cmd)}`)
      show(cmd, r.items, () => table(r.items, [
        { header: 'ID', get: (c) => c.id },
        { header: 'NAME', get: (c) => c.name },
        { header: 'TENANT', get: (c) => c.tenantId ?? '(shared)' },
        { header: 'COUNTRY', get: (c) => c.country ?? 'SE' },
        { header: 'CLOSED TYPES', get: (c) => c.closedTypes ?? ['public', 'bank'] },
        { header: 'CUSTOM DATES', get: (c) => c.customDates.length, align: 'right' },
      ]))
    })
  calendar
    .command('show <id>')
    .action(async (id: string, _o, cmd: Command) => {
      const c = await client(cmd).request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
      show(cmd, c, () => [`calendar ${c.id} "${c.name}" (country ${c.country ?? 'SE'}${c.region ? `/${c.region}` : ''}; closed on ${(c.closedTypes ?? ['public', 'bank']).join(', ')})`,
        ...c.customDates.map((d) => `  ${d.date} ${d.closed ? 'closed' : 'open'}${d.start || d.end ? ` ${d.start ?? '00:00'}-${d.end ?? '24:00'}` : ''}  ${d.name}`)].join('\n'))
    })
  calendar
    .command('add <name>')
    .option('--id <id>', 'calendar id')
    .option('--country <code>', 'ISO country of the built-in holidays', 'SE')
    .option('--region <code>', 'region of the country')
    .option('--closed-types <list>', 'built-in holiday types that close (public,bank,observance,school,optional)')
    .option('--shared', 'shared by every tenant (operators)')
    .action(async (name: string, o: { id?: string; country: string; region?: string; closedTypes?: string; shared?: boolean }, cmd: Command) => {
      const body = { name, country: o.country, ...(o.id ? { id: o.id } : {}), ...(o.region ? { region: o.region } : {}), ...(o.closedTypes ? { closedTypes: o.closedTypes.split(',') } : {}), ...(o.shared ? { tenantId: null } : g(cmd).tenant ? { tenantId: g(cmd).tenant } : {}), customDates: [] }
      const c = await client(cmd).request<Cal>('POST', '/api/v1/calendars', body)
      show(cmd, c, () => `calendar ${c.id} "${c.name}" added`)
    })
  calendar
    .command('add-date <id> <date> <name>')
    .description('a custom date: closed (default) or --open (a built-in holiday does not close that day)')
    .option('--open', 'force open instead of closed')
    .option('--start <HH:MM>', 'only from this time')
    .option('--end <HH:MM>', 'only until this time')
    .action(async (id: string, date: string, name: string, o: { open?: boolean; start?: string; end?: string }, cmd: Command) => {
      const api = client(cmd)
      const c = await api.request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
      const d = { date, name, closed: !o.open, ...(o.start ? { start: o.start } : {}), ...(o.end ? { end: o.end } : {}) }
      const r = await api.request<Cal>('PATCH', `/api/v1/calendars/${c.id}`, { customDates: [...c.customDates.filter((x) => x.date !== date), d] })
      show(cmd, r, () => `calendar ${c.id}: ${date} ${d.closed ? 'closed' : 'open'} (${name})`)
    })
  calendar
    .command('remove-date <id> <date>')
    .action(async (id: string, date: string, _o, cmd: Command) => {
      const api = client(cmd)
      const c = await api.request<Cal>('GET', `/api/v1/calendars/${encodeURIComponent(id)}`)
      if (!c.customDates.some((x) => x.date === date)) throw new CliError(`calendar ${id} has no custom date ${date}`)
      const r = await api.request<Cal>('PATCH', `/api/v1/calendars/${c.id}`, { customDates: c.customDates.filter((x) => x.date !== date) })
      show(cmd, r, () => `calendar ${c.id}: ${date} removed`)
    })
  calendar
    .command('remove <id>')
    .action(async (id: string, _o, cmd: Command) => {
      await client(cmd).request('DELETE', `/api/v1/calendars/${encodeURIComponent(id)}`)
      show(cmd, { removed: id }, () => `calendar ${id} removed`)
    })

  // ── close / reopen / closures ──
  program
    .command('close [queues...]')
    .description('close queues now or in a window: a list of queues, --tag, or --all of the tenant')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--tag <tag>', 'every queue with this tag')
    .option('--all', 'every queue of the tenant')
    .option('--from <time>', "start (default now): 'HH:MM' (the next such time, in the queue's zone), 2026-11-25T13:00, '+1h'")
    .option('--until <time>', "end (default: until reopened); 'HH:MM' is the next such time after the start")
    .option('--message <prompt>', 'a closure message of its own (prompt name)')
    .action(async (refs: string[], o: { reason: string; tag?: string; all?: boolean; from?: string; until?: string; message?: string }, cmd: Command) => {
      const api = client(cmd)
      const chosen = [refs.length > 0, !!o.tag, !!o.all].filter(Boolean).length
      if (chosen !== 1) throw new CliError('name the queues, or give --tag or --all (exactly one of them)')
      let tenantId = g(cmd).tenant
      const body: Record<string, unknown> = { reason: o.reason }
      let zone = DISPLAY_ZONE
      if (refs.length) {
        const qs = await Promise.all(refs.map((r) => findQueue(cmd, api, r)))
        zone = sharedZone(qs)
        const tenants = new Set(qs.map((q) => q.tenantId))
        if (tenants.size > 1) throw new CliError('the queues belong to different tenants; close them one tenant at a time')
        tenantId = qs[0]!.tenantId
        body.queueIds = qs.map((q) => q.id)
      } else if (o.tag) body.tag = o.tag
      else body.all = true
      if (tenantId) body.tenantId = tenantId
      if (!refs.length) zone = sharedZone((await api.request<Items<Queue>>('GET', `/api/v1/queues${tenantId ? `?tenant=${encodeURIComponent(tenantId)}` : ''}`)).items.filter((q) => !o.tag || q.tags.includes(o.tag)))
      const now = Date.now()
      const when: TimeContext = { now, zone, dayTime: 'next' }
      if (o.from) body.from = parseTime(o.from, when)
      if (o.until) body.until = parseTime(o.until, { ...when, after: Math.max(now, (body.from as number | undefined) ?? now) })
      if (o.message) body.messagePrompt = o.message
      const c = await api.request<{ id: string; queueIds: string[]; from: number; until?: number }>('POST', '/api/v1/closures', body)
      show(cmd, c, () => `closure ${c.id}: ${plural(c.queueIds.length, 'queue')} closed from ${instant(c.from, zone)} ${c.until ? `until ${instant(c.until, zone)}` : 'until reopened'}`)
    })
  program
    .command('reopen [queue]')
    .description('reopen a queue now, or end one closure with --closure ID')
    .option('--closure <id>', 'end this closure (all its queues)')
    .action(async (ref: string | undefined, o: { closure?: string }, cmd: Command) => {
      const api = client(cmd)
      if (o.closure) {
        const r = await api.request('POST', `/api/v1/closures/${encodeURIComponent(o.closure)}/reopen`)
        show(cmd, r, () => `closure ${o.closure} ended`)
        return
      }
      if (!ref) throw new CliError('name a queue, or give --closure ID')
      const q = await findQueue(cmd, api, ref)
      const r = await api.request('POST', `/api/v1/queues/${q.id}/reopen`)
      show(cmd, r, () => `queue ${q.number} reopened`)
    })
  program
    .command('closures')
    .description('temporary closures with who closed, when and why')
    .option('--active', 'only those in force or planned')
    .action(async (o: { active?: boolean }, cmd: Command) => {
      const params = new URLSearchParams({ ...(o.active ? { active: 'true' } : {}), ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      const api = client(cmd)
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/closures?${params}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () => table(r.items, [
        { header: 'ID', get: (c) => c.id },
        { header: 'QUEUES', get: (c) => (c.queueIds as string[]).map(n.q) },
        { header: 'FROM', get: (c) => instant(c.from, n.z(c.queueIds)) },
        { header: 'UNTIL', get: (c) => (c.until ? instant(c.until, n.z(c.queueIds)) : 'until reopened') },
        { header: 'REASON', get: (c) => c.reason },
        { header: 'BY', get: (c) => c.by },
        { header: 'REOPENED', get: (c) => (c.reopenedAt ? `${instant(c.reopenedAt, n.z(c.queueIds))} by ${c.reopenedBy ?? '?'}` : '') },
      ]))
    })

  // ── stats / report ──
  /**
   * A subcommand's own options merged over its parent's: commander gives `stats agents --csv --from X` to `stats`,
   * which has options of the same names, so the subcommand alone would never see them.
   */
  const statsOpts = (cmd: Command): { from?: string; to?: string; csv?: boolean } => ({ ...cmd.parent!.opts(), ...cmd.opts() })
  /** --from/--to as epoch ms; a time without an offset in the queue's zone (else the tenant's), HH:MM today. */
  async function statsTimes(cmd: Command, api: ApiClient, o: { from?: string; to?: string }, q?: Queue): Promise<Record<string, string>> {
    if (!o.from && !o.to) return {}
    const zone = q ? zoneOf(q) : (await names(cmd, api)).zone
    const ctx: TimeContext = { zone, dayTime: 'today' }
    return { ...(o.from ? { from: String(parseTime(o.from, ctx)) } : {}), ...(o.to ? { to: String(parseTime(o.to, ctx)) } : {}) }
  }
  const stats = program
    .command('stats')
    .description('per queue per day (or hour): offered, answered, abandoned, service level, waits, talk time')
    .option('--queue <queue>', 'one queue')
    .option('--from <time>', 'start (default 7 days ago)')
    .option('--to <time>', 'end (default now)')
    .addOption(new Option('--by <bucket>', 'bucket').choices(['day', 'hour', 'total']).default('day'))
    .option('--sl <sec>', 'service-level threshold in seconds', '20')
    .option('--csv', 'CSV output')
    .action(async (o: { queue?: string; from?: string; to?: string; by: string; sl: string; csv?: boolean }, cmd: Command) => {
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const when = await statsTimes(cmd, api, o, q)
      const params = new URLSearchParams({ by: o.by, sl: o.sl, ...(q ? { queue: q.id } : {}), ...when, ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      if (o.csv) {
        params.set('format', 'csv')
        out.out(await api.request<string>('GET', `/api/v1/stats/queues?${params}`, undefined, { text: true }))
        return
      }
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/stats/queues?${params}`)
      const n = await names(cmd, api)
      const ms = (v: number | null) => duration(v === null ? null : v / 1000)
      show(cmd, r.items, () => table(r.items, [
        { header: 'QUEUE', get: (x) => n.q(x.queueId) },
        { header: 'BUCKET', get: (x) => (x.bucket === 'total' || !x.timeZone ? x.bucket : `${x.bucket} ${x.timeZone}`) },
        { header: 'OFFERED', get: (x) => x.offered, align: 'right' },
        { header: 'ANSWERED', get: (x) => x.answered, align: 'right' },
        { header: 'ABANDONED', get: (x) => x.abandoned, align: 'right' },
        { header: 'SL', get: (x) => (x.serviceLevel === null ? '-' : `${Math.round(x.serviceLevel * 100)}%`), align: 'right' },
        { header: 'AVG WAIT', get: (x) => ms(x.avgWaitMs), align: 'right' },
        { header: 'P90 WAIT', get: (x) => ms(x.p90WaitMs), align: 'right' },
        { header: 'AVG TALK', get: (x) => ms(x.avgTalkMs), align: 'right' },
        { header: 'CALL BACK', get: (x) => (x.abandonedCallers as { callerNumber: string }[]).map((c) => c.callerNumber) },
      ]))
    })
  stats
    .command('agents')
    .description('per agent: offered, answered, missed, talk and wrap-up time')
    .option('--from <time>', 'start (default 7 days ago)')
    .option('--to <time>', 'end (default now)')
    .option('--csv', 'CSV output')
    .action(async (_o, cmd: Command) => {
      const o = statsOpts(cmd)
      const api = client(cmd)
      const params = new URLSearchParams({ ...(await statsTimes(cmd, api, o)), ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      if (o.csv) {
        params.set('format', 'csv')
        out.out(await api.request<string>('GET', `/api/v1/stats/agents?${params}`, undefined, { text: true }))
        return
      }
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/stats/agents?${params}`)
      show(cmd, r.items, () => table(r.items, [
        { header: 'AGENT', get: (x) => x.extension ?? x.agentId },
        { header: 'NAME', get: (x) => x.name },
        { header: 'OFFERED', get: (x) => x.offered, align: 'right' },
        { header: 'ANSWERED', get: (x) => x.answered, align: 'right' },
        { header: 'MISSED', get: (x) => x.missed, align: 'right' },
        { header: 'TALK', get: (x) => duration(x.talkMs / 1000), align: 'right' },
        { header: 'WRAP-UP', get: (x) => duration(x.wrapUpMs / 1000), align: 'right' },
      ]))
    })
  stats
    .command('ewt <queue>')
    .description('accuracy of the announced wait estimates against the actual waits')
    .option('--from <time>', 'start (default 30 days ago)')
    .option('--to <time>', 'end (default now)')
    .action(async (ref: string, _o, cmd: Command) => {
      const o = statsOpts(cmd)
      const api = client(cmd)
      const q = await findQueue(cmd, api, ref)
      const params = new URLSearchParams(await statsTimes(cmd, api, o, q))
      const r = await api.request<{ n: number; maeSeconds: number | null; biasSeconds: number | null; within60Share: number | null }>('GET', `/api/v1/queues/${q.id}/stats/ewt?${params}`)
      show(cmd, r, () =>
        r.n === 0
          ? `queue ${q.number}: no announced estimate with a known outcome yet`
          : `queue ${q.number}: ${plural(r.n, 'announcement')}; mean absolute error ${duration(r.maeSeconds)}; bias ${r.biasSeconds! >= 0 ? '+' : '-'}${duration(Math.abs(r.biasSeconds!))}; within ±60 s: ${Math.round((r.within60Share ?? 0) * 100)}%`,
      )
    })
  const report = program.command('report').description('reports')
  report
    .command('licences')
    .description('users who held a licence in a month (a member of at least one queue at any time in it)')
    .requiredOption('--month <YYYY-MM>', 'the month')
    .option('--csv', 'CSV output')
    .action(async (o: { month: string; csv?: boolean }, cmd: Command) => {
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(o.month)) throw new CliError(`--month: expected YYYY-MM, got '${o.month}'`)
      const api = client(cmd)
      const params = new URLSearchParams({ month: o.month, ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      if (o.csv) {
        params.set('format', 'csv')
        out.out(await api.request<string>('GET', `/api/v1/reports/licences?${params}`, undefined, { text: true }))
        return
      }
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/reports/licences?${params}`)
      show(cmd, r.items, () => `${table(r.items, [
        { header: 'TENANT', get: (x) => x.tenant },
        { header: 'AGENT', get: (x) => x.extension },
        { header: 'NAME', get: (x) => x.name },
        { header: 'PLAN', get: (x) => x.plan },
        { header: 'MEMBER SINCE', get: (x) => instant(x.firstMemberAt) },
        { header: 'QUEUES', get: (x) => x.queues, align: 'right' },
      ])}\n${r.items.length} licence(s) in ${o.month}`)
    })

  // ── account ──
  const account = program.command('account').description('web/API accounts: add, list, remove, password')
  account
    .command('add <username>')
    .description('add an account; the password is read from --password-stdin or KOPLUS_PASSWORD (never from the command line)')
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
  account
    .command('list')
    .action(async (_o, cmd: Command) => {
      const r = await client(cmd).request<Items<Record<string, any>>>('GET', `/api/v1/accounts${tenantQuery(cmd)}`)
      show(cmd, r.items, () => table(r.items, [
        { header: 'USERNAME', get: (x) => x.username },
        { header: 'ROLE', get: (x) => x.role },
        { header: 'TENANT', get: (x) => x.tenantId },
        { header: 'AGENT', get: (x) => x.agentId },
        { header: 'ID', get: (x) => x.id },
      ]))
    })
  account
    .command('remove <username>')
    .action(async (username: string, _o, cmd: Command) => {
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

  // ── prompt ──
  const prompt = program.command('prompt').description('prompts: list, upload (converted to 8 kHz mono WAV with sox), remove')
  prompt
    .command('upload <file>')
    .requiredOption('--name <name>', 'which prompt: welcome, queue-first, queue-periodic, closed, overflow, no-agents, …')
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
      const params = new URLSearchParams({ name: o.name, language: o.language, ...(q ? { queue: q.id, tenant: q.tenantId } : g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}) })
      const r = await api.request<{ id: string; path: string }>('POST', `/api/v1/prompts/upload?${params}`, undefined, { raw: data, contentType: 'application/octet-stream' })
      show(cmd, r, () => `prompt ${o.name} (${o.language}) stored as ${r.path}`)
    })
  prompt
    .command('list')
    .action(async (_o, cmd: Command) => {
      const api = client(cmd)
      const r = await api.request<Items<Record<string, any>>>('GET', `/api/v1/prompts${tenantQuery(cmd)}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () => table(r.items, [
        { header: 'NAME', get: (x) => x.name },
        { header: 'LANG', get: (x) => x.language },
        { header: 'TENANT', get: (x) => x.tenantId },
        { header: 'QUEUE', get: (x) => (x.queueId ? n.q(x.queueId) : '(all)') },
        { header: 'PATH', get: (x) => x.path },
        { header: 'ID', get: (x) => x.id },
      ]))
    })
  prompt
    .command('remove <id>')
    .action(async (id: string, _o, cmd: Command) => {
      await client(cmd).request('DELETE', `/api/v1/prompts/${encodeURIComponent(id)}`)
      show(cmd, { removed: id }, () => `prompt ${id} removed (the default plays again)`)
    })

  // ── doctor ──
  program
    .command('doctor')
    .description('check the configured FreeSWITCH: connection, version, modules, events, dialplan, that every queue number and feature code reaches koplus, sound files')
    .option('--context <name>', 'a dialplan context calls arrive in (repeatable; default: default and public)', collect)
    .option('--timeout <ms>', 'per check', '5000')
    .action(async (o: { context?: string[]; timeout: string }, cmd: Command) => {
      const { runDoctor, formatDoctor } = await import('../doctor/index.js')
      const config = cliConfig(g(cmd))
      // A running `koplus daemon --simulate` listens on a random port: check its simulator, as the daemon does.
      const running = runtimeInfo(config)
      const sim = running?.freeswitch.simulated ? running.freeswitch : undefined
      if (sim) out.err(`checking the built-in simulator of 'koplus daemon --simulate' (pid ${running!.pid}) at ${sim.host}:${sim.port}`)
      // the queue numbers come from the running daemon; without it only the feature codes are tested
      let queues: { number: string; name?: string }[] | undefined
      let queuesProblem: string | undefined
      try {
        const tokenOpts = g(cmd)
        queues = (await new ApiClient(apiUrl(tokenOpts, env), apiToken(tokenOpts, env)).request<Items<Queue>>('GET', '/api/v1/queues')).items.map((q) => ({ number: q.number, name: q.name }))
      } catch (err) {
        queuesProblem = (err as Error).message
      }
      const report = await runDoctor({
        host: sim?.host ?? config.freeswitch.host,
        port: sim?.port ?? config.freeswitch.port,
        password: config.freeswitch.password,
        contexts: o.context?.length ? o.context : ['default', 'public'],
        queues,
        featureCodes: Object.values(config.featureCodes),
        soundsDir: config.sounds.dir,
        timeoutMs: Number(o.timeout) || 5000,
        databasePath: config.database.path,
      })
      if (queuesProblem) report.checks.push({ name: 'queues', ok: true, warning: true, detail: `queue numbers not checked: ${queuesProblem}` })
      show(cmd, report, () => formatDoctor(report))
      if (!report.ok) throw new CliError(`${report.checks.filter((c) => !c.ok).length} check(s) failed`, 1)
    })

  return program
}

/** Entry point used by bin/koplus.js: runs the command, sets the exit code, prints errors to stderr. */
export async function main(argv: readonly string[] = process.argv, out: Output = stdio, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const program = buildProgram(out, env)
  let code = 0
  try {
    await program.parseAsync([...argv])
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version exit 0; usage errors (commander already printed them) exit 1
      code = err.exitCode === 0 ? 0 : 1
    } else if (err instanceof CliError) {
      out.err(`error: ${err.message}`)
      code = err.exitCode
    } else {
      out.err(`error: ${(err as Error).message ?? String(err)}`)
      code = 1
    }
  }
  process.exitCode = code
  return code
}
