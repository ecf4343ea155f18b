/** Routes: accounts and tokens (part of the route table; see src/api/README.md). */
import { type Role } from '../../store/index.js'
import { conflict, forbidden, notFound } from '../errors.js'
import type { Ctx, Scope } from '../router.js'
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import {
  DAY,
  Q_TENANT,
  V1,
  checkAccountGrant,
  findToken,
  listResult,
  need,
  publicAccount,
  queryTenant,
} from './common.js'

export function accountsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  const accountScope = async (ctx: Ctx): Promise<Scope> => {
    const a = need(await ctx.store.accounts.find(ctx.params.accountId), 'account', ctx.params.accountId)
    return { tenantId: a.tenantId, agentId: a.agentId ?? undefined }
  }
  add({
    id: 'accounts.list',
    method: 'GET',
    path: `${V1}/accounts`,
    tag: 'accounts',
    access: 'any',
    query: [Q_TENANT],
    summary: "Accounts (tenant admins: their tenant's)",
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') return listResult([publicAccount(ctx.account)])
      const tenant = queryTenant(ctx)
      return listResult((await ctx.store.accounts.list(tenant)).map(publicAccount))
    },
  })
  add({
    id: 'accounts.create',
    method: 'POST',
    path: `${V1}/accounts`,
    tag: 'accounts',
    access: 'any',
    body: S.ACCOUNT_CREATE,
    summary: 'Create an account (operators: any role; tenant admins: tenant-admin or agent accounts of their tenant)',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const b = ctx.body as {
        username: string
        password: string
        role: Role
        tenantId?: string | null
        agentId?: string | null
      }
      const tenantId = b.role === 'operator' ? (b.tenantId ?? null) : (b.tenantId ?? ctx.account.tenantId ?? null)
      await checkAccountGrant(ctx, b.role, tenantId, b.agentId ?? null)
      if (await ctx.store.accounts.getByUsername(b.username))
        throw conflict(`username '${b.username}' is taken`, 'username')
      const created = await ctx.store.accounts.create({
        username: b.username,
        role: b.role,
        tenantId,
        agentId: b.agentId ?? null,
        password: b.password,
      })
      await ctx.store.audit.record({
        actor: ctx.actor,
        tenantId,
        action: 'create',
        entity: 'account',
        entityId: created.id,
        detail: { username: created.username, role: created.role },
      })
      return { status: 201, body: publicAccount(created) }
    },
  })
  add({
    id: 'accounts.get',
    method: 'GET',
    path: `${V1}/accounts/:accountId`,
    tag: 'accounts',
    access: 'self',
    scope: accountScope,
    summary: 'An account',
    handler: async (ctx) => ({ body: publicAccount((await ctx.store.accounts.find(ctx.params.accountId))!) }),
  })
  add({
    id: 'accounts.update',
    method: 'PATCH',
    path: `${V1}/accounts/:accountId`,
    tag: 'accounts',
    access: 'self',
    scope: accountScope,
    body: S.ACCOUNT_PATCH,
    summary: 'Change the password',
    handler: async (ctx) => {
      const target = (await ctx.store.accounts.find(ctx.params.accountId))!
      if (target.role === 'operator' && ctx.account.role !== 'operator') throw forbidden()
      const b = ctx.body as { password?: string }
      if (b.password) await ctx.store.accounts.setPassword(target.id, b.password)
      return { body: publicAccount(await ctx.store.accounts.get(target.id)) }
    },
  })
  add({
    id: 'accounts.remove',
    method: 'DELETE',
    path: `${V1}/accounts/:accountId`,
    tag: 'accounts',
    access: 'admin',
    scope: accountScope,
    summary: 'Remove an account',
    handler: async (ctx) => {
      if (ctx.params.accountId === ctx.account.id) throw conflict('an account cannot remove itself')
      await ctx.store.tx(async (s) => {
        await s.accounts.remove(ctx.params.accountId)
        await s.audit.record({
          actor: ctx.actor,
          tenantId: ctx.account.tenantId,
          action: 'remove',
          entity: 'account',
          entityId: ctx.params.accountId,
        })
      })
      return { status: 204 }
    },
  })
  const tokenScope = async (ctx: Ctx): Promise<Scope> => {
    const t = need(await findToken(ctx.store, ctx.params.tokenId), 'token', ctx.params.tokenId)
    const owner = need(await ctx.store.accounts.find(t.accountId), 'token', ctx.params.tokenId)
    if (ctx.account.role !== 'operator' && owner.id !== ctx.account.id) throw notFound('token', t.id)
    return { tenantId: owner.tenantId, agentId: owner.agentId ?? undefined }
  }
  add({
    id: 'tokens.list',
    method: 'GET',
    path: `${V1}/tokens`,
    tag: 'accounts',
    access: 'any',
    summary: 'API tokens of the calling account (operators: all)',
    handler: async (ctx) => {
      const owners = ctx.account.role === 'operator' ? await ctx.store.accounts.list() : [ctx.account]
      const items: unknown[] = []
      for (const a of owners)
        for (const t of await ctx.store.accounts.listTokens(a.id))
          items.push({ ...t, accountId: a.id, username: a.username })
      return listResult(items)
    },
  })
  add({
    id: 'tokens.create',
    method: 'POST',
    path: `${V1}/tokens`,
    tag: 'accounts',
    access: 'any',
    body: S.TOKEN_CREATE,
    summary: 'Create an API token for the calling account; the secret is shown once (only its SHA-256 is stored)',
    handler: async (ctx) => {
      const b = ctx.body as { name: string; expiresInDays?: number }
      const { id, token } = await ctx.store.accounts.createToken(
        ctx.account.id,
        b.name,
        b.expiresInDays ? ctx.now + b.expiresInDays * DAY : null,
      )
      return { status: 201, body: { id, name: b.name, accountId: ctx.account.id, token } }
    },
  })
  add({
    id: 'tokens.remove',
    method: 'DELETE',
    path: `${V1}/tokens/:tokenId`,
    tag: 'accounts',
    access: 'self',
    scope: tokenScope,
    summary: 'Revoke an API token',
    handler: async (ctx) => {
      await ctx.store.accounts.revokeToken(ctx.params.tokenId)
      return { status: 204 }
    },
  })
  return routes
}
