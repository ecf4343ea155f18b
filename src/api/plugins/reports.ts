/** Routes: reports (part of the route table; see src/api/README.md). */
import { DEFAULT_TIME_ZONE } from '../../core/schedule/types.js'
import { DEFAULT_REPORT_TIME_ZONE, type QueueStatsRow } from '../../store/index.js'
import { forbidden, notFound } from '../errors.js'
import type { Ctx } from '../router.js'
import * as S from '../schemas.js'
import { isoInZone } from '../csv.js'
import { int, str } from '../validate.js'
import type { Route } from '../router.js'
import {
  Q_FORMAT,
  Q_FROM,
  Q_TENANT,
  Q_TO,
  V1,
  csvOrJson,
  queryTenant,
  queueScope,
  queueZones,
  range,
} from './common.js'

export function reportsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'calls.list',
    method: 'GET',
    path: `${V1}/calls`,
    tag: 'statistics',
    access: 'any',
    query: [
      Q_TENANT,
      { name: 'queue', schema: S.ID },
      { name: 'limit', schema: int(1, 1000), description: 'default 50' },
      Q_FORMAT,
    ],
    summary: 'Recent call records, newest first (agents: their own calls)',
    handler: async (ctx) => {
      const limit = (ctx.query.limit as number | undefined) ?? 50
      const queueId = ctx.query.queue as string | undefined
      if (queueId) {
        const q = await ctx.store.queues.find(queueId)
        if (!q || (ctx.account.role !== 'operator' && q.tenantId !== ctx.account.tenantId))
          throw notFound('queue', queueId)
      }
      const rows =
        ctx.account.role === 'agent'
          ? await ctx.store.calls.list({
              tenantId: ctx.account.tenantId!,
              agentId: ctx.account.agentId!,
              queueId,
              limit,
            })
          : await ctx.store.calls.list({ tenantId: queryTenant(ctx), queueId, limit })
      if (ctx.query.format === 'csv') {
        const zone = await queueZones(ctx.store)
        return csvOrJson(
          ctx,
          rows.map((r) => ({
            ...r,
            arrivedAt: isoInZone(r.arrivedAt, zone(r.queueId)),
            enteredQueueAt: isoInZone(r.enteredQueueAt, zone(r.queueId)),
            answeredAt: isoInZone(r.answeredAt, zone(r.queueId)),
            endedAt: isoInZone(r.endedAt, zone(r.queueId)),
          })),
          'calls.csv',
        )
      }
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'calls.csv')
    },
  })
  const statsQueue = async (ctx: Ctx): Promise<string | undefined> => {
    const queueId = ctx.query.queue as string | undefined
    if (!queueId) return undefined
    const q = await ctx.store.queues.find(queueId)
    if (!q || (ctx.account.role !== 'operator' && q.tenantId !== ctx.account.tenantId)) throw notFound('queue', queueId)
    return queueId
  }
  add({
    id: 'stats.queues',
    method: 'GET',
    path: `${V1}/stats/queues`,
    tag: 'statistics',
    access: 'any',
    query: [
      Q_TENANT,
      { name: 'queue', schema: S.ID },
      Q_FROM,
      Q_TO,
      { name: 'by', schema: str({ enum: ['day', 'hour', 'total'] }), description: 'bucket (default day)' },
      { name: 'sl', schema: int(1, 3600), description: 'service-level threshold seconds (default 20)' },
      Q_FORMAT,
    ],
    summary:
      'Per queue per day or hour: offered, answered, abandoned, service level, average and 90th-percentile wait, average talk',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const { from, to } = await range(ctx, 7)
      const tenantId = queryTenant(ctx)
      const queueId = await statsQueue(ctx)
      // Each queue's days and hours are those of its own zone (its schedule's, else the default); one query per zone.
      const zone = await queueZones(ctx.store)
      const zones = new Set(
        (await ctx.store.queues.list(tenantId)).filter((q) => !queueId || q.id === queueId).map((q) => zone(q.id)),
      )
      if (zones.size === 0) zones.add(DEFAULT_TIME_ZONE)
      const rows: (QueueStatsRow & { timeZone: string })[] = []
      for (const timeZone of zones) {
        const stats = await ctx.store.report.queueStats({
          tenantId,
          queueId,
          since: from,
          until: to,
          bucket: (ctx.query.by as 'day' | 'hour' | 'total' | undefined) ?? 'day',
          serviceLevelSec: (ctx.query.sl as number | undefined) ?? 20,
          timeZone,
        })
        for (const r of stats) if (zones.size === 1 || zone(r.queueId) === timeZone) rows.push({ ...r, timeZone })
      }
      if (zones.size > 1)
        rows.sort((a, b) =>
          a.queueId < b.queueId
            ? -1
            : a.queueId > b.queueId
              ? 1
              : a.bucket < b.bucket
                ? -1
                : a.bucket > b.bucket
                  ? 1
                  : 0,
        )
      if (ctx.query.format === 'csv')
        return csvOrJson(
          ctx,
          rows.map(({ abandonedCallers, outcomes, ...r }) => ({
            ...r,
            abandonedCallers: abandonedCallers.map((c) => c.callerNumber).join(' '),
          })),
          'queue-stats.csv',
        )
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'queue-stats.csv')
    },
  })
  add({
    id: 'stats.agents',
    method: 'GET',
    path: `${V1}/stats/agents`,
    tag: 'statistics',
    access: 'any',
    query: [Q_TENANT, Q_FROM, Q_TO, Q_FORMAT],
    summary: 'Per agent: answered, missed, talk time, wrap-up time (agents: their own row)',
    handler: async (ctx) => {
      const { from, to } = await range(ctx, 7)
      const rows =
        ctx.account.role === 'agent'
          ? await ctx.store.report.agentStats({
              tenantId: ctx.account.tenantId!,
              agentId: ctx.account.agentId!,
              since: from,
              until: to,
            })
          : await ctx.store.report.agentStats({ tenantId: queryTenant(ctx), since: from, until: to })
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'agent-stats.csv')
    },
  })
  add({
    id: 'stats.ewt',
    method: 'GET',
    path: `${V1}/queues/:queueId/stats/ewt`,
    tag: 'statistics',
    access: 'admin',
    scope: queueScope,
    query: [Q_FROM, Q_TO],
    summary: 'Accuracy of the announced wait estimates against the actual waits',
    handler: async (ctx) => {
      const { from, to } = await range(ctx, 30)
      return {
        body: {
          queueId: ctx.params.queueId,
          since: from,
          until: to,
          ...(await ctx.store.report.ewtAccuracy({ queueId: ctx.params.queueId, since: from, until: to })),
        },
      }
    },
  })
  add({
    id: 'reports.licences',
    method: 'GET',
    path: `${V1}/reports/licences`,
    tag: 'statistics',
    access: 'any',
    query: [
      { name: 'month', schema: str({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }), required: true, description: 'YYYY-MM' },
      Q_TENANT,
      Q_FORMAT,
    ],
    summary: 'Users who held a licence in the month (member of at least one queue at any time in it; one per user)',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const rows = await ctx.store.report.licences(ctx.query.month as string, queryTenant(ctx))
      if (ctx.query.format === 'csv')
        return csvOrJson(
          ctx,
          rows.map((r) => ({ ...r, firstMemberAt: isoInZone(r.firstMemberAt, DEFAULT_REPORT_TIME_ZONE) })),
          `licences-${ctx.query.month as string}.csv`,
        )
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], `licences-${ctx.query.month as string}.csv`)
    },
  })
  return routes
}
