/**
 * `koplus callbacks`, `koplus callback cancel|move|stats`: callbacks that keep the caller's place (docs/callback.md).
 * Pending callbacks also show in `koplus status` as callers marked "callback".
 */
import type { Command } from 'commander'
import { CliError } from '../client.js'
import { instant, table } from '../format.js'
import type { Items, Kit } from '../kit.js'
import { wholeNumber } from '../parse.js'

const STATES = ['pending', 'waiting', 'dialing', 'completed', 'failed', 'cancelled']

/** A callback as the API lists it (docs/api.md, /callbacks). */
interface CallbackRow {
  callId: string
  queueId: string
  number: string
  requestedAt: number
  state: string
  attempts: number
  heldSince: number | null
  reason?: string | null
}

/** /callbacks/stats. */
interface CallbackStats {
  requested: number
  completed: number
  failed: Record<string, number>
  cancelled: number
  pending: number
  toConnectionSec: { avg: number | null; max: number | null }
}

export function registerCallbackCommands(program: Command, kit: Kit): void {
  const { g, client, show, findQueue, names } = kit
  program
    .command('callbacks')
    .description('callbacks, newest request first (pending ones keep a place in their queue)')
    .option('--queue <queue>', 'of one queue')
    .option('--state <state>', `one of ${STATES.join(', ')}`)
    .action(async (o: { queue?: string; state?: string }, cmd: Command) => {
      if (o.state && !STATES.includes(o.state))
        throw new CliError(`--state: expected one of ${STATES.join(', ')}, got '${o.state}'`)
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const params = new URLSearchParams({
        ...(q ? { queue: q.id } : {}),
        ...(o.state ? { state: o.state } : {}),
        ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
      })
      const r = await api.request<Items<CallbackRow>>('GET', `/api/v1/callbacks?${params}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () =>
        table(r.items, [
          { header: 'REQUESTED', get: (c) => instant(c.requestedAt, n.z(c.queueId)) },
          { header: 'QUEUE', get: (c) => n.q(c.queueId) },
          { header: 'NUMBER', get: (c) => c.number },
          {
            header: 'STATE',
            get: (c) => (c.heldSince !== null && c.state === 'waiting' ? 'waiting (held: closed)' : c.state),
          },
          { header: 'ATTEMPTS', get: (c) => String(c.attempts), align: 'right' },
          { header: 'REASON', get: (c) => c.reason ?? '' },
          { header: 'CALL ID', get: (c) => c.callId },
        ]),
      )
    })
  const cb = program.command('callback').description('change one callback, or see callback statistics')
  cb.command('cancel <callId>')
    .description('cancel a pending callback (its place in the queue is given up)')
    .action(async (callId: string, _o: unknown, cmd: Command) => {
      const r = await client(cmd).request<CallbackRow>('POST', `/api/v1/callbacks/${encodeURIComponent(callId)}/cancel`)
      show(cmd, r, () => `callback ${callId} to ${r.number}: ${r.state}\n`)
    })
  cb.command('move <callId> <position>')
    .description('re-prioritise a pending callback: move it to this place in its queue (1 = next)')
    .action(async (callId: string, position: string, _o: unknown, cmd: Command) => {
      const p = wholeNumber('position', position, 1, 100_000)
      const r = await client(cmd).request<CallbackRow>('POST', `/api/v1/callbacks/${encodeURIComponent(callId)}/move`, {
        position: p,
      })
      show(cmd, r, () => `callback ${callId} to ${r.number} moved to place ${p}\n`)
    })
  cb.command('stats')
    .description('callbacks requested in the last 7 days: completed, failed by reason, time from request to connection')
    .action(async (_o: unknown, cmd: Command) => {
      const r = await client(cmd).request<CallbackStats>('GET', `/api/v1/callbacks/stats${kit.tenantQuery(cmd)}`)
      const failed =
        Object.entries(r.failed)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || 'none'
      show(cmd, r, () =>
        [
          `requested  ${r.requested}`,
          `completed  ${r.completed}`,
          `failed     ${failed}`,
          `cancelled  ${r.cancelled}`,
          `pending    ${r.pending}`,
          `to connection  avg ${r.toConnectionSec.avg ?? '-'} s, max ${r.toConnectionSec.max ?? '-'} s`,
          '',
        ].join('\n'),
      )
    })
}
