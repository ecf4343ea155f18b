/**
 * The route table's types and the access rules every route declares. The server (server.ts), the OpenAPI
 * description (openapi.ts) and the boundary tests all read the same table, so a route cannot exist without an
 * access rule, a description and a boundary test.
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Store, Account } from '../store/index.js'
import type { LiveControl } from './live.js'
import type { Principal } from './auth.js'
import type { JsonSchema } from './validate.js'

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'

/**
 * Who may call a route.
 * - public: anyone (login, the OpenAPI document).
 * - any: every authenticated account; the handler narrows what it returns to the caller's tenant / own data.
 * - operator: operators only.
 * - admin: operators, and tenant administrators of the target's tenant.
 * - member: as admin, plus agents who are members of the target queue (read a queue, its status, its schedule).
 * - self: as admin, plus the agent the target is (an agent's own state and live actions).
 */
export type Access = 'public' | 'any' | 'operator' | 'admin' | 'member' | 'self'

/** The tenant / agent / queue a request is about, resolved before the access check. */
export interface Scope {
  tenantId: string | null
  agentId?: string
  queueId?: string
}

export interface Ctx {
  req: IncomingMessage
  res: ServerResponse
  params: Record<string, string>
  query: Record<string, unknown>
  body: unknown
  /** Raw request body (routes with `raw`), streamed to a temporary file that is removed after the handler. */
  raw?: { path: string; size: number; /** The file part's type, for a multipart upload. */ contentType?: string }
  principal: Principal | undefined
  store: Store
  live: LiveControl
  now: number
  /** The calling account. On public routes (login) there is none: do not read it there. */
  account: Account
  /** The name written to audit fields ('alice' or 'token:cli'). */
  actor: string
  /** The server's options (secure cookies etc.). */
  server: {
    secure: boolean
    soxPath: string
    sessionTtlSec: number
    promptDir: string
    /** Check credentials (rate-limited) and start a web session: the auth.login route. */
    login(ctx: Ctx): Promise<Result>
  }
}

export interface Result {
  status?: number
  body?: unknown
  /** Plain text bodies (CSV) with their content type. */
  text?: { contentType: string; data: string | Buffer; filename?: string }
  headers?: Record<string, string>
  /** The handler wrote the response itself (SSE). */
  streamed?: boolean
}

interface QueryParam {
  name: string
  schema: JsonSchema
  required?: boolean
  description?: string
}

export interface Route {
  /** Stable id, e.g. 'queues.get'; used by the boundary test table and as the OpenAPI operationId. */
  id: string
  method: Method
  /** Path under the server root with ':name' parameters, e.g. '/api/v1/queues/:queueId'. */
  path: string
  tag: string
  summary: string
  description?: string
  access: Access
  /**
   * Resolves the target of the request for the access check (404 when the target does not exist). Absent for
   * 'public', 'any' and 'operator' routes.
   */
  scope?: (ctx: Ctx) => Scope | Promise<Scope>
  body?: JsonSchema
  query?: QueryParam[]
  /**
   * Accepts a raw body (not JSON) with one of these content types; 'multipart/form-data' among them takes the
   * file part of a form upload instead.
   */
  raw?: { contentTypes: string[]; maxBytes: number }
  /** Whether the route changes state (CSRF protection for cookie-authenticated calls). Default: method !== GET. */
  mutates?: boolean
  /** Response description for the OpenAPI document. */
  response?: { status: number; description: string; schema?: JsonSchema; contentTypes?: string[] }
  handler: (ctx: Ctx) => Promise<Result> | Result
}

/** A compiled matcher for a route's path. */
interface CompiledRoute extends Route {
  regex: RegExp
  paramNames: string[]
}

export function compileRoute(route: Route): CompiledRoute {
  const paramNames: string[] = []
  const pattern = route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    paramNames.push(name)
    return '([^/]+)'
  })
  return { ...route, regex: new RegExp(`^${pattern}$`), paramNames }
}

/** The OpenAPI form of a path: '/queues/:queueId' → '/queues/{queueId}'. */
export function openApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}')
}
