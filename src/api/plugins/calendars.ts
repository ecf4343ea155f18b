/** Routes: holiday calendars (part of the route table; see src/api/README.md). */
import { type Store } from '../../store/index.js'
import { notFound } from '../errors.js'
import type { Ctx, Scope } from '../router.js'
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import { Q_TENANT, V1, apply, bodyTenantScope, listResult, need, queryTenant } from './common.js'

export function calendarsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const calendarScope = async (ctx: Ctx): Promise<Scope> => {
    const c = need(await ctx.store.holidayCalendars.find(ctx.params.calendarId), 'calendar', ctx.params.calendarId)
    return { tenantId: c.tenantId }
  }
  add({
    id: 'calendars.list',
    method: 'GET',
    path: `${V1}/calendars`,
    tag: 'calendars',
    access: 'any',
    query: [Q_TENANT],
    summary: "Holiday calendars (shared ones and the tenant's own)",
    handler: async (ctx) => {
      const tenant = queryTenant(ctx)
      return listResult(
        (await ctx.store.holidayCalendars.list()).filter((c) =>
          tenant === undefined ? true : c.tenantId === null || c.tenantId === tenant,
        ),
      )
    },
  })
  add({
    id: 'calendars.get',
    method: 'GET',
    path: `${V1}/calendars/:calendarId`,
    tag: 'calendars',
    access: 'any',
    summary: 'A holiday calendar',
    handler: async (ctx) => {
      const c = need(await ctx.store.holidayCalendars.find(ctx.params.calendarId), 'calendar', ctx.params.calendarId)
      if (ctx.account.role !== 'operator' && c.tenantId !== null && c.tenantId !== ctx.account.tenantId)
        throw notFound('calendar', c.id)
      return { body: c }
    },
  })
  add({
    id: 'calendars.create',
    method: 'POST',
    path: `${V1}/calendars`,
    tag: 'calendars',
    access: 'admin',
    body: S.CALENDAR_CREATE,
    scope: (ctx) => {
      const body = ctx.body as { tenantId?: string | null }
      // a shared calendar (tenantId null) is the operators' business: scope null matches no tenant admin
      if (body.tenantId === null) return { tenantId: null }
      return bodyTenantScope(ctx)
    },
    summary: 'Create a holiday calendar (tenantId null: shared by all tenants, operators only)',
    handler: async (ctx) => {
      const body = ctx.body as Parameters<Store['holidayCalendars']['create']>[0]
      const tenantId = body.tenantId === null ? null : (body.tenantId ?? ctx.account.tenantId ?? 'default')
      return {
        status: 201,
        body: await apply(ctx, 'create', 'calendar', null, (s) =>
          s.holidayCalendars.create({ ...body, tenantId, customDates: body.customDates ?? [] }),
        ),
      }
    },
  })
  add({
    id: 'calendars.update',
    method: 'PATCH',
    path: `${V1}/calendars/:calendarId`,
    tag: 'calendars',
    access: 'admin',
    scope: calendarScope,
    body: S.CALENDAR_PATCH,
    summary: 'Change a holiday calendar',
    handler: async (ctx) => ({
      body: await apply(ctx, 'update', 'calendar', ctx.params.calendarId, (s) =>
        s.holidayCalendars.update(ctx.params.calendarId, ctx.body as object),
      ),
    }),
  })
  add({
    id: 'calendars.remove',
    method: 'DELETE',
    path: `${V1}/calendars/:calendarId`,
    tag: 'calendars',
    access: 'admin',
    scope: calendarScope,
    summary: 'Remove a holiday calendar',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'calendar', ctx.params.calendarId, (s) =>
        s.holidayCalendars.remove(ctx.params.calendarId),
      )
      return { status: 204 }
    },
  })
  return routes
}
