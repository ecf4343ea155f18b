/**
 * `koplus close`, `koplus reopen` and `koplus closures`: temporary closures, with times read in the queues' zone
 * (src/cli/time.ts).
 */
import type { Command } from 'commander'
import { CliError } from '../client.js'
import { DISPLAY_ZONE, instant, plural, table } from '../format.js'
import { sharedZone, type Items, type Kit, type Queue } from '../kit.js'
import { parseTime, type TimeContext } from '../time.js'

/** A closure of GET /api/v1/closures, as `closures` reads it. */
interface ClosureRow {
  id: string
  queueIds: string[]
  from: number
  until?: number | null
  reason: string
  by: string
  reopenedAt?: number | null
  reopenedBy?: string | null
}

export function registerClosureCommands(program: Command, kit: Kit): void {
  const { g, client, show, findQueue, names } = kit
  program
    .command('close [queues...]')
    .description('close queues now or in a window: a list of queues, --tag, or --all of the tenant')
    .requiredOption('--reason <text>', 'why (kept in the audit trail)')
    .option('--tag <tag>', 'every queue with this tag')
    .option('--all', 'every queue of the tenant')
    .option(
      '--from <time>',
      "start (default now): 'HH:MM' (the next such time, in the queue's zone), 2026-11-25T13:00, '+1h'",
    )
    .option('--until <time>', "end (default: until reopened); 'HH:MM' is the next such time after the start")
    .option('--message <prompt>', 'a closure message of its own (prompt name)')
    .action(
      async (
        refs: string[],
        o: { reason: string; tag?: string; all?: boolean; from?: string; until?: string; message?: string },
        cmd: Command,
      ) => {
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
          if (tenants.size > 1)
            throw new CliError('the queues belong to different tenants; close them one tenant at a time')
          tenantId = qs[0].tenantId
          body.queueIds = qs.map((q) => q.id)
        } else if (o.tag) body.tag = o.tag
        else body.all = true
        if (tenantId) body.tenantId = tenantId
        if (!refs.length)
          zone = sharedZone(
            (
              await api.request<Items<Queue>>(
                'GET',
                `/api/v1/queues${tenantId ? `?tenant=${encodeURIComponent(tenantId)}` : ''}`,
              )
            ).items.filter((q) => !o.tag || q.tags.includes(o.tag)),
          )
        const now = Date.now()
        const when: TimeContext = { now, zone, dayTime: 'next' }
        if (o.from) body.from = parseTime(o.from, when)
        if (o.until)
          body.until = parseTime(o.until, { ...when, after: Math.max(now, (body.from as number | undefined) ?? now) })
        if (o.message) body.messagePrompt = o.message
        const c = await api.request<{ id: string; queueIds: string[]; from: number; until?: number }>(
          'POST',
          '/api/v1/closures',
          body,
        )
        show(
          cmd,
          c,
          () =>
            `closure ${c.id}: ${plural(c.queueIds.length, 'queue')} closed from ${instant(c.from, zone)} ${c.until ? `until ${instant(c.until, zone)}` : 'until reopened'}`,
        )
      },
    )
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
      const params = new URLSearchParams({
        ...(o.active ? { active: 'true' } : {}),
        ...(g(cmd).tenant ? { tenant: g(cmd).tenant! } : {}),
      })
      const api = client(cmd)
      const r = await api.request<Items<ClosureRow>>('GET', `/api/v1/closures?${params}`)
      const n = await names(cmd, api)
      show(cmd, r.items, () =>
        table(r.items, [
          { header: 'ID', get: (c) => c.id },
          { header: 'QUEUES', get: (c) => c.queueIds.map(n.q) },
          { header: 'FROM', get: (c) => instant(c.from, n.z(c.queueIds)) },
          { header: 'UNTIL', get: (c) => (c.until ? instant(c.until, n.z(c.queueIds)) : 'until reopened') },
          { header: 'REASON', get: (c) => c.reason },
          { header: 'BY', get: (c) => c.by },
          {
            header: 'REOPENED',
            get: (c) => (c.reopenedAt ? `${instant(c.reopenedAt, n.z(c.queueIds))} by ${c.reopenedBy ?? '?'}` : ''),
          },
        ]),
      )
    })
}
