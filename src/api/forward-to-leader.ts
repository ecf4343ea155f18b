/**
 * Active/standby (issue 12, docs/scale-out.md "Writes on a standby"): a change sent to a standby daemon is forwarded
 * to the leader's advertised API (`LeaderInfo.api`, src/daemon/leadership.ts) and the leader's answer is returned
 * as it is. Reads stay local. Only when no leader is known, or it cannot be reached, does the standby answer
 * `503 NOT_LEADER` naming it.
 *
 * What is forwarded: method, path and query, the body (streamed, uploads too), and the caller's headers — its
 * `Authorization`, session cookie and `X-CSRF-Token` included — so the leader authenticates and authorizes the
 * caller itself; the standby checks nothing and stores nothing. Hop-by-hop headers (RFC 9110 §7.6.1) are dropped.
 *
 * Loops: a forwarded request carries `X-Koplus-Forwarded-By: <standby's node id>`. A daemon never forwards a request
 * that carries it: a daemon that is not the leader any more (a stale view during a takeover) answers it 503 itself,
 * and that answer goes back to the caller through the first standby. So a request makes at most one hop.
 *
 * Failures: not connected to the leader (refused, no route, connect timeout) → 503 NOT_LEADER, nothing was sent, the
 * caller may retry (for an https:// leader: until its TLS session is up, so a certificate it fails on sends nothing).
 * The connection broke after the request was sent, or no answer within `timeoutMs` → 503 NOT_LEADER
 * saying the change may have been applied (the caller should read before retrying).
 */
import http from 'node:http'
import https from 'node:https'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Logger } from 'pino'
import type { LeadershipView } from './engine-view.js'
import { ApiError } from './errors.js'

/** Marks a request one daemon forwarded to another (its value: the forwarding daemon's node id). */
export const FORWARDED_BY_HEADER = 'x-koplus-forwarded-by'
/** On a forwarded answer: the node id of the leader that answered it. */
export const ANSWERED_BY_HEADER = 'x-koplus-answered-by'

/** RFC 9110 §7.6.1 connection-specific headers, and host (the leader's own). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
])

export interface ForwardToLeaderOptions {
  /** This daemon's role and who leads; undefined for a single daemon (always leads: nothing is forwarded). */
  leadership: () => LeadershipView | undefined
  logger: Logger
  /** Give up connecting to the leader after this long (default 2000 ms): 503, nothing sent. */
  connectTimeoutMs?: number
  /** Give up waiting for the leader's answer after this long without a byte (default 30 000 ms). */
  timeoutMs?: number
}

type Outcome = { answered: true } | { answered: false; sent: boolean; reason: string }

/**
 * Adds the onRequest hook that forwards a standby's changes. Call it before the hook that authenticates: a
 * forwarded request is answered by the leader, and this daemon's own checks do not run.
 */
export function forwardWritesToLeader(app: FastifyInstance, opts: ForwardToLeaderOptions): void {
  const connectTimeoutMs = opts.connectTimeoutMs ?? 2000
  const timeoutMs = opts.timeoutMs ?? 30_000
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.config.koplusRoute
    if (!route || route.access === 'public' || !(route.mutates ?? route.method !== 'GET')) return
    const lead = opts.leadership()
    if (!lead || lead.role === 'leader') return
    const self = `this daemon (${lead.nodeId}) is ${lead.role === 'fenced' ? 'fenced and stopping' : 'a standby'}`
    const by = request.headers[FORWARDED_BY_HEADER]
    if (by !== undefined)
      throw new ApiError(
        503,
        'NOT_LEADER',
        `${self} and does not forward a change forwarded by ${String(by)}; ${lead.leader ? `the leader is ${lead.leader.nodeId}` : 'no leader is known'}; try again in a few seconds`,
      )
    const leader = lead.leader
    if (!leader?.api || leader.nodeId === lead.nodeId)
      throw new ApiError(
        503,
        'NOT_LEADER',
        leader
          ? `${self}; the leader ${leader.nodeId} did not advertise its API; send changes to it`
          : `${self} and no leader is known yet; try again in a few seconds`,
      )
    const startedAt = performance.now()
    const outcome = await forward(request, reply, new URL(request.url, leader.api), {
      from: lead.nodeId,
      leader: leader.nodeId,
      connectTimeoutMs,
      timeoutMs,
    })
    if (outcome.answered) {
      opts.logger.debug(
        {
          method: request.method,
          url: request.url,
          leader: leader.nodeId,
          ms: +(performance.now() - startedAt).toFixed(1),
        },
        'change forwarded to the leader',
      )
      return reply
    }
    opts.logger.warn(
      { method: request.method, url: request.url, leader: leader.nodeId, api: leader.api, reason: outcome.reason },
      outcome.sent
        ? 'forwarding a change: the leader did not answer'
        : 'forwarding a change: the leader is unreachable',
    )
    throw new ApiError(
      503,
      'NOT_LEADER',
      outcome.sent
        ? `${self}; the leader ${leader.nodeId} at ${leader.api} did not answer (${outcome.reason}); the change may have been applied: read before sending it again`
        : `${self}; the leader ${leader.nodeId} at ${leader.api} cannot be reached (${outcome.reason}); try again in a few seconds`,
    )
  })
}

/** Sends the request to `target` and, when the leader answers, streams its answer back through `reply`. */
function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  target: URL,
  o: { from: string; leader: string; connectTimeoutMs: number; timeoutMs: number },
): Promise<Outcome> {
  const headers: http.OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(request.headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value
  headers[FORWARDED_BY_HEADER] = o.from
  return new Promise<Outcome>((resolve) => {
    let connected = false
    let settled = false
    const done = (outcome: Outcome): void => {
      if (settled) return
      settled = true
      clearTimeout(connectTimer)
      resolve(outcome)
    }
    // A fresh connection per change (no keep-alive pool): a pooled socket the leader has closed would fail a
    // change after it may have been sent; changes are rare enough for a connect (~0.1 ms on a LAN) not to matter.
    // An https:// leader (api.advertiseUrl behind a TLS proxy): its certificate is verified against Node's CAs
    // (NODE_EXTRA_CA_CERTS adds a private CA), and the change counts as sent only once the TLS session is up.
    const secure = target.protocol === 'https:'
    const out = (secure ? https : http).request(target, { method: request.method, headers, agent: false })
    const connectTimer = setTimeout(() => {
      if (!connected) out.destroy(new Error(`no connection within ${o.connectTimeoutMs} ms`))
    }, o.connectTimeoutMs)
    out.on('socket', (socket) => {
      socket.once(secure ? 'secureConnect' : 'connect', () => {
        connected = true
        clearTimeout(connectTimer)
        out.setTimeout(o.timeoutMs, () => out.destroy(new Error(`no answer within ${o.timeoutMs} ms`)))
      })
    })
    out.on('error', (err: NodeJS.ErrnoException) => {
      request.raw.unpipe(out)
      done({ answered: false, sent: connected, reason: err.code ?? err.message })
    })
    out.on('response', (res) => {
      const back: Record<string, string | string[]> = {}
      for (const [name, value] of Object.entries(res.headers))
        if (value !== undefined && !HOP_BY_HOP.has(name)) back[name] = value
      back[ANSWERED_BY_HEADER] = o.leader
      const status = res.statusCode ?? 502
      reply.code(status).headers(back)
      if (status === 204 || status === 304) {
        res.resume()
        void reply.send()
      } else void reply.send(res)
      done({ answered: true })
    })
    // A caller that goes away before its body is sent: the leader must not wait for the rest (nor apply half).
    request.raw.once('close', () => {
      if (!request.raw.complete) out.destroy(new Error('the caller closed the connection before sending its body'))
    })
    request.raw.pipe(out)
  })
}
