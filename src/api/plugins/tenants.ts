/** Routes: tenants (part of the route table; see src/api/README.md). */
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import { V1, apply, listResult, tenantScope, withTenantWarnings } from './common.js'

export function tenantsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'tenants.list',
    method: 'GET',
    path: `${V1}/tenants`,
    tag: 'tenants',
    access: 'any',
    summary: 'List tenants (others than operators see their own)',
    handler: async (ctx) =>
      listResult(
        (await ctx.store.tenants.list()).filter(
          (t) => ctx.account.role === 'operator' || t.id === ctx.account.tenantId,
        ),
      ),
  })
  add({
    id: 'tenants.create',
    method: 'POST',
    path: `${V1}/tenants`,
    tag: 'tenants',
    access: 'operator',
    body: S.TENANT_CREATE,
    summary: 'Create a tenant',
    description:
      'The answer carries `warnings` when the built-in tenant still has its placeholder domain and queues or agents: with two tenants its calls stop (docs/security.md, tenant boundaries).',
    handler: async (ctx) => ({
      status: 201,
      body: await withTenantWarnings(
        ctx,
        await apply(ctx, 'create', 'tenant', null, (s) =>
          s.tenants.create(ctx.body as { name: string; domain: string }),
        ),
      ),
    }),
  })
  add({
    id: 'tenants.get',
    method: 'GET',
    path: `${V1}/tenants/:tenantId`,
    tag: 'tenants',
    access: 'admin',
    scope: tenantScope,
    summary: 'A tenant',
    handler: async (ctx) => ({ body: await ctx.store.tenants.find(ctx.params.tenantId) }),
  })
  add({
    id: 'tenants.update',
    method: 'PATCH',
    path: `${V1}/tenants/:tenantId`,
    tag: 'tenants',
    access: 'operator',
    scope: tenantScope,
    body: S.TENANT_PATCH,
    summary: 'Change a tenant',
    handler: async (ctx) => ({
      body: await withTenantWarnings(
        ctx,
        await apply(ctx, 'update', 'tenant', ctx.params.tenantId, (s) =>
          s.tenants.update(ctx.params.tenantId, ctx.body as object),
        ),
      ),
    }),
  })
  add({
    id: 'tenants.remove',
    method: 'DELETE',
    path: `${V1}/tenants/:tenantId`,
    tag: 'tenants',
    access: 'operator',
    scope: tenantScope,
    summary: 'Remove a tenant (refused while it has queues or agents)',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'tenant', ctx.params.tenantId, (s) => s.tenants.remove(ctx.params.tenantId))
      return { status: 204 }
    },
  })
  return routes
}
