/**
 * What every command module needs from the program: the API client for a command's global options, `--json` or a
 * table, finding a queue or agent by what the operator typed, id → number/extension/zone for tables, and the
 * shapes of the API's queues and agents. Built once per program by makeKit (src/cli/main.ts).
 */
import type { Command } from 'commander'
import { ApiClient, apiToken, apiUrl, CliError, type GlobalOptions } from './client.js'
import { DISPLAY_ZONE, type Output } from './format.js'
import { withTypedName } from './parse.js'

export interface Queue {
  id: string
  tenantId: string
  number: string
  name: string
  tags: string[]
  settings: Record<string, unknown>
  schedule?: { timeZone?: string } | null
}
export interface Agent {
  id: string
  tenantId: string
  extension: string
  name: string
  plan: string
  sipUser: string
  devices: { type: string; target: string }[]
  activeDevice: number
  wrapUpSec: number | null
  skills: Record<string, number>
}
export interface Items<T> {
  items: T[]
}

/** Repeatable option: each value appended. */
export const collect = (v: string, prev: string[] = []): string[] => [...prev, v]

/** The zone a queue's times are shown and typed in: its schedule's, else the default (docs/cli.md). */
export function zoneOf(q: Pick<Queue, 'schedule'>): string {
  return q.schedule?.timeZone ?? DISPLAY_ZONE
}
/** The zone every one of these queues shares, else the default. */
export function sharedZone(qs: readonly Pick<Queue, 'schedule'>[]): string {
  const zones = new Set(qs.map(zoneOf))
  return zones.size === 1 ? [...zones][0] : DISPLAY_ZONE
}

export interface Names {
  /** queue id → number */
  q: (id: string) => string
  /** agent id → extension */
  a: (id: string | null) => string
  /** the zone of the first known queue of these ids, else `zone` */
  z: (ids: string | readonly string[] | null | undefined) => string
  /** the zone shared by the tenant's queues, else the default */
  zone: string
}

export interface Kit {
  out: Output
  env: NodeJS.ProcessEnv
  /** The command's options with the global ones (--api, --token, --config, --tenant, --json). */
  g(cmd: Command): GlobalOptions
  client(cmd: Command): ApiClient
  /** Print `data` as JSON with --json, else `human()`. */
  show(cmd: Command, data: unknown, human: () => string): void
  /** '?tenant=…' with --tenant, else ''. */
  tenantQuery(cmd: Command): string
  findQueue(cmd: Command, api: ApiClient, ref: string): Promise<Queue>
  findAgent(cmd: Command, api: ApiClient, ref: string): Promise<Agent>
  /** id → queue number and id → agent extension, for tables (not fetched with --json). */
  names(cmd: Command, api: ApiClient): Promise<Names>
  /** Ids the API names in an error → what the operator typed (agent a_4cbie34b → 1001, queue q_x → 5000). */
  typed<T>(refs: { id: string; shown: string }[], p: Promise<T>): Promise<T>
}

export function makeKit(out: Output, env: NodeJS.ProcessEnv): Kit {
  const g = (cmd: Command): GlobalOptions => cmd.optsWithGlobals<GlobalOptions>()
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
    if (hits.length === 0)
      throw new CliError(`unknown queue '${ref}' (give its number or id; 'koplus queue list' shows them)`)
    if (hits.length > 1)
      throw new CliError(
        `queue '${ref}' exists in several tenants (${hits.map((q) => q.tenantId).join(', ')}); add --tenant`,
      )
    return hits[0]
  }
  async function findAgent(cmd: Command, api: ApiClient, ref: string): Promise<Agent> {
    const { items } = await api.request<Items<Agent>>('GET', `/api/v1/agents${tenantQuery(cmd)}`)
    const hits = items.filter((a) => a.id === ref || a.extension === ref)
    if (hits.length === 0)
      throw new CliError(`unknown agent '${ref}' (give the extension or id; 'koplus agent list' shows them)`)
    if (hits.length > 1)
      throw new CliError(
        `agent '${ref}' exists in several tenants (${hits.map((a) => a.tenantId).join(', ')}); add --tenant`,
      )
    return hits[0]
  }

  /** id → queue number and id → agent extension, for tables (not fetched with --json). */
  async function names(cmd: Command, api: ApiClient): Promise<Names> {
    if (g(cmd).json) return { q: (id) => id, a: (id) => id ?? '-', z: () => DISPLAY_ZONE, zone: DISPLAY_ZONE }
    const [qs, as] = await Promise.all([
      api.request<Items<Queue>>('GET', '/api/v1/queues'),
      api.request<Items<Agent>>('GET', '/api/v1/agents'),
    ])
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
  return { out, env, g, client, show, tenantQuery, findQueue, findAgent, names, typed }
}
