/** Routes: status (part of the route table; see src/api/README.md). */
import { openSse } from '../sse.js'
import { filterStatus } from '../status-filter.js'
import type { Route } from '../router.js'
import { V1, agentQueueIds, statusWithOpenState } from './common.js'

export function statusRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'status.get',
    method: 'GET',
    path: `${V1}/status`,
    tag: 'status',
    access: 'any',
    summary: "The engine's status now (agents: their queues and themselves)",
    handler: async (ctx) => ({
      body: await statusWithOpenState(ctx, await filterStatus(ctx.live.status(), ctx, agentQueueIds)),
    }),
  })
  add({
    id: 'events.stream',
    method: 'GET',
    path: `${V1}/events`,
    tag: 'status',
    access: 'any',
    summary: 'Server-sent events: a `status` event with the status snapshot at once and after every change',
    response: { status: 200, description: 'text/event-stream', contentTypes: ['text/event-stream'] },
    handler: (ctx) => {
      openSse(ctx, () => filterStatus(ctx.live.status(), ctx, agentQueueIds))
      return { streamed: true }
    },
  })
  return routes
}
