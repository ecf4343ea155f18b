/** Routes: memberships (part of the route table; see src/api/README.md). */
import { ApiError } from '../errors.js'
import type { Ctx, Scope } from '../router.js'
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import { Q_TENANT, V1, apply, listResult, queryTenant } from './common.js'

export function membershipsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'memberships.list',
    method: 'GET',
    path: `${V1}/memberships`,
    tag: 'memberships',
    access: 'any',
    query: [Q_TENANT, { name: 'agent', schema: S.ID }, { name: 'queue', schema: S.ID }],
    summary: 'Queue memberships (who may log in where)',
    handler: async (ctx) => {
      const filter = { agentId: ctx.query.agent as string | undefined, queueId: ctx.query.queue as string | undefined }
      if (ctx.account.role === 'agent')
        return listResult(
          (await ctx.store.memberships.list({ agentId: ctx.account.agentId! })).filter(
            (m) => !filter.queueId || m.queueId === filter.queueId,
          ),
        )
      const tenant = queryTenant(ctx)
      const inTenant =
        tenant === undefined ? undefined : new Set((await ctx.store.queues.list(tenant)).map((q) => q.id))
      return listResult((await ctx.store.memberships.list(filter)).filter((m) => !inTenant || inTenant.has(m.queueId)))
    },
  })
  const membershipScope = async (ctx: Ctx): Promise<Scope> => {
    const { agentId, queueId } = (ctx.body ?? ctx.params) as { agentId: string; queueId: string }
    const a = await ctx.store.agents.find(agentId)
    const q = await ctx.store.queues.find(queueId)
    if (!a) throw new ApiError(404, 'NOT_FOUND', `agent '${agentId}' not found`, 'agentId')
    if (!q) throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found`, 'queueId')
    if (a.tenantId !== q.tenantId)
      throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found in the agent's tenant`, 'queueId')
    return { tenantId: a.tenantId }
  }
  add({
    id: 'memberships.add',
    method: 'POST',
    path: `${V1}/memberships`,
    tag: 'memberships',
    access: 'admin',
    scope: membershipScope,
    body: S.MEMBERSHIP,
    summary: 'Grant an agent a queue (D2; this is what counts for the licence, T1)',
    handler: async (ctx) => {
      const { agentId, queueId } = ctx.body as { agentId: string; queueId: string }
      return {
        status: 201,
        body: await apply(ctx, 'create', 'membership', `${agentId}/${queueId}`, (s) =>
          s.memberships.add(agentId, queueId, ctx.now),
        ),
      }
    },
  })
  add({
    id: 'memberships.remove',
    method: 'DELETE',
    path: `${V1}/memberships/:agentId/:queueId`,
    tag: 'memberships',
    access: 'admin',
    scope: (ctx) => membershipScope({ ...ctx, body: undefined }),
    summary: 'Revoke a membership',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'membership', `${ctx.params.agentId}/${ctx.params.queueId}`, (s) =>
        s.memberships.remove(ctx.params.agentId, ctx.params.queueId, ctx.now),
      )
      return { status: 204 }
    },
  })
  return routes
}
