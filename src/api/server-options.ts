/** The options and the handle of the API server (server.ts). */
import type { FastifyInstance } from 'fastify'
import type { Server } from 'node:http'
import type { Logger } from 'pino'
import type { Store } from '../store/index.js'
import type { HashGate, LoginRateLimiter } from './auth.js'
import type { LiveControl } from './live.js'
import type { KoplusMetrics } from './metrics.js'
import type { Route } from './router.js'

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
  /** The Fastify instance (its routes: app.printRoutes(), the registered list: `registered`). */
  app: FastifyInstance
  server: Server
  /** e.g. 'http://127.0.0.1:43123' */
  url: string
  routes: readonly Route[]
  /** Every route Fastify registered, as 'METHOD /path' (the boundary test enumerates these). */
  registered: readonly { method: string; url: string; id?: string }[]
  openapi: Record<string, unknown>
  close(): Promise<void>
}
