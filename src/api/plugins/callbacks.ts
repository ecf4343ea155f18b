/**
 * Routes: callbacks (issue 14, docs/callback.md) — list them, cancel one, move one to another place in its queue,
 * and their statistics (requested, completed, failed by reason, time from request to connection). Cancel and move
 * go to the engine (the virtual caller's place is the engine's); the engine writes the result to the store.
 */
import { conflict, forbidden } from '../errors.js'
import type { Ctx, Route, Scope } from '../router.js'
import { int, obj, str } from '../validate.js'
import { Q_FROM, Q_TENANT, Q_TO, V1, listResult, need, queryTenant, range } from './common.js'

const STATES = ['pending', 'waiting', 'dialing', 'completed', 'failed', 'cancelled'] as const

export function callbacksRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const callbackScope = async (ctx: Ctx): Promise<Scope> => ({
    tenantId: need(await ctx.store.callbacks.get(ctx.params.callId), 'callback', ctx.params.callId).tenantId,
  })
  const source = (ctx: Ctx): 'web' | 'cli' | 'api' =>
    ctx.principal?.via === 'session' ? 'web' : ctx.req.headers['user-agent']?.startsWith('koplus-cli') ? 'cli' : 'api'
  /** Only a callback still waiting (or being dialled) can be changed. */
  const pending = async (ctx: Ctx): Promise<void> => {
    const cb = (await ctx.store.callbacks.get(ctx.params.callId))!
    if (cb.state !== 'waiting' && cb.state !== 'dialing') throw conflict(`callback ${cb.callId} is ${cb.state}`)
  }
  add({
    id: 'callbacks.list',
    method: 'GET',
    path: `${V1}/callbacks`,
    tag: 'callbacks',
    access: 'any',
    query: [
      Q_TENANT,
      { name: 'queue', schema: str({ minLength: 1, maxLength: 64 }) },
      { name: 'state', schema: str({ enum: [...STATES] }), description: 'pending = waiting or being dialled' },
    ],
    summary: 'Callbacks, newest request first (pending ones keep a place in their queue); operators and tenant admins',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const state = ctx.query.state as (typeof STATES)[number] | undefined
      return listResult(
        await ctx.store.callbacks.list({
          tenantId: queryTenant(ctx),
          queueId: ctx.query.queue as string | undefined,
          state,
        }),
      )
    },
  })
  add({
    id: 'callbacks.stats',
    method: 'GET',
    path: `${V1}/callbacks/stats`,
    tag: 'callbacks',
    access: 'any',
    query: [Q_TENANT, Q_FROM, Q_TO],
    summary:
      'Callbacks requested in the period: completed, failed by reason, cancelled, pending; seconds from request to connection',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const { from, to } = await range(ctx, 7)
      return { body: { from, to, ...(await ctx.store.callbacks.stats(from, to, queryTenant(ctx))) } }
    },
  })
  add({
    id: 'callbacks.cancel',
    method: 'POST',
    path: `${V1}/callbacks/:callId/cancel`,
    tag: 'callbacks',
    access: 'admin',
    scope: callbackScope,
    summary: 'Cancel a pending callback: its place in the queue is given up',
    handler: async (ctx) => {
      await pending(ctx)
      await ctx.live.dispatch({ type: 'callback-cancel', callId: ctx.params.callId, source: source(ctx) })
      return { body: await ctx.store.callbacks.get(ctx.params.callId) }
    },
  })
  add({
    id: 'callbacks.move',
    method: 'POST',
    path: `${V1}/callbacks/:callId/move`,
    tag: 'callbacks',
    access: 'admin',
    scope: callbackScope,
    body: obj({ position: int(1, 100_000) }, ['position']),
    summary: 'Re-prioritise a pending callback: move it to this place in its queue (1 = next)',
    handler: async (ctx) => {
      await pending(ctx)
      const position = (ctx.body as { position: number }).position
      await ctx.live.dispatch({ type: 'callback-move', callId: ctx.params.callId, position, source: source(ctx) })
      return { body: await ctx.store.callbacks.get(ctx.params.callId) }
    },
  })
  return routes
}
