/**
 * The daemon's HTTP server on Fastify: one plugin per resource registers the route table's routes (src/api/README.md),
 * this file adds what every route shares — authentication (Bearer API tokens, web session cookies through
 * @fastify/cookie with double-submit CSRF), the access rule and tenant boundary, the API's validator on the
 * routes' JSON schemas, bodies with their limits (body.ts), JSON / CSV / SSE answers and one error shape — and the
 * OpenAPI document (@fastify/swagger) at /api/openapi.json and Prometheus metrics at /metrics.
 */
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify'
import fastifyCookie from '@fastify/cookie'
import fastifyMultipart from '@fastify/multipart'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import pino from 'pino'
import type { Account } from '../store/index.js'
import {
  clientAddress,
  HashGate,
  LoginRateLimiter,
  safeEqual,
  SESSION_COOKIE,
  sessionCookie,
  type Principal,
} from './auth.js'
import { acceptsType, JSON_LIMIT, parseQuery, readJson, receiveToFile } from './body.js'
import { ApiError, toApiError } from './errors.js'
import type { ApiServer, ApiServerOptions } from './server-options.js'
import { registerOpenApi } from './openapi.js'
import { receiveMultipartFile } from './upload.js'
import { metricsPlugin } from './plugins/metrics.js'
import { ROUTE_PLUGINS } from './plugins/index.js'
import { compileRoute, type Ctx, type Result, type Route } from './router.js'
import { validate, type JsonSchema } from './validate.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route table entry a Fastify route serves (absent: /metrics, /api/openapi.json). */
    koplusRoute?: Route
  }
  interface FastifyRequest {
    koplus: { query: Record<string, unknown>; principal?: Principal & { sessionId?: string; token?: string } } | null
  }
}

export type { ApiServer, ApiServerOptions } from './server-options.js'

/** Fastify's own request errors in the API's error shape. */
function fromFastify(err: unknown): ApiError | undefined {
  const e = err as { code?: unknown; statusCode?: unknown; message?: string }
  if (typeof e?.code !== 'string' || !e.code.startsWith('FST_')) return undefined
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
    return Object.assign(new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body larger than ${JSON_LIMIT} bytes`), {
      closeConnection: true,
    })
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE')
    return new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json')
  const status = typeof e.statusCode === 'number' ? e.statusCode : 500
  if (status >= 400 && status < 500) return new ApiError(400, 'VALIDATION', e.message ?? 'bad request')
  return undefined
}

/** The API's validator on a route's JSON schema (Fastify's validation phase), so errors name the field as before. */
function apiValidator({
  schema,
  httpPart,
}: {
  schema: unknown
  httpPart?: string
}): (data: unknown) => { value?: unknown; error?: Error } {
  // query values were converted and validated one by one (parseQuery) when the request arrived
  if (httpPart !== 'body') return (data) => ({ value: data })
  return (data) => {
    try {
      validate(schema as JsonSchema, data)
      return { value: data }
    } catch (err) {
      return { error: err as Error }
    }
  }
}

/** Start the API server; resolves once it listens. */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { store, live } = opts
  const nowFn = opts.now ?? Date.now
  const log = opts.logger ?? pino({ level: 'silent' })
  const limiter = opts.loginLimiter ?? new LoginRateLimiter()
  const hashGate = opts.hashGate ?? new HashGate(Math.max(1, Math.floor(availableParallelism() / 2)))
  const addressHeader = opts.clientAddressHeader ?? 'none'
  const trustedProxies = opts.trustedProxies ?? ['127.0.0.1', '::1']
  const clientIp = (req: IncomingMessage): string =>
    clientAddress(req.socket.remoteAddress, req.headers, addressHeader, trustedProxies)
  /** Served over https: configured so, or — behind a trusted proxy — the proxy says so (X-Forwarded-Proto: https). */
  const overHttps = (req: IncomingMessage): boolean => {
    if (serverOpts.secure) return true
    if (addressHeader === 'none') return false
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '')
    return (
      trustedProxies.includes(peer) &&
      String(req.headers['x-forwarded-proto'] ?? '')
        .split(',')[0]
        .trim()
        .toLowerCase() === 'https'
    )
  }
  const serverOpts: Ctx['server'] = {
    secure: !!opts.secure,
    soxPath: opts.soxPath ?? 'sox',
    sessionTtlSec: opts.sessionTtlSec ?? 12 * 3600,
    promptDir: opts.promptDir,
    login: (ctx) => login(ctx),
  }

  /**
   * Open event streams and the credential each was opened with. A stream whose token is revoked or expired, whose
   * session ended, or whose account was removed is closed (a last `revoked` event, then the end of the response):
   * after every state-changing API request, and every `streamRecheckMs` for changes made behind the API's back.
   */
  const streams = new Map<ServerResponse, { accountId: string; token?: string; sessionId?: string }>()
  let recheckTimer: NodeJS.Timeout | undefined
  async function credentialValid(c: { accountId: string; token?: string; sessionId?: string }): Promise<boolean> {
    const now = nowFn()
    const account =
      c.token !== undefined
        ? await store.accounts.tokenAccount(c.token, now)
        : c.sessionId !== undefined
          ? (await store.accounts.getSession(c.sessionId, now))?.account
          : undefined
    return account?.id === c.accountId
  }
  async function recheckStreams(): Promise<void> {
    for (const [res, c] of [...streams]) {
      let ok = false
      try {
        ok = await credentialValid(c)
      } catch (err) {
        log.error({ err }, "checking an event stream's credential failed")
      }
      if (ok) continue
      streams.delete(res)
      log.info(
        { accountId: c.accountId, via: c.token !== undefined ? 'token' : 'session' },
        'event stream closed: credential revoked or expired',
      )
      if (!res.writableEnded) res.end('event: revoked\ndata: {"reason":"credentials revoked or expired"}\n\n')
    }
    if (streams.size === 0 && recheckTimer) {
      clearInterval(recheckTimer)
      recheckTimer = undefined
    }
  }
  function watchStream(res: ServerResponse, c: { accountId: string; token?: string; sessionId?: string }): void {
    if (res.writableEnded) return
    streams.set(res, c)
    res.once('close', () => streams.delete(res))
    if (!recheckTimer) {
      recheckTimer = setInterval(() => void recheckStreams(), opts.streamRecheckMs ?? 5000)
      recheckTimer.unref()
    }
  }

  async function authenticate(
    req: IncomingMessage,
    cookies: Record<string, string | undefined>,
  ): Promise<(Principal & { sessionId?: string; token?: string }) | undefined> {
    const now = nowFn()
    const auth = req.headers.authorization
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth)
      if (!m) throw new ApiError(401, 'UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"')
      const account = await store.accounts.verifyToken(m[1], now)
      if (!account) throw new ApiError(401, 'UNAUTHENTICATED', 'invalid or expired API token')
      return { account, via: 'token', token: m[1] }
    }
    const sid = cookies[SESSION_COOKIE]
    if (sid) {
      const session = await store.accounts.getSession(sid, now)
      if (session) return { account: session.account, via: 'session', csrfToken: session.csrfToken, sessionId: sid }
    }
    return undefined
  }

  /**
   * POST /auth/login: throttled per client address and per username+address (before any hashing), the password
   * hashed off the event loop under a global cap on concurrent hashing, then a session.
   */
  async function login(ctx: Ctx): Promise<Result> {
    const { username, password } = ctx.body as { username: string; password: string }
    const ip = clientIp(ctx.req)
    const limited = (wait: number, why: string): ApiError => {
      const sec = Math.max(1, Math.ceil(wait / 1000))
      return Object.assign(new ApiError(429, 'RATE_LIMITED', `${why}; try again in ${sec} s`), { retryAfter: sec })
    }
    const wait = limiter.attempt(username, ip, ctx.now)
    if (wait > 0) {
      log.warn({ username, ip }, 'login rate-limited')
      throw limited(wait, 'too many login attempts')
    }
    const outcome = await hashGate.run(async () => ({
      account: await store.accounts.authenticateAsync(username, password),
    }))
    if (!outcome) {
      log.warn({ username, ip }, 'login refused: too many logins in progress')
      throw limited(1000, 'too many logins in progress')
    }
    const account = outcome.account
    if (!account) {
      limiter.failed(username, ip, nowFn())
      log.info({ username, ip }, 'login failed')
      throw new ApiError(401, 'UNAUTHENTICATED', 'wrong username or password')
    }
    limiter.succeeded(username, ip)
    const { sessionId, csrfToken } = await store.accounts.createSession(
      account.id,
      serverOpts.sessionTtlSec * 1000,
      nowFn(),
    )
    log.info({ username, role: account.role, ip }, 'login')
    return {
      body: { account, csrfToken },
      headers: { 'set-cookie': sessionCookie(sessionId, serverOpts.sessionTtlSec, overHttps(ctx.req)) },
    }
  }

  /** The access rule of a route, for an authenticated account (the scope is resolved by the caller). */
  async function authorize(route: Route, ctx: Ctx): Promise<void> {
    const acc = ctx.account
    if (route.access === 'any') return
    if (route.access === 'operator') {
      if (route.scope) await route.scope(ctx) // 404 for a missing target, even for operators
      if (acc.role !== 'operator') throw new ApiError(403, 'FORBIDDEN', 'operators only')
      return
    }
    const scope = await route.scope!(ctx)
    if (acc.role === 'operator') return
    // another tenant's entities do not exist for this account
    if (scope.tenantId === null || scope.tenantId !== acc.tenantId) {
      if (scope.tenantId === null) throw new ApiError(403, 'FORBIDDEN', 'operators only')
      throw new ApiError(404, 'NOT_FOUND', 'not found')
    }
    if (acc.role === 'tenant-admin') return
    if (route.access === 'self' && scope.agentId !== undefined && scope.agentId === acc.agentId) return
    if (
      route.access === 'member' &&
      scope.queueId &&
      acc.agentId &&
      (await store.memberships.has(acc.agentId, scope.queueId))
    )
      return
    throw new ApiError(403, 'FORBIDDEN', 'not allowed for an agent account')
  }

  const app = Fastify({
    logger: false,
    exposeHeadRoutes: false, // HEAD on an API path is 405, as GET's twin is not served
    forceCloseConnections: true, // close() ends keep-alive and event-stream connections too
    return503OnClosing: false,
    bodyLimit: JSON_LIMIT,
    routerOptions: { maxParamLength: 1000 },
  })
  app.decorateRequest('koplus', null)
  app.setValidatorCompiler(apiValidator)
  void app.register(fastifyCookie)

  // One parser for every content type: bodies are read by body.ts with the API's limits and errors; an upload is
  // left unread here and streamed to a file by its route; a body sent to a route that takes none is drained.
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', async (request: FastifyRequest, payload: IncomingMessage) => {
    const route = request.routeOptions.config.koplusRoute
    if (route?.raw) return undefined
    if (route?.body) return readJson(payload)
    payload.resume()
    return undefined
  })

  // form uploads: the file part is streamed by its route (upload.ts) under the route's cap
  void app.register(fastifyMultipart)

  // Who is calling, before any body is read (401 and CSRF 403 come first), and the query's typed values.
  app.addHook('onRequest', async (request) => {
    const route = request.routeOptions.config.koplusRoute
    if (!route) return
    const isPublic = route.access === 'public'
    const principal = isPublic ? undefined : await authenticate(request.raw, request.cookies)
    if (!principal && !isPublic)
      throw new ApiError(401, 'UNAUTHENTICATED', 'log in or send an API token (Authorization: Bearer …)')
    const mutates = route.mutates ?? route.method !== 'GET'
    // A standby daemon (docs/scale-out.md) answers reads; a change goes to the leader, named in the 503.
    const refusal = mutates && principal ? opts.notLeader?.() : undefined
    if (refusal !== undefined) throw new ApiError(503, 'NOT_LEADER', refusal)
    if (principal?.via === 'session' && mutates) {
      const header = request.headers['x-csrf-token']
      if (typeof header !== 'string' || !principal.csrfToken || !safeEqual(header, principal.csrfToken)) {
        throw new ApiError(403, 'CSRF', 'missing or wrong X-CSRF-Token header')
      }
    }
    request.koplus = { principal, query: parseQuery(route, new URL(request.url, 'http://localhost')) }
  })
  // An absent body of a route whose fields are all optional is {} (validated like one); a form is not JSON.
  app.addHook('preValidation', async (request) => {
    const body = request.routeOptions.config.koplusRoute?.body as (JsonSchema & { required?: string[] }) | undefined
    if (body && request.isMultipart())
      throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json')
    if (body && request.body === undefined && !(body.required?.length ?? 0)) request.body = {}
  })

  async function serve(route: Route, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const req = request.raw
    const { principal, query } = request.koplus!
    let raw: Ctx['raw']
    if (route.raw) {
      if (!acceptsType(route.raw.contentTypes, req.headers['content-type']))
        throw new ApiError(
          415,
          'UNSUPPORTED_MEDIA_TYPE',
          `send the file with Content-Type ${route.raw.contentTypes.join(' or ')}`,
        )
      const max = opts.maxUploadBytes ?? route.raw.maxBytes
      raw = request.isMultipart()
        ? await receiveMultipartFile(request, opts.promptDir, max)
        : await receiveToFile(req, opts.promptDir, max)
    }
    const params = request.params as Record<string, string>
    const ctx: Ctx = {
      req,
      res: reply.raw,
      params,
      query,
      body: request.body,
      raw,
      principal,
      store,
      live,
      now: nowFn(),
      account: principal?.account as Account, // undefined only on public routes
      actor: principal?.account.username ?? 'anonymous',
      server: serverOpts,
    }
    ;(req as unknown as { koplusSessionId?: string }).koplusSessionId = principal?.sessionId
    let result: Result
    try {
      if (route.access !== 'public') await authorize(route, ctx)
      // an event stream writes its own answer
      if (route.response?.contentTypes?.includes('text/event-stream')) reply.hijack()
      result = await route.handler(ctx)
    } finally {
      if (raw) await rm(raw.path, { force: true })
    }
    if (result.streamed) {
      if (principal)
        watchStream(reply.raw, {
          accountId: principal.account.id,
          token: principal.token,
          sessionId: principal.sessionId,
        })
      return reply
    }
    if (route.mutates ?? route.method !== 'GET') {
      log.info({ route: route.id, actor: ctx.actor, params }, 'api change')
      const warnings = (result.body as { warnings?: unknown } | undefined)?.warnings
      if (Array.isArray(warnings) && warnings.length)
        log.warn({ route: route.id, actor: ctx.actor, params, warnings }, 'api change with warnings')
      if (streams.size > 0) await recheckStreams() // a revoked token, an ended session or a removed account ends its streams now
    }
    reply.code(result.status ?? 200)
    if (result.text) {
      reply.headers({
        'content-type': result.text.contentType,
        'cache-control': 'no-store',
        ...(result.text.filename ? { 'content-disposition': `attachment; filename="${result.text.filename}"` } : {}),
        ...result.headers,
      })
      return reply.send(result.text.data)
    }
    return sendJson(reply, result.status ?? 200, result.body, result.headers)
  }

  // before the plugins: Fastify hands a plugin the error handler of its parent at registration
  app.setErrorHandler(async (err, request, reply) => {
    const e = fromFastify(err) ?? toApiError(err)
    if (e.status >= 500 && e.apiCode === 'INTERNAL')
      log.error({ err, url: request.url, method: request.method }, 'api error')
    const headers: Record<string, string> = {}
    const retry = (err as { retryAfter?: number }).retryAfter
    if (retry) headers['retry-after'] = String(retry)
    if ((err as { closeConnection?: boolean }).closeConnection || (e as { closeConnection?: boolean }).closeConnection)
      headers.connection = 'close'
    if (reply.raw.headersSent) {
      reply.raw.end()
      return reply
    }
    return sendJson(reply, e.status, e.toJSON(), headers)
  })

  const groups = ROUTE_PLUGINS.map((plugin) => plugin())
  const routes: Route[] = groups.flat()
  const registered: { method: string; url: string; id?: string }[] = []
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) registered.push({ method: String(m), url: r.url, id: r.config?.koplusRoute?.id })
  })
  // plugins load when the server starts listening (one pass, not one await per plugin)
  groups.forEach((group, i) => {
    const plugin = async (scope: FastifyInstance): Promise<void> => {
      for (const route of group) {
        scope.route({
          method: route.method,
          url: route.path,
          config: { koplusRoute: route },
          schema: route.body ? { body: route.body } : {},
          handler: (request, reply) => serve(route, request, reply),
        })
      }
    }
    // a display name spares Fastify its search of the module cache for an anonymous plugin's name (~2 ms each)
    Object.assign(plugin, { [Symbol.for('fastify.display-name')]: `koplus-${ROUTE_PLUGINS[i].name}` })
    void app.register(plugin)
  })
  const openapi = registerOpenApi(app, routes, opts.version ?? '1')
  void app.register(metricsPlugin, { metrics: opts.metrics, token: opts.metricsToken })

  // 405 when the path exists with another method, else 404
  const compiled = routes.map(compileRoute)
  app.setNotFoundHandler(async (request) => {
    const path = new URL(request.url, 'http://localhost').pathname
    if (compiled.some((r) => r.regex.test(path)))
      throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${request.method} is not allowed on ${path}`)
    throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${request.method} ${path}`)
  })
  await app.listen({ port: opts.port ?? 0, host: opts.host ?? '127.0.0.1' })
  const server = app.server
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  log.info({ address: `http://${host}:${addr.port}` }, 'control API listening')
  return {
    app,
    server,
    url: `http://${host}:${addr.port}`,
    routes,
    registered,
    openapi,
    close: async () => {
      if (recheckTimer) clearInterval(recheckTimer)
      await app.close()
    },
  }
}

/** A JSON answer (never cached); no body for 204 or an undefined body. */
function sendJson(
  reply: FastifyReply,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): FastifyReply {
  reply.code(status).headers({ 'cache-control': 'no-store', ...headers })
  if (body === undefined || status === 204) return reply.send()
  return reply.header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(body))
}
