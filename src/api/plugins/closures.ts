/** Routes: closures (part of the route table; see src/api/README.md). */
import type { ClosureRecord } from '../../store/index.js'
import { conflict, validation } from '../errors.js'
import type { Ctx, Scope } from '../router.js'
import * as S from '../schemas.js'
import { str } from '../validate.js'
import type { Route } from '../router.js'
import {
  Q_TENANT,
  V1,
  agentQueueIds,
  applyClosure,
  bodyTenantScope,
  listResult,
  need,
  parseInstant,
  queryTenant,
  queueScope,
  queueZones,
  resolveClosureScope,
} from './common.js'

export function closuresRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const closureScope = async (ctx: Ctx): Promise<Scope> => {
    const c = need(await ctx.store.closures.find(ctx.params.closureId), 'closure', ctx.params.closureId)
    return { tenantId: c.tenantId }
  }
  add({
    id: 'closures.list',
    method: 'GET',
    path: `${V1}/closures`,
    tag: 'closures',
    access: 'any',
    query: [
      Q_TENANT,
      {
        name: 'active',
        schema: str({ enum: ['true', 'false'] }),
        description: 'true: only closures in force now or planned',
      },
    ],
    summary: 'Temporary closures with their audit fields',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') {
        const ids = new Set(await agentQueueIds(ctx))
        return listResult(
          (await ctx.store.closures.list(ctx.account.tenantId!)).filter((c) => c.queueIds.some((q) => ids.has(q))),
        )
      }
      let items = await ctx.store.closures.list(queryTenant(ctx))
      if (ctx.query.active === 'true')
        items = items.filter((c) => c.reopenedAt === undefined && (c.until === undefined || c.until > ctx.now))
      return listResult(items)
    },
  })
  add({
    id: 'closures.create',
    method: 'POST',
    path: `${V1}/closures`,
    tag: 'closures',
    access: 'admin',
    scope: bodyTenantScope,
    body: S.CLOSURE_CREATE,
    summary:
      'Close many queues at once: a list, a tag, or every queue of a tenant; now until a time, until reopened, or a future window',
    handler: async (ctx) => {
      const body = ctx.body as {
        queueIds?: string[]
        tag?: string
        all?: boolean
        from?: unknown
        until?: unknown
        reason: string
        messagePrompt?: string
      }
      const tenantId = (await bodyTenantScope(ctx)).tenantId!
      const resolved = await resolveClosureScope(ctx, tenantId, body)
      const zone = (await queueZones(ctx.store))(resolved.queueIds[0] ?? '')
      const from = body.from !== undefined ? parseInstant('from', body.from, ctx.now, zone) : ctx.now
      const until = body.until !== undefined ? parseInstant('until', body.until, ctx.now, zone) : undefined
      if (until !== undefined && until <= from) throw validation('until', "until: must be after 'from'")
      if (until !== undefined && until <= ctx.now) throw validation('until', 'until: is in the past')
      const created = await applyClosure(ctx, 'close', (s) =>
        s.closures.create({
          tenantId,
          scope: resolved.scope,
          from,
          until,
          reason: body.reason,
          by: ctx.actor,
          messagePrompt: body.messagePrompt,
        }),
      )
      return { status: 201, body: created }
    },
  })
  add({
    id: 'closures.get',
    method: 'GET',
    path: `${V1}/closures/:closureId`,
    tag: 'closures',
    access: 'admin',
    scope: closureScope,
    summary: 'A closure',
    handler: async (ctx) => ({ body: await ctx.store.closures.find(ctx.params.closureId) }),
  })
  add({
    id: 'closures.reopen',
    method: 'POST',
    path: `${V1}/closures/:closureId/reopen`,
    tag: 'closures',
    access: 'admin',
    scope: closureScope,
    summary: 'End a closure now (reopen its queues unless something else keeps them closed)',
    handler: async (ctx) => {
      const c = (await ctx.store.closures.find(ctx.params.closureId))!
      if (c.reopenedAt !== undefined) throw conflict(`closure '${c.id}' was already reopened`)
      return { body: await applyClosure(ctx, 'reopen', (s) => s.closures.reopen(c.id, ctx.actor, ctx.now)) }
    },
  })
  add({
    id: 'queues.close',
    method: 'POST',
    path: `${V1}/queues/:queueId/close`,
    tag: 'closures',
    access: 'admin',
    scope: queueScope,
    body: S.QUEUE_CLOSE,
    summary: 'Close one queue now (until a time or until reopened)',
    handler: async (ctx) => {
      const q = (await ctx.store.queues.find(ctx.params.queueId))!
      const body = ctx.body as { until?: unknown; reason: string; messagePrompt?: string }
      const until =
        body.until !== undefined
          ? parseInstant('until', body.until, ctx.now, (await queueZones(ctx.store))(q.id))
          : undefined
      if (until !== undefined && until <= ctx.now) throw validation('until', 'until: is in the past')
      const created = await applyClosure(ctx, 'close', (s) =>
        s.closures.create({
          tenantId: q.tenantId,
          scope: { kind: 'queues', queueIds: [q.id] },
          from: ctx.now,
          until,
          reason: body.reason,
          by: ctx.actor,
          messagePrompt: body.messagePrompt,
        }),
      )
      return { status: 201, body: created }
    },
  })
  add({
    id: 'queues.reopen',
    method: 'POST',
    path: `${V1}/queues/:queueId/reopen`,
    tag: 'closures',
    access: 'admin',
    scope: queueScope,
    summary: 'Reopen a queue: end every closure in force that covers only this queue, and remove it from wider ones',
    handler: async (ctx) => {
      const q = (await ctx.store.queues.find(ctx.params.queueId))!
      const inForce = (await ctx.store.closures.active(ctx.now, q.tenantId)).filter(
        (c) =>
          c.queueIds.includes(q.id) &&
          c.reopenedAt === undefined &&
          c.from <= ctx.now &&
          (c.until === undefined || c.until > ctx.now),
      )
      if (inForce.length === 0) throw conflict(`queue ${q.number} has no closure in force`)
      const reopened = await applyClosure(ctx, 'reopen', async (s) => {
        const out: ClosureRecord[] = []
        for (const c of inForce) {
          out.push(await s.closures.reopen(c.id, ctx.actor, ctx.now))
          const rest = c.queueIds.filter((id) => id !== q.id)
          // a closure of many queues: end it and re-create it for the others, so the audit trail shows both
          if (rest.length)
            await s.closures.create({
              tenantId: c.tenantId,
              scope: { kind: 'queues', queueIds: rest },
              from: ctx.now,
              until: c.until,
              reason: c.reason,
              by: c.by,
              messagePrompt: c.messagePrompt,
            })
        }
        return out
      })
      return { body: { items: reopened } }
    },
  })
  return routes
}
