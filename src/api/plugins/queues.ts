/** Routes: queues (part of the route table; see src/api/README.md). */
import { type QueueInput } from '../../store/index.js'
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import {
  Q_TENANT,
  V1,
  agentQueueIds,
  apply,
  bodyTenantScope,
  listResult,
  numberWarnings,
  queryTenant,
  queueScope,
} from './common.js'

export function queuesRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'queues.list',
    method: 'GET',
    path: `${V1}/queues`,
    tag: 'queues',
    access: 'any',
    query: [Q_TENANT],
    summary: 'List queues (agents: the queues they are members of)',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') {
        const ids = new Set(await agentQueueIds(ctx))
        return listResult((await ctx.store.queues.list(ctx.account.tenantId!)).filter((q) => ids.has(q.id)))
      }
      return listResult(await ctx.store.queues.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'queues.create',
    method: 'POST',
    path: `${V1}/queues`,
    tag: 'queues',
    access: 'admin',
    scope: bodyTenantScope,
    body: S.QUEUE_CREATE,
    summary: "Create a queue (tenantId defaults to the caller's tenant)",
    handler: async (ctx) => {
      const body = ctx.body as QueueInput
      const tenantId = (await bodyTenantScope(ctx)).tenantId!
      const queue = await apply(ctx, 'create', 'queue', null, (s) => s.queues.create({ ...body, tenantId }))
      return { status: 201, body: { ...queue, warnings: await numberWarnings(ctx, queue.number) } }
    },
  })
  add({
    id: 'queues.get',
    method: 'GET',
    path: `${V1}/queues/:queueId`,
    tag: 'queues',
    access: 'member',
    scope: queueScope,
    summary: 'A queue with its settings',
    handler: async (ctx) => ({ body: await ctx.store.queues.find(ctx.params.queueId) }),
  })
  add({
    id: 'queues.update',
    method: 'PATCH',
    path: `${V1}/queues/:queueId`,
    tag: 'queues',
    access: 'admin',
    scope: queueScope,
    body: S.QUEUE_PATCH,
    summary: 'Change a queue; settings are merged over the current ones',
    handler: async (ctx) => {
      const queue = await apply(ctx, 'update', 'queue', ctx.params.queueId, (s) =>
        s.queues.update(ctx.params.queueId, ctx.body as object),
      )
      // a renumbered queue: the same warnings as at creation (the change is made either way)
      return {
        body: {
          ...queue,
          warnings:
            (ctx.body as { number?: unknown }).number !== undefined ? await numberWarnings(ctx, queue.number) : [],
        },
      }
    },
  })
  add({
    id: 'queues.remove',
    method: 'DELETE',
    path: `${V1}/queues/:queueId`,
    tag: 'queues',
    access: 'admin',
    scope: queueScope,
    summary: 'Remove a queue',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'queue', ctx.params.queueId, (s) => s.queues.remove(ctx.params.queueId, ctx.now))
      return { status: 204 }
    },
  })
  return routes
}
