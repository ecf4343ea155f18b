/**
 * Narrow the engine's status snapshot to what an account may see: operators everything; tenant admins their
 * tenant's queues and agents; agents the queues they are members of and themselves. The snapshot's shape belongs
 * to the engine; this only relies on top-level arrays `queues` and `agents` whose items carry an id
 * (`id`/`queueId`, `id`/`agentId`) — other top-level fields are passed through.
 */
import type { StatusSnapshot } from './live.js'
import type { Ctx } from './router.js'

function itemId(item: unknown, key: 'queueId' | 'agentId'): string | undefined {
  if (!item || typeof item !== 'object') return undefined
  const o = item as Record<string, unknown>
  const v = o[key] ?? o.id
  return typeof v === 'string' ? v : undefined
}

export async function filterStatus(
  snapshot: StatusSnapshot,
  ctx: Ctx,
  agentQueueIds: (ctx: Ctx) => Promise<string[]>,
): Promise<StatusSnapshot> {
  const acc = ctx.account
  if (acc.role === 'operator') return snapshot
  const tenantId = acc.tenantId
  const queues = new Set(
    acc.role === 'agent'
      ? await agentQueueIds(ctx)
      : (await ctx.store.queues.list(tenantId ?? undefined)).map((q) => q.id),
  )
  const agents = new Set(
    acc.role === 'agent'
      ? acc.agentId
        ? [acc.agentId]
        : []
      : (await ctx.store.agents.list(tenantId ?? undefined)).map((a) => a.id),
  )
  const out = { ...snapshot } as Record<string, unknown>
  if (Array.isArray(snapshot.queues))
    out.queues = (snapshot.queues as unknown[]).filter((q) => queues.has(itemId(q, 'queueId') ?? ''))
  if (Array.isArray(snapshot.agents))
    out.agents = (snapshot.agents as unknown[]).filter((a) => agents.has(itemId(a, 'agentId') ?? ''))
  if (Array.isArray((snapshot as Record<string, unknown>).calls)) {
    out.calls = ((snapshot as Record<string, unknown>).calls as unknown[]).filter((c) =>
      queues.has(((c ?? {}) as Record<string, unknown>).queueId as string),
    )
  }
  return out
}
