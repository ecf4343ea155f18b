/** Routes: live agent actions (part of the route table; see src/api/README.md). */
import { type Agent } from '../../core/model.js'
import type { CoreEvent } from '../../core/events.js'
import type { Command } from '../../core/commands.js'
import { ApiError, conflict, validation, type ApiErrorCode } from '../errors.js'
import type { Ctx, Route } from '../router.js'
import * as S from '../schemas.js'
import { filterStatus } from '../status-filter.js'
import { V1, agentQueueIds, agentScope, checkQueueIdsOfAgent, requireQueuePlan } from './common.js'

export function agentActionsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const live = (
    id: string,
    path: string,
    summary: string,
    body: Route['body'],
    run: (ctx: Ctx, agent: Agent) => Promise<void>,
  ): void =>
    add({
      id,
      method: 'POST',
      path: `${V1}/agents/:agentId/${path}`,
      tag: 'agent actions',
      access: 'self',
      scope: agentScope,
      body,
      summary,
      handler: async (ctx) => {
        const agent = (await ctx.store.agents.find(ctx.params.agentId))!
        await run(ctx, agent)
        return { body: { ok: true, status: await filterStatus(ctx.live.status(), ctx, agentQueueIds) } }
      },
    })
  /** Hand an agent action to the engine; a `rejected` command becomes the HTTP error. */
  const act = async (ctx: Ctx, event: CoreEvent): Promise<void> => {
    const result = await ctx.live.dispatch(event)
    const rejected = Array.isArray(result)
      ? (result as Command[]).find((c): c is Extract<Command, { type: 'rejected' }> => c.type === 'rejected')
      : undefined
    if (!rejected) return
    const status: Record<string, [number, ApiErrorCode]> = {
      plan: [403, 'PLAN'],
      'unknown-agent': [404, 'NOT_FOUND'],
      'unknown-queue': [404, 'NOT_FOUND'],
      'bad-device': [400, 'VALIDATION'],
    }
    const [code, name] = status[rejected.reason] ?? [409, 'CONFLICT']
    throw new ApiError(code, name, rejected.message)
  }
  const source = (ctx: Ctx): 'web' | 'cli' | 'api' =>
    ctx.principal?.via === 'session' ? 'web' : ctx.req.headers['user-agent']?.startsWith('koplus-cli') ? 'cli' : 'api'
  live(
    'agents.login',
    'login',
    'Log in to the given queues (default: every queue the agent is a member of)',
    S.LOGIN_QUEUES,
    async (ctx, agent) => {
      requireQueuePlan(agent)
      const queueIds = (ctx.body as { queueIds?: string[] } | undefined)?.queueIds
      await checkQueueIdsOfAgent(ctx, agent, queueIds)
      if (!queueIds && (await ctx.store.memberships.list({ agentId: agent.id })).length === 0)
        throw conflict(`agent ${agent.extension} is not a member of any queue`)
      const check = ctx.live.checkLogin?.(agent.id, queueIds)
      if (check && !check.ok)
        throw new ApiError(
          check.reason === 'plan' ? 403 : 409,
          check.reason === 'plan' ? 'PLAN' : 'CONFLICT',
          check.message,
        )
      await act(ctx, { type: 'agent-login', agentId: agent.id, ...(queueIds ? { queueIds } : {}), source: source(ctx) })
    },
  )
  live('agents.logout', 'logout', 'Log out of the given queues (default: all)', S.LOGIN_QUEUES, async (ctx, agent) => {
    const queueIds = (ctx.body as { queueIds?: string[] } | undefined)?.queueIds
    await checkQueueIdsOfAgent(ctx, agent, queueIds)
    await act(ctx, { type: 'agent-logout', agentId: agent.id, ...(queueIds ? { queueIds } : {}), source: source(ctx) })
  })
  live('agents.pause', 'pause', 'Pause (no calls offered) with an optional reason', S.PAUSE, async (ctx, agent) => {
    const reason = (ctx.body as { reason?: string } | undefined)?.reason
    await act(ctx, {
      type: 'agent-pause',
      agentId: agent.id,
      paused: true,
      ...(reason ? { reason } : {}),
      source: source(ctx),
    })
  })
  live('agents.unpause', 'unpause', 'Resume after a pause', undefined, async (ctx, agent) => {
    await act(ctx, { type: 'agent-pause', agentId: agent.id, paused: false, source: source(ctx) })
  })
  live(
    'agents.device',
    'device',
    'Choose the active device calls are delivered to',
    S.CHOOSE_DEVICE,
    async (ctx, agent) => {
      const index = (ctx.body as { index: number }).index
      if (index >= agent.devices.length)
        throw validation('index', `index: agent ${agent.extension} has ${agent.devices.length} device(s)`)
      await ctx.store.agents.setActiveDevice(agent.id, index) // durable first
      await act(ctx, { type: 'agent-device', agentId: agent.id, deviceIndex: index, source: source(ctx) })
    },
  )
  live('agents.endWrapUp', 'end-wrapup', 'End wrap-up now', undefined, async (ctx, agent) => {
    await act(ctx, { type: 'agent-end-wrapup', agentId: agent.id, source: source(ctx) })
  })
  return routes
}
