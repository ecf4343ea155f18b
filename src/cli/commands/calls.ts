/**
 * `koplus calls`: recent call records, newest first.
 */
import type { Command } from 'commander'
import { duration, instant, table } from '../format.js'
import type { Items, Kit } from '../kit.js'
import { wholeNumber } from '../parse.js'

/** A call of GET /api/v1/calls, as this command reads it. */
interface CallRow {
  callId: string
  queueId: string
  arrivedAt: number
  callerNumber: string
  outcome: string | null
  waitMs: number | null
  talkMs: number | null
  agentId: string | null
}

export function registerCallsCommand(program: Command, kit: Kit): void {
  const { g, client, show, findQueue, names } = kit
  program
    .command('calls')
    .description('recent call records, newest first')
    .option('--queue <queue>', 'of one queue')
    .option('--limit <n>', 'how many (default 50)', '50')
    .action(async (o: { queue?: string; limit: string }, cmd: Command) => {
      const limit = wholeNumber('--limit', o.limit, 1, 1000)
      const api = client(cmd)
      const q = o.queue ? await findQueue(cmd, api, o.queue) : undefined
      const params = new URLSearchParams({
        limit: String(limit),
        ...(q ? { queue: q.id } : {}),
        ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
      })
      const r = await api.request<Items<CallRow>>('GET', `/api/v1/calls?${params}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () =>
        table(r.items, [
          { header: 'ARRIVED', get: (c) => instant(c.arrivedAt, n.z(c.queueId)) },
          { header: 'QUEUE', get: (c) => n.q(c.queueId) },
          { header: 'CALLER', get: (c) => c.callerNumber },
          { header: 'OUTCOME', get: (c) => c.outcome ?? 'in progress' },
          { header: 'WAIT', get: (c) => duration(c.waitMs === null ? null : c.waitMs / 1000), align: 'right' },
          { header: 'TALK', get: (c) => duration(c.talkMs === null ? null : c.talkMs / 1000), align: 'right' },
          { header: 'AGENT', get: (c) => n.a(c.agentId) },
          { header: 'CALL ID', get: (c) => c.callId },
        ]),
      )
    })
}
