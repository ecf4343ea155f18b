/**
 * The daemon's HTTP server (node:http): routing over the route table, authentication (Bearer API tokens, web
 * session cookies with double-submit CSRF), tenant boundaries, validation, JSON / CSV / SSE responses, the OpenAPI
 * document at /api/openapi.json and Prometheus metrics at /metrics.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rm } from 'node:fs/promises'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import pino, { type Logger } from 'pino'
import type { Account, Store } from '../store/index.js'
import type { LiveControl } from './live.js'
import { clientAddress, HashGate, LoginRateLimiter, parseCookies, safeEqual, SESSION_COOKIE, sessionCookie, type Principal } from './auth.js'
import { ApiError, toApiError, validation } from './errors.js'
import type { KoplusMetrics } from './metrics.js'
import { buildOpenApi } from './openapi.js'
import { compileRoute, type CompiledRoute, type Ctx, type Result, type Route } from './router.js'
import { buildRoutes } from './routes.js'
import { validate, type JsonSchema } from './validate.js'

export interface ApiServerOptions {
  store: Store
  /** Active/standby: undefined while this daemon takes changes, else why not, naming the leader (→ 503 NOT_LEADER). */
  notLeader?: () => string | undefined
  live: LiveControl
  /** The clock's now (default Date.now). */
  now?: () => number
  /** Where converted prompt files are written (e.g. <data dir>/prompts). */
  promptDir: string
  logger?: Logger
  /** Default 127.0.0.1. */
  host?: string
  /** Default 0 (any free port). */
  port?: number
  /** Served over https (behind a TLS proxy): adds Secure to the session cookie. Default false (loopback http). */
  secure?: boolean
  metrics?: KoplusMetrics
  /** When set, GET /metrics needs `Authorization: Bearer <this token>` (config api.metricsTokenFile). */
  metricsToken?: string
  /** sox executable for prompt import (default 'sox'). */
  soxPath?: string
  /** Web session lifetime (default 12 h). */
  sessionTtlSec?: number
  /** Login throttling per client address and per username+address (defaults: see LoginRateLimiter). */
  loginLimiter?: LoginRateLimiter
  /** Cap on concurrent password hashing (default: half the CPUs, at least 1; 16 more may wait). */
  hashGate?: HashGate
  /**
   * Behind a reverse proxy: the header it writes the client's address into (default 'none': the socket's peer
   * address is the client). Honoured only on connections from `trustedProxies`.
   */
  clientAddressHeader?: 'none' | 'x-forwarded-for' | 'x-real-ip'
  /** Addresses of the reverse proxies whose `clientAddressHeader` is believed (default 127.0.0.1 and ::1). */
  trustedProxies?: readonly string[]
  /** Version shown in the OpenAPI document. */
  version?: string
  /**
   * How often open event streams re-check their credential (default 5 s), for revocations made outside the API
   * (the CLI); a revocation through the API closes the streams at once.
   */
  streamRecheckMs?: number
  /** Size cap of uploads (default: the route's, 50 MB for prompts); uploads are streamed to a temporary file. */
  maxUploadBytes?: number
}

export interface ApiServer {
  server: Server
  /** e.g. 'http://127.0.0.1:43123' */
  url: string
  routes: readonly Route[]
  openapi: Record<string, unknown>
  close(): Promise<void>
}

const JSON_LIMIT = 1024 * 1024

function send(res: ServerResponse, status: number, body?: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.end()
    return
  }
  if (body === undefined || status === 204) {
    res.writeHead(status, { 'cache-control': 'no-store', ...headers })
    res.end()
    return
  }
  const data = JSON.stringify(body)
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'content-length': Buffer.byteLength(data), ...headers })
  res.end(data)
}

/** 413 with the JSON error; the connection is closed after it (the rest of the body is not read). */
function tooLarge(max: number): ApiError {
  return Object.assign(new ApiError(413, 'PAYLOAD_TOO_LARGE', `request body larger than ${max} bytes`), { closeConnection: true })
}

/** A declared Content-Length over the limit is refused before a byte is read. */
function checkDeclaredLength(req: IncomingMessage, max: number): void {
  const declared = Number(req.headers['content-length'])
  if (Number.isFinite(declared) && declared > max) throw tooLarge(max)
}

/** Stop reading a request whose body is too large: what is still in flight is discarded, not kept. */
function abandonBody(req: IncomingMessage): void {
  req.removeAllListeners('data')
  req.resume()
}

/** The whole body into memory, refused with 413 once it passes `max` bytes (JSON bodies: 1 MB). */
function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  checkDeclaredLength(req, max)
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > max) {
        abandonBody(req)
        reject(tooLarge(max))
        return
      }
      chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

/**
 * The body streamed to a new temporary file in `dir` (mode 0600), never held in memory; refused with 413 (and the
 * file removed) once it passes `max` bytes. The caller removes the file when done.
 */
async function receiveToFile(req: IncomingMessage, dir: string, max: number): Promise<{ path: string; size: number }> {
  checkDeclaredLength(req, max)
  await mkdir(dir, { recursive: true })
  const path = join(dir, `.upload-${randomBytes(8).toString('hex')}`)
  const out = createWriteStream(path, { mode: 0o600, flags: 'wx' })
  let size = 0
  const limit = new Transform({
    transform(chunk: Buffer, _enc, done) {
      size += chunk.length
      if (size > max) done(tooLarge(max))
      else done(null, chunk)
    },
  })
  try {
    await pipeline(req, limit, out)
    return { path, size }
  } catch (err) {
    await rm(path, { force: true })
    if (err instanceof ApiError) {
      abandonBody(req)
      throw err
    }
    if (req.destroyed || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') throw new ApiError(400, 'VALIDATION', 'the upload was interrupted', 'body')
    throw err
  }
}

/** Convert query-string values to the declared types (integers), then validate. */
function parseQuery(route: Route, url: URL): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const q of route.query ?? []) {
    const raw = url.searchParams.get(q.name)
    if (raw === null) {
      if (q.required) throw validation(q.name, `${q.name}: is required`)
      continue
    }
    const schema = q.schema as JsonSchema & { type?: string }
    const value = schema.type === 'integer' || schema.type === 'number' ? (raw.trim() === '' ? NaN : Number(raw)) : raw
    validate(q.schema, value, q.name)
    out[q.name] = value
  }
  return out
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
  const clientIp = (req: IncomingMessage): string => clientAddress(req.socket.remoteAddress, req.headers, addressHeader, trustedProxies)
  /** Served over https: configured so, or — behind a trusted proxy — the proxy says so (X-Forwarded-Proto: https). */
  const overHttps = (req: IncomingMessage): boolean => {
    if (serverOpts.secure) return true
    if (addressHeader === 'none') return false
    const peer = (req.socket.remoteAddress ?? '').replace(/^::ffff:(?=\d+\.)/, '')
    return trustedProxies.includes(peer) && String(req.headers['x-forwarded-proto'] ?? '').split(',')[0]!.trim().toLowerCase() === 'https'
  }
  const serverOpts: Ctx['server'] = { secure: !!opts.secure, soxPath: opts.soxPath ?? 'sox', sessionTtlSec: opts.sessionTtlSec ?? 12 * 3600, promptDir: opts.promptDir, login: (ctx) => login(ctx) }
  const routes = buildRoutes()
  const compiled: CompiledRoute[] = routes.map(compileRoute)
  const openapi = buildOpenApi(routes, opts.version ?? '1')

  /**
   * Open event streams and the credential each was opened with. A stream whose token is revoked or expired, whose
   * session ended, or whose account was removed is closed (a last `revoked` event, then the end of the response):
   * after every state-changing API request, and every `streamRecheckMs` for changes made behind the API's back.
   */
  const streams = new Map<ServerResponse, { accountId: string; token?: string; sessionId?: string }>()
  let recheckTimer: NodeJS.Timeout | undefined
  function credentialValid(c: { accountId: string; token?: string; sessionId?: string }): boolean {
    const now = nowFn()
    const account = c.token !== undefined ? store.accounts.tokenAccount(c.token, now) : c.sessionId !== undefined ? store.accounts.getSession(c.sessionId, now)?.account : undefined
    return account?.id === c.accountId
  }
  function recheckStreams(): void {
    for (const [res, c] of streams) {
      let ok = false
      try {
        ok = credentialValid(c)
      } catch (err) {
        log.error({ err }, 'checking an event stream\'s credential failed')
      }
      if (ok) continue
      streams.delete(res)
      log.info({ accountId: c.accountId, via: c.token !== undefined ? 'token' : 'session' }, 'event stream closed: credential revoked or expired')
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
      recheckTimer = setInterval(recheckStreams, opts.streamRecheckMs ?? 5000)
      recheckTimer.unref()
    }
  }

  async function authenticate(req: IncomingMessage): Promise<(Principal & { sessionId?: string; token?: string }) | undefined> {
    const now = nowFn()
    const auth = req.headers.authorization
    if (auth) {
      const m = /^Bearer\s+(\S+)$/i.exec(auth)
      if (!m) throw new ApiError(401, 'UNAUTHENTICATED', 'Authorization header must be "Bearer <token>"')
      const account = store.accounts.verifyToken(m[1]!, now)
      if (!account) throw new ApiError(401, 'UNAUTHENTICATED', 'invalid or expired API token')
      return { account, via: 'token', token: m[1]! }
    }
    const sid = parseCookies(req.headers.cookie).get(SESSION_COOKIE)
    if (sid) {
      const session = store.accounts.getSession(sid, now)
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
    const outcome = await hashGate.run(async () => ({ account: await store.accounts.authenticateAsync(username, password) }))
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
    const { sessionId, csrfToken } = store.accounts.createSession(account.id, serverOpts.sessionTtlSec * 1000, nowFn())
    log.info({ username, role: account.role, ip }, 'login')
    return { body: { account, csrfToken }, headers: { 'set-cookie': sessionCookie(sessionId, serverOpts.sessionTtlSec, overHttps(ctx.req)) } }
  }

  async function readJson(req: IncomingMessage): Promise<unknown> {
    const buf = await readBody(req, JSON_LIMIT)
    if (buf.length === 0) return undefined
    const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
    if (ct !== 'application/json') throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send JSON with Content-Type: application/json')
    try {
      return JSON.parse(buf.toString('utf8'))
    } catch {
      throw validation('', 'body: not valid JSON')
    }
  }

  /** The access rule of a route, for an authenticated account (the scope is resolved by the caller). */
  function authorize(route: Route, ctx: Ctx): void {
    const acc = ctx.account
    if (route.access === 'any') return
    if (route.access === 'operator') {
      if (route.scope) route.scope(ctx) // 404 for a missing target, even for operators
      if (acc.role !== 'operator') throw new ApiError(403, 'FORBIDDEN', 'operators only')
      return
    }
    const scope = route.scope!(ctx)
    if (acc.role === 'operator') return
    // another tenant's entities do not exist for this account
    if (scope.tenantId === null || scope.tenantId !== acc.tenantId) {
      if (scope.tenantId === null) throw new ApiError(403, 'FORBIDDEN', 'operators only')
      throw new ApiError(404, 'NOT_FOUND', 'not found')
    }
    if (acc.role === 'tenant-admin') return
    if (route.access === 'self' && scope.agentId !== undefined && scope.agentId === acc.agentId) return
    if (route.access === 'member' && scope.queueId && acc.agentId && store.memberships.has(acc.agentId, scope.queueId)) return
    throw new ApiError(403, 'FORBIDDEN', 'not allowed for an agent account')
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost')
    const method = (req.method ?? 'GET').toUpperCase()
    if (url.pathname === '/api/openapi.json' && method === 'GET') return send(res, 200, openapi)
    if (url.pathname === '/metrics' && method === 'GET') {
      if (!opts.metrics) return send(res, 404, new ApiError(404, 'NOT_FOUND', 'metrics are not enabled').toJSON())
      if (opts.metricsToken !== undefined) {
        const auth = req.headers.authorization ?? ''
        const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : ''
        if (!given || !safeEqual(given, opts.metricsToken)) {
          return send(res, 401, new ApiError(401, 'UNAUTHENTICATED', 'metrics need the bearer token of api.metricsTokenFile').toJSON(), { 'www-authenticate': 'Bearer realm="koplus metrics"' })
        }
      }
      const m = await opts.metrics.render()
      res.writeHead(200, { 'content-type': m.contentType })
      res.end(m.body)
      return
    }
    let params: Record<string, string> | undefined
    let route: CompiledRoute | undefined
    let pathMatched = false
    for (const r of compiled) {
      const m = r.regex.exec(url.pathname)
      if (!m) continue
      pathMatched = true
      if (r.method !== method) continue
      route = r
      params = Object.fromEntries(r.paramNames.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]))
      break
    }
    if (!route) {
      if (pathMatched) throw new ApiError(405, 'METHOD_NOT_ALLOWED', `${method} is not allowed on ${url.pathname}`)
      throw new ApiError(404, 'NOT_FOUND', `no such endpoint: ${method} ${url.pathname}`)
    }
    const isPublic = route.access === 'public'
    const principal = isPublic ? undefined : await authenticate(req)
    if (!principal && !isPublic) throw new ApiError(401, 'UNAUTHENTICATED', 'log in or send an API token (Authorization: Bearer …)')
    const mutates = route.mutates ?? method !== 'GET'
    // A standby daemon (docs/scale-out.md) answers reads; a change goes to the leader, named in the 503.
    const refusal = mutates && principal ? opts.notLeader?.() : undefined
    if (refusal !== undefined) throw new ApiError(503, 'NOT_LEADER', refusal)
    if (principal?.via === 'session' && mutates) {
      const header = req.headers['x-csrf-token']
      if (typeof header !== 'string' || !principal.csrfToken || !safeEqual(header, principal.csrfToken)) {
        throw new ApiError(403, 'CSRF', 'missing or wrong X-CSRF-Token header')
      }
    }
    const query = parseQuery(route, url)
    let body: unknown
    let raw: { path: string; size: number } | undefined
    if (route.raw) {
      const ct = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase()
      const ok = route.raw.contentTypes.some((t) => (t.endsWith('/*') ? ct.startsWith(t.slice(0, -1)) : ct === t))
      if (!ok) throw new ApiError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the file with Content-Type ${route.raw.contentTypes.join(' or ')}`)
      raw = await receiveToFile(req, opts.promptDir, opts.maxUploadBytes ?? route.raw.maxBytes)
    } else if (route.body) {
      body = await readJson(req)
      const required = 'required' in route.body && (route.body.required?.length ?? 0) > 0
      if (body === undefined && !required) body = {}
      validate(route.body, body)
    }
    const ctx: Ctx = {
      req, res, params: params!, query, body, raw, principal, store, live, now: nowFn(),
      account: principal?.account as Account, // undefined only on public routes
      actor: principal?.account.username ?? 'anonymous',
      server: serverOpts,
    }
    ;(req as unknown as { koplusSessionId?: string }).koplusSessionId = principal?.sessionId
    if (!isPublic) authorize(route, ctx)
    let result: Result
    try {
      result = await route.handler(ctx)
    } finally {
      if (raw) await rm(raw.path, { force: true })
    }
    if (result.streamed) {
      if (principal) watchStream(res, { accountId: principal.account.id, token: principal.token, sessionId: principal.sessionId })
      return
    }
    if (mutates) {
      log.info({ route: route.id, actor: ctx.actor, params }, 'api change')
      const warnings = (result.body as { warnings?: unknown } | undefined)?.warnings
      if (Array.isArray(warnings) && warnings.length) log.warn({ route: route.id, actor: ctx.actor, params, warnings }, 'api change with warnings')
      if (streams.size > 0) recheckStreams() // a revoked token, an ended session or a removed account ends its streams now
    }
    if (result.text) {
      res.writeHead(result.status ?? 200, {
        'content-type': result.text.contentType,
        'cache-control': 'no-store',
        ...(result.text.filename ? { 'content-disposition': `attachment; filename="${result.text.filename}"` } : {}),
        ...result.headers,
      })
      res.end(result.text.data)
      return
    }
    send(res, result.status ?? 200, result.body, result.headers)
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const e = toApiError(err)
      if (e.status >= 500 && e.apiCode === 'INTERNAL') log.error({ err, url: req.url, method: req.method }, 'api error')
      const headers: Record<string, string> = {}
      const retry = (err as { retryAfter?: number }).retryAfter
      if (retry) headers['retry-after'] = String(retry)
      if ((err as { closeConnection?: boolean }).closeConnection) headers.connection = 'close'
      send(res, e.status, e.toJSON(), headers)
    })
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve())
  })
  const addr = server.address() as AddressInfo
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address
  log.info({ address: `http://${host}:${addr.port}` }, 'control API listening')
  return {
    server,
    url: `http://${host}:${addr.port}`,
    routes,
    openapi,
    close: () =>
      new Promise<void>((resolve) => {
        if (recheckTimer) clearInterval(recheckTimer)
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}
