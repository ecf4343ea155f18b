/** Routes: auth (part of the route table; see src/api/README.md). */
import { sessionCookie } from '../auth.js'
import * as S from '../schemas.js'
import type { Route } from '../router.js'
import { V1, publicAccount } from './common.js'

export function authRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'auth.login',
    method: 'POST',
    path: `${V1}/auth/login`,
    tag: 'auth',
    access: 'public',
    body: S.LOGIN,
    summary: 'Log in with username and password; sets the session cookie and returns the CSRF token',
    description:
      'Rate-limited per username and client address (5 attempts per minute → 429). The session cookie is HttpOnly, SameSite=Strict, and Secure when served over https.',
    handler: (ctx) => ctx.server.login(ctx),
  })
  add({
    id: 'auth.logout',
    method: 'POST',
    path: `${V1}/auth/logout`,
    tag: 'auth',
    access: 'any',
    summary: 'End the web session',
    handler: async (ctx) => {
      const sid =
        ctx.principal?.via === 'session'
          ? (ctx.req as unknown as { koplusSessionId?: string }).koplusSessionId
          : undefined
      if (sid) await ctx.store.accounts.endSession(sid)
      return { status: 204, headers: { 'set-cookie': sessionCookie('', 0, ctx.server.secure) } }
    },
  })
  add({
    id: 'auth.me',
    method: 'GET',
    path: `${V1}/auth/me`,
    tag: 'auth',
    access: 'any',
    summary: 'The calling account (and the CSRF token of a web session)',
    handler: (ctx) => ({ body: { account: publicAccount(ctx.account), csrfToken: ctx.principal?.csrfToken ?? null } }),
  })
  return routes
}
