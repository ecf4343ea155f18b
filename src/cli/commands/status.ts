/**
 * `koplus status`: the FreeSWITCH connection, which daemon leads (active/standby), the store's health, every queue
 * (open or closed, waiting, agents) and every agent's state. The status is printed in every case; the exit status
 * says whether all is well (STATUS_EXIT_HELP; docs/cli.md), so a script or a monitoring check need not parse it.
 */
import type { Command } from 'commander'
import { CliError } from '../client.js'
import { duration, instant, table } from '../format.js'
import type { Kit } from '../kit.js'

/** A queue of GET /api/v1/status, as this command reads it. */
interface QueueRow {
  number: string
  name: string
  open?: boolean
  waiting: number
  longestWaitSec: number | null
  agents?: { loggedIn: number; free: number; onCall: number }
  estimatedWaitSec: number | null
  closedReason?: string
  closedUntil?: number | null
  overflowing?: boolean
  overflowReason?: string
  /** Waiting callers; a callback keeps its place (docs/callback.md). */
  callers?: { callback?: unknown }[]
}

/** An agent of GET /api/v1/status, as this command and `agent list` read it. */
export interface AgentStatusRow {
  agentId: string
  extension: string
  name: string
  state: string
  pauseReason?: string
  queues: string[]
  activeDevice?: { type: string; target: string } | null
  registered?: boolean
  idleSince?: number | null
  unanswered?: number
  autoLogoutReason?: string | null
}

/** `koplus status`'s exit statuses, most severe first when several apply (FreeSWITCH gone beats a slow store). */
export const STATUS_EXIT = {
  ok: 0,
  /** Refused by the daemon (a bad token, …): the CLI's usual 1. */
  refused: 1,
  /** The daemon cannot be reached: the CLI's usual 2. */
  unreachable: 2,
  /** The daemon runs but has no FreeSWITCH: no call can be queued or offered. */
  noFreeSwitch: 3,
  /** The store is degraded (writes queued in memory) or overflowing: calls go on, records wait. */
  storeDegraded: 4,
} as const

const STATUS_EXIT_HELP = `
Exit status (the status is printed in every case):
  0  all well: FreeSWITCH connected, the store ok
  1  refused by the daemon (e.g. a bad token)
  2  the daemon cannot be reached
  3  the daemon is not connected to FreeSWITCH (no call can be queued or offered)
  4  the store is degraded: writes wait in memory until it is back (calls go on)
When both 3 and 4 apply: 3.`

export function registerStatusCommand(program: Command, kit: Kit): void {
  const { client, show, names } = kit
  program
    .command('status')
    .description(
      'FreeSWITCH connection, who leads, the store; per queue: open or closed (why, until when), waiting, longest wait, agents logged in / free; per agent: state. Exit 3 when the daemon has no FreeSWITCH, 4 when its store is degraded',
    )
    .addHelpText('after', STATUS_EXIT_HELP)
    .action(async (_o, cmd: Command) => {
      const api = client(cmd)
      const s = await api.request<{
        queues: QueueRow[]
        agents: AgentStatusRow[]
        freeswitch?: {
          connected: boolean
          address?: string
          lastError?: string
          nodes?: {
            id: string
            address: string
            connected: boolean
            lost?: boolean
            calls?: number
            registrations?: number
            lastError?: string
          }[]
        }
        leadership?: { role: string; nodeId: string; leader?: { nodeId: string; api?: string } }
        store?: StoreHealthRow
      }>('GET', '/api/v1/status')
      const n = await names(cmd, api)
      const fs = s.freeswitch
      const fsLine = !fs
        ? 'FreeSWITCH: unknown (this daemon does not report it)'
        : fs.connected
          ? `FreeSWITCH: connected${fs.address ? ` (${fs.address})` : ''}`
          : `FreeSWITCH: NOT CONNECTED${fs.address ? ` to ${fs.address}` : ''}${fs.lastError ? `: ${fs.lastError}` : ''} — no call can be queued or offered until it is back`
      const lead = s.leadership
      const leadLine = lead ? leaderLine(lead) : undefined
      const nodeLines = freeswitchNodeLines(fs?.nodes)
      const storeLine = s.store ? storeHealthLine(s.store) : undefined
      show(cmd, s, () =>
        [
          fsLine,
          ...nodeLines,
          ...(leadLine ? [leadLine] : []),
          ...(storeLine ? [storeLine] : []),
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
            { header: 'CALLBACKS', get: (q) => (q.callers ?? []).filter((c) => c.callback).length, align: 'right' },
            {
              header: 'NOTE',
              get: (q) =>
                [
                  q.open === false
                    ? `${q.closedReason ?? 'closed'}; ${q.closedUntil ? `until ${instant(q.closedUntil)}` : 'no opening ahead'}`
                    : '',
                  q.overflowing ? `overflow: ${q.overflowReason ?? ''}` : '',
                ]
                  .filter(Boolean)
                  .join('; '),
            },
          ]),
          '',
          table(s.agents, [
            { header: 'AGENT', get: (a) => a.extension },
            { header: 'NAME', get: (a) => a.name },
            { header: 'STATE', get: (a) => a.state + (a.pauseReason ? ` (${a.pauseReason})` : '') },
            { header: 'QUEUES', get: (a) => a.queues.map(n.q) },
            {
              header: 'DEVICE',
              get: (a) =>
                a.activeDevice
                  ? `${a.activeDevice.type}:${a.activeDevice.target}${a.registered === false ? ' (unregistered)' : ''}`
                  : '-',
            },
            { header: 'IDLE-SINCE', get: (a) => instant(a.idleSince, n.z(a.queues)) },
            { header: 'UNANSWERED', get: (a) => a.unanswered, align: 'right' },
            { header: 'AUTO-LOGOUT', get: (a) => a.autoLogoutReason ?? '' },
          ]),
        ].join('\n'),
      )
      if (fs && !fs.connected)
        throw new CliError(
          `the daemon is not connected to FreeSWITCH${fs.address ? ` at ${fs.address}` : ''}${fs.lastError ? ` (${fs.lastError})` : ''}; 'koplus doctor' checks the connection`,
          STATUS_EXIT.noFreeSwitch,
        )
      const store = s.store
      if (store && store.writes.state !== 'ok')
        throw new CliError(
          `the daemon's store (${store.backend}) is ${store.writes.state}${store.writes.queued !== undefined ? `: ${store.writes.queued} write(s) wait in memory` : ''}${store.writes.lastError ? ` (${store.writes.lastError})` : ''}; calls go on and the writes are retried until it is back`,
          STATUS_EXIT.storeDegraded,
        )
    })
}

/** Which daemon leads and the API address it advertises to the others (api.advertiseUrl; docs/scale-out.md). */
export function leaderLine(lead: { role: string; nodeId: string; leader?: { nodeId: string; api?: string } }): string {
  const at = (api: string | undefined): string => (api ? ` at ${api}` : ', its API not advertised')
  if (lead.role === 'leader') return `Leader: this daemon (${lead.nodeId})${at(lead.leader?.api)}`
  return `Leader: ${lead.leader ? `${lead.leader.nodeId}${at(lead.leader.api)}` : 'none known'} — this daemon (${lead.nodeId}) is ${lead.role}`
}

/** The store's health as GET /api/v1/status gives it (operators: every figure; others: the state). */
export interface StoreHealthRow {
  backend: string
  writes: { state: string; queued?: number; degradedSince?: number | null; lastError?: string | null }
}

/** `Store: sqlite, ok` or, while the store is unreachable, how many writes wait in memory and since when. */
export function storeHealthLine(h: StoreHealthRow): string {
  const w = h.writes
  if (w.state === 'ok') return `Store: ${h.backend}, ok${w.queued ? ` (${w.queued} write(s) being written)` : ''}`
  return [
    `Store: ${h.backend} ${w.state.toUpperCase()}`,
    w.degradedSince ? ` since ${instant(w.degradedSince)}` : '',
    w.queued !== undefined ? ` — ${w.queued} write(s) queued in memory` : '',
    w.lastError ? `: ${w.lastError}` : '',
    ' (calls go on; the writes are retried until the store is back)',
  ].join('')
}

/** Several FreeSWITCH nodes (freeswitch.nodes): one status line each; none for a single node. */
export function freeswitchNodeLines(
  nodes:
    | readonly {
        id: string
        address: string
        connected: boolean
        lost?: boolean
        calls?: number
        registrations?: number
        lastError?: string
      }[]
    | undefined,
): string[] {
  if (!nodes || nodes.length < 2) return []
  return nodes.map(
    (x) =>
      `  node ${x.id} (${x.address}): ${x.connected ? 'connected' : x.lost ? 'LOST, its calls ended' : 'NOT CONNECTED'}, ${x.calls ?? 0} calls, ${x.registrations ?? 0} phones registered${!x.connected && x.lastError ? `: ${x.lastError}` : ''}`,
  )
}
