/**
 * The route table of the HTTP API (/api/v1). Each route declares its access rule and, for tenant-bound routes, how
 * to find the target's tenant (`scope`); the server enforces both before the handler runs.
 */
import { queueNumberWarnings } from '../doctor/vanilla-dialplan.js'
import { QUEUE_PLANS, type Agent, type Queue } from '../core/model.js'
import { ruleIssues } from '../core/schedule/rules.js'
import { explain as explainSchedule, ruleOccurrence, scheduleIssues, stateAt, transitions as scheduleTransitions } from '../core/schedule/index.js'
import { DEFAULT_TIME_ZONE, type Closure, type HolidayCalendar, type OpeningRule, type Schedule } from '../core/schedule/types.js'
import { rm } from 'node:fs/promises'
import { DEFAULT_REPORT_TIME_ZONE, type Account, type AgentInput, type AgentPatch, type ClosureScope, type QueueInput, type Role, type Store } from '../store/index.js'
import { placeholderDomainWarning } from '../store/index.js'
import type { CoreEvent } from '../core/events.js'
import type { Command } from '../core/commands.js'
import { sessionCookie } from './auth.js'
import { ApiError, conflict, forbidden, notFound, validation, type ApiErrorCode } from './errors.js'
import type { Ctx, Result, Route, Scope } from './router.js'
import * as S from './schemas.js'
import { isoInZone, toCsv } from './csv.js'
import { parseIsoInZone } from '../util/local-time.js'
import { convertPrompt } from './prompts.js'
import { openSse } from './sse.js'
import { filterStatus } from './status-filter.js'
import type { StatusSnapshot } from './live.js'
import { int, str } from './validate.js'

const V1 = '/api/v1'

// ── helpers ──

function need<T>(value: T | undefined, what: string, id: string): T {
  if (value === undefined) throw notFound(what, id)
  return value
}

/** An instant field: epoch ms, 'now', or ISO 8601; a date-time without an offset is read in `zone` (the queue's), never the host's. */
export function parseInstant(field: string, v: unknown, now: number, zone: string = DEFAULT_TIME_ZONE): number {
  if (typeof v === 'number') return v
  if (typeof v === 'string') {
    if (v === 'now') return now
    if (/^\d+$/.test(v)) return Number(v)
    const t = parseIsoInZone(v, zone)
    if (t !== undefined && !Number.isNaN(t)) return t
  }
  throw validation(field, `${field}: expected epoch milliseconds or an ISO 8601 date-time, got ${JSON.stringify(v)}`)
}

const queueScope = (ctx: Ctx): Scope => {
  const q = need(ctx.store.queues.find(ctx.params.queueId!), 'queue', ctx.params.queueId!)
  return { tenantId: q.tenantId, queueId: q.id }
}
const agentScope = (ctx: Ctx): Scope => {
  const a = need(ctx.store.agents.find(ctx.params.agentId!), 'agent', ctx.params.agentId!)
  return { tenantId: a.tenantId, agentId: a.id }
}
const tenantScope = (ctx: Ctx): Scope => {
  const t = need(ctx.store.tenants.find(ctx.params.tenantId!), 'tenant', ctx.params.tenantId!)
  return { tenantId: t.id }
}
/** A create request's tenant: body.tenantId, or the caller's own tenant when omitted. */
const bodyTenantScope = (ctx: Ctx): Scope => {
  const body = (ctx.body ?? {}) as { tenantId?: string }
  const tenantId = body.tenantId ?? ctx.account.tenantId ?? 'default'
  need(ctx.store.tenants.find(tenantId), 'tenant', tenantId)
  return { tenantId }
}
/** Tenant named in the query (?tenant=), or the caller's own. */
function queryTenant(ctx: Ctx): string | undefined {
  const q = ctx.query.tenant as string | undefined
  if (ctx.account.role === 'operator') return q
  if (q !== undefined && q !== ctx.account.tenantId) throw notFound('tenant', q)
  return ctx.account.tenantId ?? undefined
}
/** Queue ids an agent account may see (its memberships). */
function agentQueueIds(ctx: Ctx): string[] {
  if (!ctx.account.agentId) return []
  return ctx.store.memberships.list({ agentId: ctx.account.agentId }).map((m) => m.queueId)
}

function listResult<T>(items: T[]): Result {
  return { body: { items } }
}

function csvOrJson(ctx: Ctx, rows: Record<string, unknown>[], filename: string): Result {
  if (ctx.query.format === 'csv') return { text: { contentType: 'text/csv; charset=utf-8', data: toCsv(rows), filename } }
  return listResult(rows)
}

function publicAccount(a: Account): Account {
  return { id: a.id, username: a.username, role: a.role, tenantId: a.tenantId, agentId: a.agentId, createdAt: a.createdAt, updatedAt: a.updatedAt }
}

/** The plan gate (SPEC T4), checked before the engine is asked. */
function requireQueuePlan(agent: Agent): void {
  if (!QUEUE_PLANS.includes(agent.plan)) {
    throw new ApiError(403, 'PLAN', `agent ${agent.extension} is on the ${agent.plan} plan; only Pro, Business or Enterprise users may log in to queues`, 'plan')
  }
}

function checkQueueIdsOfAgent(ctx: Ctx, agent: Agent, queueIds: string[] | undefined): void {
  if (!queueIds) return
  const member = new Set(ctx.store.memberships.list({ agentId: agent.id }).map((m) => m.queueId))
  queueIds.forEach((id, i) => {
    const q = ctx.store.queues.find(id)
    if (!q || q.tenantId !== agent.tenantId) throw new ApiError(404, 'NOT_FOUND', `queue '${id}' not found`, `queueIds[${i}]`)
    if (!member.has(id)) throw new ApiError(409, 'CONFLICT', `agent ${agent.extension} is not a member of queue ${q.number}`, `queueIds[${i}]`)
  })
}

/** Validate a whole schedule with the evaluator's own checks; the error names the field ('schedule.rules[0].rrule'). */
function validateSchedule(schedule: Schedule | null): void {
  if (!schedule) return
  const issue = scheduleIssues(schedule)[0]
  if (issue) throw validation(`schedule.${issue.field}`, `schedule.${issue.field}: ${issue.problem}`)
  const ids = new Set<string>()
  schedule.rules.forEach((r, i) => {
    if (ids.has(r.id)) throw validation(`schedule.rules[${i}].id`, `schedule.rules[${i}].id: duplicate rule id '${r.id}'`)
    ids.add(r.id)
  })
}

let ruleSeq = 0
function newRuleId(): string {
  return `r${Date.now().toString(36)}${(ruleSeq++).toString(36)}`
}

/** Resolve a closure's scope (list, tag or all of a tenant) into queue ids of that tenant. */
function resolveClosureScope(ctx: Ctx, tenantId: string, body: { queueIds?: string[]; tag?: string; all?: boolean }): { scope: ClosureScope; queueIds: string[] } {
  const chosen = [body.queueIds !== undefined, body.tag !== undefined, body.all === true].filter(Boolean).length
  if (chosen !== 1) throw validation('queueIds', 'give exactly one of queueIds, tag or all=true')
  const queues = ctx.store.queues.list(tenantId)
  if (body.queueIds) {
    if (body.queueIds.length === 0) throw validation('queueIds', 'queueIds: must not be empty')
    body.queueIds.forEach((id, i) => {
      if (!queues.some((q) => q.id === id)) throw new ApiError(404, 'NOT_FOUND', `queue '${id}' not found`, `queueIds[${i}]`)
    })
    return { scope: { kind: 'queues', queueIds: body.queueIds }, queueIds: body.queueIds }
  }
  if (body.tag !== undefined) {
    const ids = queues.filter((q) => q.tags.includes(body.tag!)).map((q) => q.id)
    if (ids.length === 0) throw new ApiError(404, 'NOT_FOUND', `no queue has the tag '${body.tag}'`, 'tag')
    return { scope: { kind: 'tag', tag: body.tag }, queueIds: ids }
  }
  const ids = queues.map((q) => q.id)
  if (ids.length === 0) throw new ApiError(404, 'NOT_FOUND', `tenant '${tenantId}' has no queues`, 'all')
  return { scope: { kind: 'tenant' }, queueIds: ids }
}

/** Roles an account may grant: operators anything; tenant admins tenant-admin/agent accounts of their tenant. */
function checkAccountGrant(ctx: Ctx, role: Role, tenantId: string | null, agentId: string | null): void {
  const me = ctx.account
  if (role === 'operator') {
    if (me.role !== 'operator') throw forbidden('only operators can create operator accounts')
    if (tenantId || agentId) throw validation('tenantId', 'tenantId: an operator account belongs to no tenant')
    return
  }
  if (!tenantId) throw validation('tenantId', `tenantId: is required for role ${role}`)
  if (me.role !== 'operator' && tenantId !== me.tenantId) throw notFound('tenant', tenantId)
  need(ctx.store.tenants.find(tenantId), 'tenant', tenantId)
  if (role === 'agent') {
    if (!agentId) throw validation('agentId', 'agentId: is required for role agent')
    const agent = ctx.store.agents.find(agentId)
    if (!agent || agent.tenantId !== tenantId) throw new ApiError(404, 'NOT_FOUND', `agent '${agentId}' not found`, 'agentId')
  } else if (agentId) {
    throw validation('agentId', 'agentId: only agent accounts are tied to an agent')
  }
}

/**
 * Apply an operator change: write it to the store together with its audit row (one transaction: durable), then
 * have the running daemon reload its configuration — both before the response is sent.
 */
async function apply<T>(ctx: Ctx, action: string, entity: string, entityId: string | null, write: () => T): Promise<T> {
  const result = ctx.store.tx(() => {
    const r = write()
    const id = entityId ?? ((r as { id?: unknown } | undefined)?.id as string | undefined) ?? null
    const tenantId = ((r as { tenantId?: unknown } | undefined)?.tenantId as string | undefined) ?? ctx.account.tenantId
    ctx.store.audit.record({ at: ctx.now, actor: ctx.actor, tenantId, action, entity, entityId: id, detail: ctx.body ?? null })
    return r
  })
  await ctx.live.reloadConfig()
  return result
}

/**
 * Warnings for a queue's (new) number: stock extensions of the vanilla dialplan, the shipped koplus.xml expression,
 * and — when the daemon can reach FreeSWITCH — a test call through the real dialplan (issue 15). Never blocks.
 */
async function numberWarnings(ctx: Ctx, number: string): Promise<string[]> {
  const out = queueNumberWarnings(number)
  if (ctx.live.routeCheck) {
    try {
      out.push(...(await ctx.live.routeCheck(number)))
    } catch (err) {
      out.push(`the routing of ${number} was not tested: ${(err as Error).message}`)
    }
  }
  return out
}

/** A closure change: durable, then the engine re-evaluates which queues are open. */
async function applyClosure<T>(ctx: Ctx, action: string, write: () => T): Promise<T> {
  const r = await apply(ctx, action, 'closure', null, write)
  await ctx.live.dispatch({ type: 'reevaluate' })
  return r
}

/**
 * What validateSchedule cannot see alone: the calendars it names must exist and be the queue's tenant's or shared,
 * and every rule must occur at least once from today on (30 February never does).
 */
function checkScheduleAgainst(ctx: Ctx, schedule: Schedule | null): void {
  if (!schedule) return
  const tenantId = ctx.store.queues.get(ctx.params.queueId!).tenantId
  schedule.calendarIds.forEach((id, i) => {
    const c = ctx.store.holidayCalendars.find(id)
    if (!c || (c.tenantId !== null && c.tenantId !== tenantId)) throw validation(`schedule.calendarIds[${i}]`, `schedule.calendarIds[${i}]: no holiday calendar '${id}' in this tenant or shared`)
  })
  schedule.rules.forEach((r, i) => {
    if (ruleOccurrence(r, schedule.timeZone, ctx.now) === 'never') throw validation(`schedule.rules[${i}].rrule`, `schedule.rules[${i}]: never occurs (no date from today on within 8 years matches it)`)
  })
}

/** Warnings about a saved schedule: rules that ended, and a queue the schedule keeps closed for the next year. */
function scheduleWarnings(ctx: Ctx, schedule: Schedule | null): string[] {
  if (!schedule || schedule.alwaysOpen) return []
  const out: string[] = []
  schedule.rules.forEach((r, i) => {
    if (ruleOccurrence(r, schedule.timeZone, ctx.now) === 'ended') out.push(`rules[${i}] (${r.label ?? r.id}) ended on ${r.until}; it opens or closes nothing any more`)
  })
  const ids = new Set(schedule.calendarIds)
  const calendars = ctx.store.holidayCalendars.list().filter((c) => ids.has(c.id))
  const horizon = ctx.now + 366 * DAY
  if (!stateAt(schedule, calendars, [], ctx.params.queueId!, ctx.now).open && scheduleTransitions(schedule, calendars, [], ctx.params.queueId!, ctx.now, horizon).length === 0) {
    out.push('the queue does not open at all in the next 366 days under this schedule: callers will only hear it is closed')
  }
  return out
}

async function setSchedule(ctx: Ctx, schedule: Schedule | null): Promise<Schedule | null> {
  validateSchedule(schedule)
  checkScheduleAgainst(ctx, schedule)
  const q = await apply(ctx, 'update', 'schedule', ctx.params.queueId!, () => ctx.store.queues.update(ctx.params.queueId!, { schedule }))
  await ctx.live.dispatch({ type: 'reevaluate' })
  return q.schedule
}

/** queue id → the zone its times are shown in: its schedule's, else the default (a removed queue: the default). */
function queueZones(store: Store): (queueId: string) => string {
  const m = new Map(store.queues.list().map((q) => [q.id, q.schedule?.timeZone ?? DEFAULT_TIME_ZONE]))
  return (id) => m.get(id) ?? DEFAULT_TIME_ZONE
}

/** The zone these queues share, else the default (as the CLI and the web pages choose it). */
function sharedZone(queues: readonly { schedule: Schedule | null }[]): string {
  const zones = new Set(queues.map((q) => q.schedule?.timeZone ?? DEFAULT_TIME_ZONE))
  return zones.size === 1 ? [...zones][0]! : DEFAULT_TIME_ZONE
}

/** The inputs of the schedule evaluator for a queue: its schedule (none = always open), calendars and closures. */
function scheduleInputs(ctx: Ctx): { schedule: Schedule; calendars: HolidayCalendar[]; closures: Closure[]; queueId: string } {
  const q = ctx.store.queues.get(ctx.params.queueId!)
  const schedule: Schedule = q.schedule ?? { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [], alwaysOpen: true }
  const ids = new Set(schedule.calendarIds)
  const calendars = ctx.store.holidayCalendars.list(q.tenantId).filter((c) => ids.has(c.id))
  const closures = ctx.store.closures.list(q.tenantId, 10_000)
  return { schedule, calendars, closures, queueId: q.id }
}

function explainQueue(ctx: Ctx, at: number): ReturnType<typeof explainSchedule> {
  const i = scheduleInputs(ctx)
  return explainSchedule(i.schedule, i.calendars, i.closures, i.queueId, at)
}

function queueTransitions(ctx: Ctx, from: number, to: number): ReturnType<typeof scheduleTransitions> {
  const i = scheduleInputs(ctx)
  return scheduleTransitions(i.schedule, i.calendars, i.closures, i.queueId, from, to)
}

/**
 * `GET /status` adds to the engine's snapshot what an operator must see first: per queue whether it is open now
 * and, when closed, why and until when (schedule, holiday or closure); and the daemon's FreeSWITCH connection
 * (`connected: false` means no call can be taken; operators also see the address and the last error).
 */
function statusWithOpenState(ctx: Ctx, snapshot: StatusSnapshot): StatusSnapshot {
  const out = { ...snapshot } as Record<string, unknown>
  if (Array.isArray(out.queues)) {
    out.queues = (out.queues as Record<string, unknown>[]).map((q) => {
      const queue = typeof q.queueId === 'string' ? ctx.store.queues.find(q.queueId) : undefined
      if (!queue) return q
      const e = explainQueue({ ...ctx, params: { ...ctx.params, queueId: queue.id } } as Ctx, ctx.now)
      return {
        ...q,
        open: e.open,
        ...(e.open ? {} : { closedReason: e.reason, closedBy: e.decidedBy, ...(e.nextChange !== undefined ? { closedUntil: e.nextChange } : {}) }),
      }
    })
  }
  const fs = ctx.live.freeswitch?.()
  if (fs) out.freeswitch = ctx.account.role === 'operator' ? fs : { connected: fs.connected }
  const lead = ctx.live.leadership?.()
  if (lead) out.leadership = lead
  return out as StatusSnapshot
}

function findPrompt(store: Store, id: string): ReturnType<Store['prompts']['list']>[number] | undefined {
  return store.prompts.list().find((p) => p.id === id)
}

function findToken(store: Store, id: string): { id: string; accountId: string } | undefined {
  for (const a of store.accounts.list()) {
    if (store.accounts.listTokens(a.id).some((t) => t.id === id)) return { id, accountId: a.id }
  }
  return undefined
}

const DAY = 86_400_000

/** ?from=&to= as instants; default the last `defaultDays` days up to now. */
function range(ctx: Ctx, defaultDays: number): { from: number; to: number } {
  // a date-time without an offset: in the queue's zone (?queue= or the path's), else the zone the tenant's queues share
  const queueId = ctx.params.queueId ?? (ctx.query.queue as string | undefined)
  const zone = queueId ? queueZones(ctx.store)(queueId) : sharedZone(ctx.store.queues.list(queryTenant(ctx)))
  const to = ctx.query.to !== undefined ? parseInstant('to', ctx.query.to, ctx.now, zone) : ctx.now
  const from = ctx.query.from !== undefined ? parseInstant('from', ctx.query.from, ctx.now, zone) : to - defaultDays * DAY
  if (from > to) throw validation('from', "from: is after 'to'")
  return { from, to }
}

// ── query parameters used by several routes ──
const Q_TENANT = { name: 'tenant', schema: S.ID, description: "tenant id (operators: any; others: their own)" }
const Q_FORMAT = { name: 'format', schema: str({ enum: ['json', 'csv'] }), description: 'csv for a CSV download' }
const Q_FROM = { name: 'from', schema: str({ minLength: 1 }), description: "epoch ms or ISO 8601; without an offset in the queue's zone (default: 7 days ago)" }
const Q_TO = { name: 'to', schema: str({ minLength: 1 }), description: "epoch ms or ISO 8601; without an offset in the queue's zone (default: now)" }

/** A tenant answer, with `warnings` when a tenant is left on the placeholder domain in a multi-tenant install. */
function withTenantWarnings<T extends object>(ctx: Ctx, tenant: T): T & { warnings?: string[] } {
  const warning = placeholderDomainWarning(ctx.store.tenants.usage())
  return warning ? { ...tenant, warnings: [warning] } : tenant
}

/** Build the route table. */
export function buildRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }

  // ── auth ──
  add({
    id: 'auth.login', method: 'POST', path: `${V1}/auth/login`, tag: 'auth', access: 'public', body: S.LOGIN,
    summary: 'Log in with username and password; sets the session cookie and returns the CSRF token',
    description: 'Rate-limited per username and client address (5 attempts per minute → 429). The session cookie is HttpOnly, SameSite=Strict, and Secure when served over https.',
    handler: (ctx) => ctx.server.login(ctx),
  })
  add({
    id: 'auth.logout', method: 'POST', path: `${V1}/auth/logout`, tag: 'auth', access: 'any', summary: 'End the web session',
    handler: async (ctx) => {
      const sid = ctx.principal?.via === 'session' ? (ctx.req as unknown as { koplusSessionId?: string }).koplusSessionId : undefined
      if (sid) ctx.store.accounts.endSession(sid)
      return { status: 204, headers: { 'set-cookie': sessionCookie('', 0, ctx.server.secure) } }
    },
  })
  add({
    id: 'auth.me', method: 'GET', path: `${V1}/auth/me`, tag: 'auth', access: 'any', summary: 'The calling account (and the CSRF token of a web session)',
    handler: (ctx) => ({ body: { account: publicAccount(ctx.account), csrfToken: ctx.principal?.csrfToken ?? null } }),
  })

  // ── tenants ──
  add({
    id: 'tenants.list', method: 'GET', path: `${V1}/tenants`, tag: 'tenants', access: 'any', summary: 'List tenants (others than operators see their own)',
    handler: (ctx) => listResult(ctx.store.tenants.list().filter((t) => ctx.account.role === 'operator' || t.id === ctx.account.tenantId)),
  })
  add({
    id: 'tenants.create', method: 'POST', path: `${V1}/tenants`, tag: 'tenants', access: 'operator', body: S.TENANT_CREATE, summary: 'Create a tenant',
    description: 'The answer carries `warnings` when the built-in tenant still has its placeholder domain and queues or agents: with two tenants its calls stop (docs/security.md, tenant boundaries).',
    handler: async (ctx) => ({ status: 201, body: withTenantWarnings(ctx, await apply(ctx, 'create', 'tenant', null, () => ctx.store.tenants.create(ctx.body as { name: string; domain: string }))) }),
  })
  add({
    id: 'tenants.get', method: 'GET', path: `${V1}/tenants/:tenantId`, tag: 'tenants', access: 'admin', scope: tenantScope, summary: 'A tenant',
    handler: (ctx) => ({ body: ctx.store.tenants.find(ctx.params.tenantId!) }),
  })
  add({
    id: 'tenants.update', method: 'PATCH', path: `${V1}/tenants/:tenantId`, tag: 'tenants', access: 'operator', scope: tenantScope, body: S.TENANT_PATCH, summary: 'Change a tenant',
    handler: async (ctx) => ({ body: withTenantWarnings(ctx, await apply(ctx, 'update', 'tenant', ctx.params.tenantId!, () => ctx.store.tenants.update(ctx.params.tenantId!, ctx.body as object))) }),
  })
  add({
    id: 'tenants.remove', method: 'DELETE', path: `${V1}/tenants/:tenantId`, tag: 'tenants', access: 'operator', scope: tenantScope, summary: 'Remove a tenant (refused while it has queues or agents)',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'tenant', ctx.params.tenantId!, () => ctx.store.tenants.remove(ctx.params.tenantId!))
      return { status: 204 }
    },
  })

  // ── queues ──
  add({
    id: 'queues.list', method: 'GET', path: `${V1}/queues`, tag: 'queues', access: 'any', query: [Q_TENANT], summary: 'List queues (agents: the queues they are members of)',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') {
        const ids = new Set(agentQueueIds(ctx))
        return listResult(ctx.store.queues.list(ctx.account.tenantId!).filter((q) => ids.has(q.id)))
      }
      return listResult(ctx.store.queues.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'queues.create', method: 'POST', path: `${V1}/queues`, tag: 'queues', access: 'admin', scope: bodyTenantScope, body: S.QUEUE_CREATE,
    summary: 'Create a queue (tenantId defaults to the caller\'s tenant)',
    handler: async (ctx) => {
      const body = ctx.body as QueueInput
      const queue = await apply(ctx, 'create', 'queue', null, () => ctx.store.queues.create({ ...body, tenantId: bodyTenantScope(ctx).tenantId! }))
      return { status: 201, body: { ...queue, warnings: await numberWarnings(ctx, queue.number) } }
    },
  })
  add({
    id: 'queues.get', method: 'GET', path: `${V1}/queues/:queueId`, tag: 'queues', access: 'member', scope: queueScope, summary: 'A queue with its settings',
    handler: (ctx) => ({ body: ctx.store.queues.find(ctx.params.queueId!) }),
  })
  add({
    id: 'queues.update', method: 'PATCH', path: `${V1}/queues/:queueId`, tag: 'queues', access: 'admin', scope: queueScope, body: S.QUEUE_PATCH,
    summary: 'Change a queue; settings are merged over the current ones',
    handler: async (ctx) => {
      const queue = await apply(ctx, 'update', 'queue', ctx.params.queueId!, () => ctx.store.queues.update(ctx.params.queueId!, ctx.body as object))
      // a renumbered queue: the same warnings as at creation (the change is made either way)
      return { body: { ...queue, warnings: (ctx.body as { number?: unknown }).number !== undefined ? await numberWarnings(ctx, queue.number) : [] } }
    },
  })
  add({
    id: 'queues.remove', method: 'DELETE', path: `${V1}/queues/:queueId`, tag: 'queues', access: 'admin', scope: queueScope, summary: 'Remove a queue',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'queue', ctx.params.queueId!, () => ctx.store.queues.remove(ctx.params.queueId!, ctx.now))
      return { status: 204 }
    },
  })

  // ── schedules ──
  add({
    id: 'schedule.get', method: 'GET', path: `${V1}/queues/:queueId/schedule`, tag: 'schedules', access: 'member', scope: queueScope,
    summary: "The queue's opening schedule (null: always open)",
    handler: (ctx) => ({ body: { schedule: ctx.store.queues.get(ctx.params.queueId!).schedule } }),
  })
  add({
    id: 'schedule.set', method: 'PUT', path: `${V1}/queues/:queueId/schedule`, tag: 'schedules', access: 'admin', scope: queueScope,
    body: { type: 'object', properties: { schedule: S.SCHEDULE }, required: ['schedule'], additionalProperties: false },
    summary: 'Replace the schedule (rules, time zone, calendars); nothing is saved when a rule is invalid',
    handler: async (ctx) => {
      const schedule = (ctx.body as { schedule: Schedule | null }).schedule
      if (schedule) {
        schedule.rules = schedule.rules.map((r) => ({ ...r, id: r.id ?? newRuleId() }))
        schedule.calendarIds ??= []
        schedule.timeZone ??= 'Europe/Stockholm'
      }
      validateSchedule(schedule)
      const saved = await setSchedule(ctx, schedule)
      const warnings = scheduleWarnings(ctx, saved)
      return { body: { schedule: saved, ...(warnings.length ? { warnings } : {}) } }
    },
  })
  add({
    id: 'schedule.addRule', method: 'POST', path: `${V1}/queues/:queueId/schedule/rules`, tag: 'schedules', access: 'admin', scope: queueScope, body: S.RULE,
    summary: 'Add one opening rule',
    handler: async (ctx) => {
      const rule = { ...(ctx.body as OpeningRule) }
      rule.id ??= newRuleId()
      const issue = ruleIssues(rule, 'rule')[0]
      if (issue) {
        const field = issue.field.replace(/^rule\./, '')
        throw validation(field, `${field}: ${issue.problem}`)
      }
      const current = ctx.store.queues.get(ctx.params.queueId!).schedule ?? { timeZone: 'Europe/Stockholm', rules: [], calendarIds: [] }
      if (current.rules.some((r) => r.id === rule.id)) throw conflict(`rule '${rule.id}' exists`, 'id')
      const saved = await setSchedule(ctx, { ...current, rules: [...current.rules, rule] })
      const warnings = scheduleWarnings(ctx, saved)
      return { status: 201, body: { rule, schedule: saved, ...(warnings.length ? { warnings } : {}) } }
    },
  })
  add({
    id: 'schedule.removeRule', method: 'DELETE', path: `${V1}/queues/:queueId/schedule/rules/:ruleId`, tag: 'schedules', access: 'admin', scope: queueScope,
    summary: 'Remove one opening rule',
    handler: async (ctx) => {
      const current = ctx.store.queues.get(ctx.params.queueId!).schedule
      if (!current || !current.rules.some((r) => r.id === ctx.params.ruleId)) throw notFound('rule', ctx.params.ruleId!)
      await setSchedule(ctx, { ...current, rules: current.rules.filter((r) => r.id !== ctx.params.ruleId) })
      return { status: 204 }
    },
  })
  add({
    id: 'schedule.explain', method: 'GET', path: `${V1}/queues/:queueId/schedule/explain`, tag: 'schedules', access: 'member', scope: queueScope,
    query: [{ name: 'at', schema: str({ minLength: 1 }), description: "instant (epoch ms or ISO 8601; without an offset in the queue's zone); default now" }],
    summary: 'Open or closed at an instant, which rule decided, and when it next changes',
    handler: (ctx) => {
      const at = ctx.query.at !== undefined ? parseInstant('at', ctx.query.at, ctx.now, scheduleInputs(ctx).schedule.timeZone) : ctx.now
      // timeZone: the zone the reason's times of day are in (docs/api.md "Times and time zones")
      return { body: { at, ...explainQueue(ctx, at), timeZone: scheduleInputs(ctx).schedule.timeZone } }
    },
  })
  add({
    id: 'schedule.next', method: 'GET', path: `${V1}/queues/:queueId/schedule/next`, tag: 'schedules', access: 'member', scope: queueScope,
    query: [{ name: 'days', schema: int(1, 366), description: 'how many days ahead (default 14)' }],
    summary: 'The coming open/closed transitions',
    handler: (ctx) => {
      const days = (ctx.query.days as number | undefined) ?? 14
      // timeZone: the zone of the times of day in the reasons, as for explain
      return { body: { items: queueTransitions(ctx, ctx.now, ctx.now + days * DAY), timeZone: scheduleInputs(ctx).schedule.timeZone } }
    },
  })

  // ── holiday calendars ──
  const calendarScope = (ctx: Ctx): Scope => {
    const c = need(ctx.store.holidayCalendars.find(ctx.params.calendarId!), 'calendar', ctx.params.calendarId!)
    return { tenantId: c.tenantId }
  }
  add({
    id: 'calendars.list', method: 'GET', path: `${V1}/calendars`, tag: 'calendars', access: 'any', query: [Q_TENANT],
    summary: 'Holiday calendars (shared ones and the tenant\'s own)',
    handler: (ctx) => {
      const tenant = queryTenant(ctx)
      return listResult(ctx.store.holidayCalendars.list().filter((c) => (tenant === undefined ? true : c.tenantId === null || c.tenantId === tenant)))
    },
  })
  add({
    id: 'calendars.get', method: 'GET', path: `${V1}/calendars/:calendarId`, tag: 'calendars', access: 'any', summary: 'A holiday calendar',
    handler: (ctx) => {
      const c = need(ctx.store.holidayCalendars.find(ctx.params.calendarId!), 'calendar', ctx.params.calendarId!)
      if (ctx.account.role !== 'operator' && c.tenantId !== null && c.tenantId !== ctx.account.tenantId) throw notFound('calendar', c.id)
      return { body: c }
    },
  })
  add({
    id: 'calendars.create', method: 'POST', path: `${V1}/calendars`, tag: 'calendars', access: 'admin', body: S.CALENDAR_CREATE,
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
      return { status: 201, body: await apply(ctx, 'create', 'calendar', null, () => ctx.store.holidayCalendars.create({ ...body, tenantId, customDates: body.customDates ?? [] })) }
    },
  })
  add({
    id: 'calendars.update', method: 'PATCH', path: `${V1}/calendars/:calendarId`, tag: 'calendars', access: 'admin', scope: calendarScope, body: S.CALENDAR_PATCH,
    summary: 'Change a holiday calendar',
    handler: async (ctx) => ({ body: await apply(ctx, 'update', 'calendar', ctx.params.calendarId!, () => ctx.store.holidayCalendars.update(ctx.params.calendarId!, ctx.body as object)) }),
  })
  add({
    id: 'calendars.remove', method: 'DELETE', path: `${V1}/calendars/:calendarId`, tag: 'calendars', access: 'admin', scope: calendarScope, summary: 'Remove a holiday calendar',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'calendar', ctx.params.calendarId!, () => ctx.store.holidayCalendars.remove(ctx.params.calendarId!))
      return { status: 204 }
    },
  })

  // ── closures ──
  const closureScope = (ctx: Ctx): Scope => {
    const c = need(ctx.store.closures.find(ctx.params.closureId!), 'closure', ctx.params.closureId!)
    return { tenantId: c.tenantId }
  }
  add({
    id: 'closures.list', method: 'GET', path: `${V1}/closures`, tag: 'closures', access: 'any',
    query: [Q_TENANT, { name: 'active', schema: str({ enum: ['true', 'false'] }), description: 'true: only closures in force now or planned' }],
    summary: 'Temporary closures with their audit fields',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') {
        const ids = new Set(agentQueueIds(ctx))
        return listResult(ctx.store.closures.list(ctx.account.tenantId!).filter((c) => c.queueIds.some((q) => ids.has(q))))
      }
      let items = ctx.store.closures.list(queryTenant(ctx))
      if (ctx.query.active === 'true') items = items.filter((c) => c.reopenedAt === undefined && (c.until === undefined || c.until > ctx.now))
      return listResult(items)
    },
  })
  add({
    id: 'closures.create', method: 'POST', path: `${V1}/closures`, tag: 'closures', access: 'admin', scope: bodyTenantScope, body: S.CLOSURE_CREATE,
    summary: 'Close many queues at once: a list, a tag, or every queue of a tenant; now until a time, until reopened, or a future window',
    handler: async (ctx) => {
      const body = ctx.body as { queueIds?: string[]; tag?: string; all?: boolean; from?: unknown; until?: unknown; reason: string; messagePrompt?: string }
      const tenantId = bodyTenantScope(ctx).tenantId!
      const resolved = resolveClosureScope(ctx, tenantId, body)
      const zone = queueZones(ctx.store)(resolved.queueIds[0] ?? '')
      const from = body.from !== undefined ? parseInstant('from', body.from, ctx.now, zone) : ctx.now
      const until = body.until !== undefined ? parseInstant('until', body.until, ctx.now, zone) : undefined
      if (until !== undefined && until <= from) throw validation('until', "until: must be after 'from'")
      if (until !== undefined && until <= ctx.now) throw validation('until', 'until: is in the past')
      const created = await applyClosure(ctx, 'close', () => ctx.store.closures.create({ tenantId, scope: resolved.scope, from, until, reason: body.reason, by: ctx.actor, messagePrompt: body.messagePrompt }))
      return { status: 201, body: created }
    },
  })
  add({
    id: 'closures.get', method: 'GET', path: `${V1}/closures/:closureId`, tag: 'closures', access: 'admin', scope: closureScope, summary: 'A closure',
    handler: (ctx) => ({ body: ctx.store.closures.find(ctx.params.closureId!) }),
  })
  add({
    id: 'closures.reopen', method: 'POST', path: `${V1}/closures/:closureId/reopen`, tag: 'closures', access: 'admin', scope: closureScope,
    summary: 'End a closure now (reopen its queues unless something else keeps them closed)',
    handler: async (ctx) => {
      const c = ctx.store.closures.find(ctx.params.closureId!)!
      if (c.reopenedAt !== undefined) throw conflict(`closure '${c.id}' was already reopened`)
      return { body: await applyClosure(ctx, 'reopen', () => ctx.store.closures.reopen(c.id, ctx.actor, ctx.now)) }
    },
  })
  add({
    id: 'queues.close', method: 'POST', path: `${V1}/queues/:queueId/close`, tag: 'closures', access: 'admin', scope: queueScope, body: S.QUEUE_CLOSE,
    summary: 'Close one queue now (until a time or until reopened)',
    handler: async (ctx) => {
      const q = ctx.store.queues.find(ctx.params.queueId!)!
      const body = ctx.body as { until?: unknown; reason: string; messagePrompt?: string }
      const until = body.until !== undefined ? parseInstant('until', body.until, ctx.now, queueZones(ctx.store)(q.id)) : undefined
      if (until !== undefined && until <= ctx.now) throw validation('until', 'until: is in the past')
      const created = await applyClosure(ctx, 'close', () =>
        ctx.store.closures.create({ tenantId: q.tenantId, scope: { kind: 'queues', queueIds: [q.id] }, from: ctx.now, until, reason: body.reason, by: ctx.actor, messagePrompt: body.messagePrompt }),
      )
      return { status: 201, body: created }
    },
  })
  add({
    id: 'queues.reopen', method: 'POST', path: `${V1}/queues/:queueId/reopen`, tag: 'closures', access: 'admin', scope: queueScope,
    summary: 'Reopen a queue: end every closure in force that covers only this queue, and remove it from wider ones',
    handler: async (ctx) => {
      const q = ctx.store.queues.find(ctx.params.queueId!)!
      const inForce = ctx.store.closures.active(ctx.now, q.tenantId).filter((c) => c.queueIds.includes(q.id) && c.reopenedAt === undefined && c.from <= ctx.now && (c.until === undefined || c.until > ctx.now))
      if (inForce.length === 0) throw conflict(`queue ${q.number} has no closure in force`)
      const reopened = await applyClosure(ctx, 'reopen', () =>
        ctx.store.tx(() =>
          inForce.map((c) => {
            const done = ctx.store.closures.reopen(c.id, ctx.actor, ctx.now)
            const rest = c.queueIds.filter((id) => id !== q.id)
            // a closure of many queues: end it and re-create it for the others, so the audit trail shows both
            if (rest.length) ctx.store.closures.create({ tenantId: c.tenantId, scope: { kind: 'queues', queueIds: rest }, from: ctx.now, until: c.until, reason: c.reason, by: c.by, messagePrompt: c.messagePrompt })
            return done
          }),
        ),
      )
      return { body: { items: reopened } }
    },
  })

  // ── agents ──
  add({
    id: 'agents.list', method: 'GET', path: `${V1}/agents`, tag: 'agents', access: 'any', query: [Q_TENANT], summary: 'List agents (agents see themselves)',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') return listResult(ctx.store.agents.list(ctx.account.tenantId!).filter((a) => a.id === ctx.account.agentId))
      return listResult(ctx.store.agents.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'agents.create', method: 'POST', path: `${V1}/agents`, tag: 'agents', access: 'admin', scope: bodyTenantScope, body: S.AGENT_CREATE, summary: 'Create an agent',
    handler: async (ctx) => {
      const body = ctx.body as AgentInput
      if (body.devices && body.activeDevice !== undefined && body.activeDevice >= body.devices.length) throw validation('activeDevice', 'activeDevice: no such device')
      return { status: 201, body: await apply(ctx, 'create', 'agent', null, () => ctx.store.agents.create({ ...body, tenantId: bodyTenantScope(ctx).tenantId! })) }
    },
  })
  add({
    id: 'agents.get', method: 'GET', path: `${V1}/agents/:agentId`, tag: 'agents', access: 'self', scope: agentScope, summary: 'An agent',
    handler: (ctx) => ({ body: ctx.store.agents.find(ctx.params.agentId!) }),
  })
  add({
    id: 'agents.update', method: 'PATCH', path: `${V1}/agents/:agentId`, tag: 'agents', access: 'admin', scope: agentScope, body: S.AGENT_PATCH,
    summary: 'Change an agent (devices, skills, plan, wrap-up override …)',
    handler: async (ctx) => {
      const body = ctx.body as Partial<Agent>
      const current = ctx.store.agents.find(ctx.params.agentId!)!
      const devices = body.devices ?? current.devices
      const active = body.activeDevice ?? current.activeDevice
      if (devices.length > 0 && active >= devices.length) throw validation('activeDevice', 'activeDevice: no such device')
      return { body: await apply(ctx, 'update', 'agent', ctx.params.agentId!, () => ctx.store.agents.update(ctx.params.agentId!, body as AgentPatch)) }
    },
  })
  add({
    id: 'agents.remove', method: 'DELETE', path: `${V1}/agents/:agentId`, tag: 'agents', access: 'admin', scope: agentScope, summary: 'Remove an agent',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'agent', ctx.params.agentId!, () => ctx.store.agents.remove(ctx.params.agentId!, ctx.now))
      return { status: 204 }
    },
  })
  add({
    id: 'agents.setSkill', method: 'PUT', path: `${V1}/agents/:agentId/skills/:skill`, tag: 'agents', access: 'admin', scope: agentScope,
    body: { type: 'object', properties: { level: int(1, 10) }, required: ['level'], additionalProperties: false }, summary: "Set one of an agent's skills",
    handler: async (ctx) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ctx.params.skill!)) throw validation('skill', 'skill: letters, digits, _ . - only')
      const a = ctx.store.agents.find(ctx.params.agentId!)!
      const skills = { ...a.skills, [ctx.params.skill!]: (ctx.body as { level: number }).level }
      return { body: await apply(ctx, 'update', 'agent', a.id, () => ctx.store.agents.update(a.id, { skills })) }
    },
  })
  add({
    id: 'agents.removeSkill', method: 'DELETE', path: `${V1}/agents/:agentId/skills/:skill`, tag: 'agents', access: 'admin', scope: agentScope, summary: 'Remove a skill',
    handler: async (ctx) => {
      const a = ctx.store.agents.find(ctx.params.agentId!)!
      if (!(ctx.params.skill! in a.skills)) throw notFound('skill', ctx.params.skill!)
      const skills = { ...a.skills }
      delete skills[ctx.params.skill!]
      return { body: await apply(ctx, 'update', 'agent', a.id, () => ctx.store.agents.update(a.id, { skills })) }
    },
  })

  // ── live agent actions ──
  const live = (id: string, path: string, summary: string, body: Route['body'], run: (ctx: Ctx, agent: Agent) => Promise<void>): void =>
    add({
      id, method: 'POST', path: `${V1}/agents/:agentId/${path}`, tag: 'agent actions', access: 'self', scope: agentScope, body, summary,
      handler: async (ctx) => {
        const agent = ctx.store.agents.find(ctx.params.agentId!)!
        await run(ctx, agent)
        return { body: { ok: true, status: filterStatus(ctx.live.status(), ctx, agentQueueIds) } }
      },
    })
  /** Hand an agent action to the engine; a `rejected` command becomes the HTTP error. */
  const act = async (ctx: Ctx, event: CoreEvent): Promise<void> => {
    const result = await ctx.live.dispatch(event)
    const rejected = Array.isArray(result) ? (result as Command[]).find((c): c is Extract<Command, { type: 'rejected' }> => c.type === 'rejected') : undefined
    if (!rejected) return
    const status: Record<string, [number, ApiErrorCode]> = {
      plan: [403, 'PLAN'], 'unknown-agent': [404, 'NOT_FOUND'], 'unknown-queue': [404, 'NOT_FOUND'], 'bad-device': [400, 'VALIDATION'],
    }
    const [code, name] = status[rejected.reason] ?? [409, 'CONFLICT']
    throw new ApiError(code, name, rejected.message)
  }
  const source = (ctx: Ctx): 'web' | 'cli' | 'api' => (ctx.principal?.via === 'session' ? 'web' : ctx.req.headers['user-agent']?.startsWith('koplus-cli') ? 'cli' : 'api')
  live('agents.login', 'login', 'Log in to the given queues (default: every queue the agent is a member of)', S.LOGIN_QUEUES, async (ctx, agent) => {
    requireQueuePlan(agent)
    const queueIds = (ctx.body as { queueIds?: string[] } | undefined)?.queueIds
    checkQueueIdsOfAgent(ctx, agent, queueIds)
    if (!queueIds && ctx.store.memberships.list({ agentId: agent.id }).length === 0) throw conflict(`agent ${agent.extension} is not a member of any queue`)
    const check = ctx.live.checkLogin?.(agent.id, queueIds)
    if (check && !check.ok) throw new ApiError(check.reason === 'plan' ? 403 : 409, check.reason === 'plan' ? 'PLAN' : 'CONFLICT', check.message)
    await act(ctx, { type: 'agent-login', agentId: agent.id, ...(queueIds ? { queueIds } : {}), source: source(ctx) })
  })
  live('agents.logout', 'logout', 'Log out of the given queues (default: all)', S.LOGIN_QUEUES, async (ctx, agent) => {
    const queueIds = (ctx.body as { queueIds?: string[] } | undefined)?.queueIds
    checkQueueIdsOfAgent(ctx, agent, queueIds)
    await act(ctx, { type: 'agent-logout', agentId: agent.id, ...(queueIds ? { queueIds } : {}), source: source(ctx) })
  })
  live('agents.pause', 'pause', 'Pause (no calls offered) with an optional reason', S.PAUSE, async (ctx, agent) => {
    const reason = (ctx.body as { reason?: string } | undefined)?.reason
    await act(ctx, { type: 'agent-pause', agentId: agent.id, paused: true, ...(reason ? { reason } : {}), source: source(ctx) })
  })
  live('agents.unpause', 'unpause', 'Resume after a pause', undefined, async (ctx, agent) => {
    await act(ctx, { type: 'agent-pause', agentId: agent.id, paused: false, source: source(ctx) })
  })
  live('agents.device', 'device', 'Choose the active device calls are delivered to', S.CHOOSE_DEVICE, async (ctx, agent) => {
    const index = (ctx.body as { index: number }).index
    if (index >= agent.devices.length) throw validation('index', `index: agent ${agent.extension} has ${agent.devices.length} device(s)`)
    ctx.store.agents.setActiveDevice(agent.id, index) // durable first
    await act(ctx, { type: 'agent-device', agentId: agent.id, deviceIndex: index, source: source(ctx) })
  })
  live('agents.endWrapUp', 'end-wrapup', 'End wrap-up now', undefined, async (ctx, agent) => {
    await act(ctx, { type: 'agent-end-wrapup', agentId: agent.id, source: source(ctx) })
  })

  // ── memberships ──
  add({
    id: 'memberships.list', method: 'GET', path: `${V1}/memberships`, tag: 'memberships', access: 'any',
    query: [Q_TENANT, { name: 'agent', schema: S.ID }, { name: 'queue', schema: S.ID }], summary: 'Queue memberships (who may log in where)',
    handler: (ctx) => {
      const filter = { agentId: ctx.query.agent as string | undefined, queueId: ctx.query.queue as string | undefined }
      if (ctx.account.role === 'agent') return listResult(ctx.store.memberships.list({ agentId: ctx.account.agentId! }).filter((m) => !filter.queueId || m.queueId === filter.queueId))
      const tenant = queryTenant(ctx)
      const inTenant = tenant === undefined ? undefined : new Set(ctx.store.queues.list(tenant).map((q) => q.id))
      return listResult(ctx.store.memberships.list(filter).filter((m) => !inTenant || inTenant.has(m.queueId)))
    },
  })
  const membershipScope = (ctx: Ctx): Scope => {
    const { agentId, queueId } = (ctx.body ?? ctx.params) as { agentId: string; queueId: string }
    const a = ctx.store.agents.find(agentId)
    const q = ctx.store.queues.find(queueId)
    if (!a) throw new ApiError(404, 'NOT_FOUND', `agent '${agentId}' not found`, 'agentId')
    if (!q) throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found`, 'queueId')
    if (a.tenantId !== q.tenantId) throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found in the agent's tenant`, 'queueId')
    return { tenantId: a.tenantId }
  }
  add({
    id: 'memberships.add', method: 'POST', path: `${V1}/memberships`, tag: 'memberships', access: 'admin', scope: membershipScope, body: S.MEMBERSHIP,
    summary: 'Grant an agent a queue (D2; this is what counts for the licence, T1)',
    handler: async (ctx) => {
      const { agentId, queueId } = ctx.body as { agentId: string; queueId: string }
      return { status: 201, body: await apply(ctx, 'create', 'membership', `${agentId}/${queueId}`, () => ctx.store.memberships.add(agentId, queueId, ctx.now)) }
    },
  })
  add({
    id: 'memberships.remove', method: 'DELETE', path: `${V1}/memberships/:agentId/:queueId`, tag: 'memberships', access: 'admin',
    scope: (ctx) => membershipScope({ ...ctx, body: undefined }), summary: 'Revoke a membership',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'membership', `${ctx.params.agentId}/${ctx.params.queueId}`, () => ctx.store.memberships.remove(ctx.params.agentId!, ctx.params.queueId!, ctx.now))
      return { status: 204 }
    },
  })

  // ── prompts ──
  const promptScope = (ctx: Ctx): Scope => {
    const p = need(findPrompt(ctx.store, ctx.params.promptId!), 'prompt', ctx.params.promptId!)
    return { tenantId: p.tenantId }
  }
  add({
    id: 'prompts.list', method: 'GET', path: `${V1}/prompts`, tag: 'prompts', access: 'any', query: [Q_TENANT], summary: 'Prompts replaced by the tenant',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      return listResult(ctx.store.prompts.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'prompts.upload', method: 'POST', path: `${V1}/prompts/upload`, tag: 'prompts', access: 'admin',
    scope: (ctx) => {
      const tenantId = (ctx.query.tenant as string | undefined) ?? ctx.account.tenantId ?? 'default'
      need(ctx.store.tenants.find(tenantId), 'tenant', tenantId)
      const queueId = ctx.query.queue as string | undefined
      if (queueId) {
        const q = ctx.store.queues.find(queueId)
        if (!q || q.tenantId !== tenantId) throw new ApiError(404, 'NOT_FOUND', `queue '${queueId}' not found`, 'queue')
      }
      return { tenantId }
    },
    query: [
      { name: 'name', schema: S.PROMPT_NAME, required: true, description: 'which prompt: welcome, queue-first, queue-periodic, closed, …' },
      { name: 'language', schema: S.LANGUAGE, required: true },
      Q_TENANT,
      { name: 'queue', schema: S.ID, description: 'only for this queue (default: every queue of the tenant)' },
    ],
    raw: { contentTypes: ['audio/*', 'application/octet-stream'], maxBytes: 50 * 1024 * 1024 },
    summary: 'Upload an audio file (any format sox reads) as a prompt; converted to 8 kHz mono 16-bit WAV and loudness-normalised',
    description: 'A bad or empty file is refused with 400 and the current prompt stays. When sox is not installed the answer is 500 SOX_MISSING.',
    handler: async (ctx) => {
      const tenantId = (ctx.query.tenant as string | undefined) ?? ctx.account.tenantId ?? 'default'
      const queueId = (ctx.query.queue as string | undefined) ?? null
      const name = ctx.query.name as string
      const language = ctx.query.language as string
      const path = await convertPrompt(ctx.raw ?? { path: '', size: 0 }, {
        soxPath: ctx.server.soxPath,
        dir: ctx.server.promptDir,
        baseName: `${tenantId}-${queueId ?? 'all'}-${language}-${name}`,
        contentType: ctx.req.headers['content-type'],
      })
      const { prompt, replacedPath } = await apply(ctx, 'upload', 'prompt', null, () => ctx.store.prompts.put({ tenantId, queueId, language: language as 'sv' | 'en', name, path }))
      if (replacedPath && replacedPath !== path) await rm(replacedPath, { force: true })
      return { status: 201, body: prompt }
    },
  })
  add({
    id: 'prompts.audio', method: 'GET', path: `${V1}/prompts/:promptId/audio`, tag: 'prompts', access: 'admin', scope: promptScope,
    summary: 'The prompt as WAV (to play it in the browser)', response: { status: 200, description: 'audio/wav', contentTypes: ['audio/wav'] },
    handler: async (ctx) => {
      const { readFile } = await import('node:fs/promises')
      const p = findPrompt(ctx.store, ctx.params.promptId!)!
      return { text: { contentType: 'audio/wav', data: await readFile(p.path) } }
    },
  })
  add({
    id: 'prompts.remove', method: 'DELETE', path: `${V1}/prompts/:promptId`, tag: 'prompts', access: 'admin', scope: promptScope, summary: 'Go back to the default prompt',
    handler: async (ctx) => {
      const path = await apply(ctx, 'remove', 'prompt', ctx.params.promptId!, () => ctx.store.prompts.remove(ctx.params.promptId!))
      await rm(path, { force: true })
      return { status: 204 }
    },
  })

  // ── accounts and tokens ──
  const accountScope = (ctx: Ctx): Scope => {
    const a = need(ctx.store.accounts.find(ctx.params.accountId!), 'account', ctx.params.accountId!)
    return { tenantId: a.tenantId, agentId: a.agentId ?? undefined }
  }
  add({
    id: 'accounts.list', method: 'GET', path: `${V1}/accounts`, tag: 'accounts', access: 'any', query: [Q_TENANT], summary: 'Accounts (tenant admins: their tenant\'s)',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') return listResult([publicAccount(ctx.account)])
      const tenant = queryTenant(ctx)
      return listResult(ctx.store.accounts.list(tenant).map(publicAccount))
    },
  })
  add({
    id: 'accounts.create', method: 'POST', path: `${V1}/accounts`, tag: 'accounts', access: 'any', body: S.ACCOUNT_CREATE,
    summary: 'Create an account (operators: any role; tenant admins: tenant-admin or agent accounts of their tenant)',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const b = ctx.body as { username: string; password: string; role: Role; tenantId?: string | null; agentId?: string | null }
      const tenantId = b.role === 'operator' ? (b.tenantId ?? null) : (b.tenantId ?? ctx.account.tenantId ?? null)
      checkAccountGrant(ctx, b.role, tenantId, b.agentId ?? null)
      if (ctx.store.accounts.getByUsername(b.username)) throw conflict(`username '${b.username}' is taken`, 'username')
      const created = ctx.store.accounts.create({ username: b.username, role: b.role, tenantId, agentId: b.agentId ?? null, password: b.password })
      ctx.store.audit.record({ actor: ctx.actor, tenantId, action: 'create', entity: 'account', entityId: created.id, detail: { username: created.username, role: created.role } })
      return { status: 201, body: publicAccount(created) }
    },
  })
  add({
    id: 'accounts.get', method: 'GET', path: `${V1}/accounts/:accountId`, tag: 'accounts', access: 'self', scope: accountScope, summary: 'An account',
    handler: (ctx) => ({ body: publicAccount(ctx.store.accounts.find(ctx.params.accountId!)!) }),
  })
  add({
    id: 'accounts.update', method: 'PATCH', path: `${V1}/accounts/:accountId`, tag: 'accounts', access: 'self', scope: accountScope, body: S.ACCOUNT_PATCH,
    summary: 'Change the password',
    handler: async (ctx) => {
      const target = ctx.store.accounts.find(ctx.params.accountId!)!
      if (target.role === 'operator' && ctx.account.role !== 'operator') throw forbidden()
      const b = ctx.body as { password?: string }
      if (b.password) ctx.store.accounts.setPassword(target.id, b.password)
      return { body: publicAccount(ctx.store.accounts.get(target.id)) }
    },
  })
  add({
    id: 'accounts.remove', method: 'DELETE', path: `${V1}/accounts/:accountId`, tag: 'accounts', access: 'admin', scope: accountScope, summary: 'Remove an account',
    handler: async (ctx) => {
      if (ctx.params.accountId === ctx.account.id) throw conflict('an account cannot remove itself')
      ctx.store.accounts.remove(ctx.params.accountId!)
      ctx.store.audit.record({ actor: ctx.actor, tenantId: ctx.account.tenantId, action: 'remove', entity: 'account', entityId: ctx.params.accountId! })
      return { status: 204 }
    },
  })
  const tokenScope = (ctx: Ctx): Scope => {
    const t = need(findToken(ctx.store, ctx.params.tokenId!), 'token', ctx.params.tokenId!)
    const owner = need(ctx.store.accounts.find(t.accountId), 'token', ctx.params.tokenId!)
    if (ctx.account.role !== 'operator' && owner.id !== ctx.account.id) throw notFound('token', t.id)
    return { tenantId: owner.tenantId, agentId: owner.agentId ?? undefined }
  }
  add({
    id: 'tokens.list', method: 'GET', path: `${V1}/tokens`, tag: 'accounts', access: 'any', summary: 'API tokens of the calling account (operators: all)',
    handler: (ctx) => {
      const owners = ctx.account.role === 'operator' ? ctx.store.accounts.list() : [ctx.account]
      return listResult(owners.flatMap((a) => ctx.store.accounts.listTokens(a.id).map((t) => ({ ...t, accountId: a.id, username: a.username }))))
    },
  })
  add({
    id: 'tokens.create', method: 'POST', path: `${V1}/tokens`, tag: 'accounts', access: 'any', body: S.TOKEN_CREATE,
    summary: 'Create an API token for the calling account; the secret is shown once (only its SHA-256 is stored)',
    handler: async (ctx) => {
      const b = ctx.body as { name: string; expiresInDays?: number }
      const { id, token } = ctx.store.accounts.createToken(ctx.account.id, b.name, b.expiresInDays ? ctx.now + b.expiresInDays * DAY : null)
      return { status: 201, body: { id, name: b.name, accountId: ctx.account.id, token } }
    },
  })
  add({
    id: 'tokens.remove', method: 'DELETE', path: `${V1}/tokens/:tokenId`, tag: 'accounts', access: 'self', scope: tokenScope, summary: 'Revoke an API token',
    handler: async (ctx) => {
      ctx.store.accounts.revokeToken(ctx.params.tokenId!)
      return { status: 204 }
    },
  })

  // ── live view ──
  add({
    id: 'status.get', method: 'GET', path: `${V1}/status`, tag: 'status', access: 'any', summary: "The engine's status now (agents: their queues and themselves)",
    handler: (ctx) => ({ body: statusWithOpenState(ctx, filterStatus(ctx.live.status(), ctx, agentQueueIds)) }),
  })
  add({
    id: 'events.stream', method: 'GET', path: `${V1}/events`, tag: 'status', access: 'any',
    summary: 'Server-sent events: a `status` event with the status snapshot at once and after every change',
    response: { status: 200, description: 'text/event-stream', contentTypes: ['text/event-stream'] },
    handler: (ctx) => {
      openSse(ctx, () => filterStatus(ctx.live.status(), ctx, agentQueueIds))
      return { streamed: true }
    },
  })
  add({
    id: 'calls.list', method: 'GET', path: `${V1}/calls`, tag: 'statistics', access: 'any',
    query: [Q_TENANT, { name: 'queue', schema: S.ID }, { name: 'limit', schema: int(1, 1000), description: 'default 50' }, Q_FORMAT],
    summary: 'Recent call records, newest first (agents: their own calls)',
    handler: (ctx) => {
      const limit = (ctx.query.limit as number | undefined) ?? 50
      const queueId = ctx.query.queue as string | undefined
      if (queueId) {
        const q = ctx.store.queues.find(queueId)
        if (!q || (ctx.account.role !== 'operator' && q.tenantId !== ctx.account.tenantId)) throw notFound('queue', queueId)
      }
      const rows =
        ctx.account.role === 'agent'
          ? ctx.store.calls.list({ tenantId: ctx.account.tenantId!, agentId: ctx.account.agentId!, queueId, limit })
          : ctx.store.calls.list({ tenantId: queryTenant(ctx), queueId, limit })
      if (ctx.query.format === 'csv') {
        const zone = queueZones(ctx.store)
        return csvOrJson(ctx, rows.map((r) => ({ ...r, arrivedAt: isoInZone(r.arrivedAt, zone(r.queueId)), enteredQueueAt: isoInZone(r.enteredQueueAt, zone(r.queueId)), answeredAt: isoInZone(r.answeredAt, zone(r.queueId)), endedAt: isoInZone(r.endedAt, zone(r.queueId)) })), 'calls.csv')
      }
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'calls.csv')
    },
  })
  const statsQueue = (ctx: Ctx): string | undefined => {
    const queueId = ctx.query.queue as string | undefined
    if (!queueId) return undefined
    const q = ctx.store.queues.find(queueId)
    if (!q || (ctx.account.role !== 'operator' && q.tenantId !== ctx.account.tenantId)) throw notFound('queue', queueId)
    return queueId
  }
  add({
    id: 'stats.queues', method: 'GET', path: `${V1}/stats/queues`, tag: 'statistics', access: 'any',
    query: [Q_TENANT, { name: 'queue', schema: S.ID }, Q_FROM, Q_TO, { name: 'by', schema: str({ enum: ['day', 'hour', 'total'] }), description: 'bucket (default day)' }, { name: 'sl', schema: int(1, 3600), description: 'service-level threshold seconds (default 20)' }, Q_FORMAT],
    summary: 'Per queue per day or hour: offered, answered, abandoned, service level, average and 90th-percentile wait, average talk',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const { from, to } = range(ctx, 7)
      const tenantId = queryTenant(ctx)
      const queueId = statsQueue(ctx)
      // Each queue's days and hours are those of its own zone (its schedule's, else the default); one query per zone.
      const zone = queueZones(ctx.store)
      const zones = new Set(ctx.store.queues.list(tenantId).filter((q) => !queueId || q.id === queueId).map((q) => zone(q.id)))
      if (zones.size === 0) zones.add(DEFAULT_TIME_ZONE)
      const rows = [...zones].flatMap((timeZone) =>
        ctx.store.report
          .queueStats({ tenantId, queueId, since: from, until: to, bucket: (ctx.query.by as 'day' | 'hour' | 'total' | undefined) ?? 'day', serviceLevelSec: (ctx.query.sl as number | undefined) ?? 20, timeZone })
          .filter((r) => zones.size === 1 || zone(r.queueId) === timeZone)
          .map((r) => ({ ...r, timeZone })),
      )
      if (zones.size > 1) rows.sort((a, b) => (a.queueId < b.queueId ? -1 : a.queueId > b.queueId ? 1 : a.bucket < b.bucket ? -1 : a.bucket > b.bucket ? 1 : 0))
      if (ctx.query.format === 'csv') return csvOrJson(ctx, rows.map(({ abandonedCallers, outcomes, ...r }) => ({ ...r, abandonedCallers: abandonedCallers.map((c) => c.callerNumber).join(' ') })), 'queue-stats.csv')
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'queue-stats.csv')
    },
  })
  add({
    id: 'stats.agents', method: 'GET', path: `${V1}/stats/agents`, tag: 'statistics', access: 'any', query: [Q_TENANT, Q_FROM, Q_TO, Q_FORMAT],
    summary: 'Per agent: answered, missed, talk time, wrap-up time (agents: their own row)',
    handler: (ctx) => {
      const { from, to } = range(ctx, 7)
      const rows =
        ctx.account.role === 'agent'
          ? ctx.store.report.agentStats({ tenantId: ctx.account.tenantId!, agentId: ctx.account.agentId!, since: from, until: to })
          : ctx.store.report.agentStats({ tenantId: queryTenant(ctx), since: from, until: to })
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], 'agent-stats.csv')
    },
  })
  add({
    id: 'stats.ewt', method: 'GET', path: `${V1}/queues/:queueId/stats/ewt`, tag: 'statistics', access: 'admin', scope: queueScope, query: [Q_FROM, Q_TO],
    summary: 'Accuracy of the announced wait estimates against the actual waits',
    handler: (ctx) => {
      const { from, to } = range(ctx, 30)
      return { body: { queueId: ctx.params.queueId!, since: from, until: to, ...ctx.store.report.ewtAccuracy({ queueId: ctx.params.queueId!, since: from, until: to }) } }
    },
  })
  add({
    id: 'reports.licences', method: 'GET', path: `${V1}/reports/licences`, tag: 'statistics', access: 'any',
    query: [{ name: 'month', schema: str({ pattern: '^\\d{4}-(0[1-9]|1[0-2])$' }), required: true, description: 'YYYY-MM' }, Q_TENANT, Q_FORMAT],
    summary: 'Users who held a licence in the month (member of at least one queue at any time in it; one per user)',
    handler: (ctx) => {
      if (ctx.account.role === 'agent') throw forbidden()
      const rows = ctx.store.report.licences(ctx.query.month as string, queryTenant(ctx))
      if (ctx.query.format === 'csv') return csvOrJson(ctx, rows.map((r) => ({ ...r, firstMemberAt: isoInZone(r.firstMemberAt, DEFAULT_REPORT_TIME_ZONE) })), `licences-${ctx.query.month as string}.csv`)
      return csvOrJson(ctx, rows as unknown as Record<string, unknown>[], `licences-${ctx.query.month as string}.csv`)
    },
  })

  return routes
}

export type { Queue }
