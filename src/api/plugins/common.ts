/** Helpers the route plugins share: scopes, instants, schedules, warnings, the apply-and-reload step. */
import { queueNumberWarnings } from '../../doctor/vanilla-dialplan.js'
import { QUEUE_PLANS, type Agent } from '../../core/model.js'
import {
  explain as explainSchedule,
  ruleOccurrence,
  scheduleIssues,
  stateAt,
  transitions as scheduleTransitions,
} from '../../core/schedule/index.js'
import { DEFAULT_TIME_ZONE, type Closure, type HolidayCalendar, type Schedule } from '../../core/schedule/types.js'
import { type Account, type ClosureScope, type PromptRecord, type Role, type Store } from '../../store/index.js'
import { placeholderDomainWarning } from '../../store/index.js'
import { ApiError, forbidden, notFound, validation } from '../errors.js'
import type { Ctx, Result, Scope } from '../router.js'
import * as S from '../schemas.js'
import { toCsv } from '../csv.js'
import { parseIsoInZone } from '../../util/local-time.js'
import type { StatusSnapshot } from '../live.js'
import { str } from '../validate.js'

export const V1 = '/api/v1'

// ── helpers ──

export function need<T>(value: T | undefined, what: string, id: string): T {
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

export const queueScope = async (ctx: Ctx): Promise<Scope> => {
  const q = need(await ctx.store.queues.find(ctx.params.queueId), 'queue', ctx.params.queueId)
  return { tenantId: q.tenantId, queueId: q.id }
}
export const agentScope = async (ctx: Ctx): Promise<Scope> => {
  const a = need(await ctx.store.agents.find(ctx.params.agentId), 'agent', ctx.params.agentId)
  return { tenantId: a.tenantId, agentId: a.id }
}
export const tenantScope = async (ctx: Ctx): Promise<Scope> => {
  const t = need(await ctx.store.tenants.find(ctx.params.tenantId), 'tenant', ctx.params.tenantId)
  return { tenantId: t.id }
}
/** A create request's tenant: body.tenantId, or the caller's own tenant when omitted. */
export const bodyTenantScope = async (ctx: Ctx): Promise<Scope> => {
  const body = (ctx.body ?? {}) as { tenantId?: string }
  const tenantId = body.tenantId ?? ctx.account.tenantId ?? 'default'
  need(await ctx.store.tenants.find(tenantId), 'tenant', tenantId)
  return { tenantId }
}
/** Tenant named in the query (?tenant=), or the caller's own. */
export function queryTenant(ctx: Ctx): string | undefined {
  const q = ctx.query.tenant as string | undefined
  if (ctx.account.role === 'operator') return q
  if (q !== undefined && q !== ctx.account.tenantId) throw notFound('tenant', q)
  return ctx.account.tenantId ?? undefined
}
/** Queue ids an agent account may see (its memberships). */
export async function agentQueueIds(ctx: Ctx): Promise<string[]> {
  if (!ctx.account.agentId) return []
  return (await ctx.store.memberships.list({ agentId: ctx.account.agentId })).map((m) => m.queueId)
}

export function listResult<T>(items: T[]): Result {
  return { body: { items } }
}

export function csvOrJson(ctx: Ctx, rows: Record<string, unknown>[], filename: string): Result {
  if (ctx.query.format === 'csv')
    return { text: { contentType: 'text/csv; charset=utf-8', data: toCsv(rows), filename } }
  return listResult(rows)
}

export function publicAccount(a: Account): Account {
  return {
    id: a.id,
    username: a.username,
    role: a.role,
    tenantId: a.tenantId,
    agentId: a.agentId,
    createdAt: a.createdAt,
    updatedAt: a.updatedAt,
  }
}

/** The plan gate (SPEC T4), checked before the engine is asked. */
export function requireQueuePlan(agent: Agent): void {
  if (!QUEUE_PLANS.includes(agent.plan)) {
    throw new ApiError(
      403,
      'PLAN',
      `agent ${agent.extension} is on the ${agent.plan} plan; only Pro, Business or Enterprise users may log in to queues`,
      'plan',
    )
  }
}

export async function checkQueueIdsOfAgent(ctx: Ctx, agent: Agent, queueIds: string[] | undefined): Promise<void> {
  if (!queueIds) return
  const member = new Set((await ctx.store.memberships.list({ agentId: agent.id })).map((m) => m.queueId))
  for (const [i, id] of queueIds.entries()) {
    const q = await ctx.store.queues.find(id)
    if (!q || q.tenantId !== agent.tenantId)
      throw new ApiError(404, 'NOT_FOUND', `queue '${id}' not found`, `queueIds[${i}]`)
    if (!member.has(id))
      throw new ApiError(
        409,
        'CONFLICT',
        `agent ${agent.extension} is not a member of queue ${q.number}`,
        `queueIds[${i}]`,
      )
  }
}

/** Validate a whole schedule with the evaluator's own checks; the error names the field ('schedule.rules[0].rrule'). */
export function validateSchedule(schedule: Schedule | null): void {
  if (!schedule) return
  const issue = scheduleIssues(schedule)[0]
  if (issue) throw validation(`schedule.${issue.field}`, `schedule.${issue.field}: ${issue.problem}`)
  const ids = new Set<string>()
  schedule.rules.forEach((r, i) => {
    if (ids.has(r.id))
      throw validation(`schedule.rules[${i}].id`, `schedule.rules[${i}].id: duplicate rule id '${r.id}'`)
    ids.add(r.id)
  })
}

let ruleSeq = 0
export function newRuleId(): string {
  return `r${Date.now().toString(36)}${(ruleSeq++).toString(36)}`
}

/** Resolve a closure's scope (list, tag or all of a tenant) into queue ids of that tenant. */
export async function resolveClosureScope(
  ctx: Ctx,
  tenantId: string,
  body: { queueIds?: string[]; tag?: string; all?: boolean },
): Promise<{ scope: ClosureScope; queueIds: string[] }> {
  const chosen = [body.queueIds !== undefined, body.tag !== undefined, body.all === true].filter(Boolean).length
  if (chosen !== 1) throw validation('queueIds', 'give exactly one of queueIds, tag or all=true')
  const queues = await ctx.store.queues.list(tenantId)
  if (body.queueIds) {
    if (body.queueIds.length === 0) throw validation('queueIds', 'queueIds: must not be empty')
    body.queueIds.forEach((id, i) => {
      if (!queues.some((q) => q.id === id))
        throw new ApiError(404, 'NOT_FOUND', `queue '${id}' not found`, `queueIds[${i}]`)
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
export async function checkAccountGrant(
  ctx: Ctx,
  role: Role,
  tenantId: string | null,
  agentId: string | null,
): Promise<void> {
  const me = ctx.account
  if (role === 'operator') {
    if (me.role !== 'operator') throw forbidden('only operators can create operator accounts')
    if (tenantId || agentId) throw validation('tenantId', 'tenantId: an operator account belongs to no tenant')
    return
  }
  if (!tenantId) throw validation('tenantId', `tenantId: is required for role ${role}`)
  if (me.role !== 'operator' && tenantId !== me.tenantId) throw notFound('tenant', tenantId)
  need(await ctx.store.tenants.find(tenantId), 'tenant', tenantId)
  if (role === 'agent') {
    if (!agentId) throw validation('agentId', 'agentId: is required for role agent')
    const agent = await ctx.store.agents.find(agentId)
    if (!agent || agent.tenantId !== tenantId)
      throw new ApiError(404, 'NOT_FOUND', `agent '${agentId}' not found`, 'agentId')
  } else if (agentId) {
    throw validation('agentId', 'agentId: only agent accounts are tied to an agent')
  }
}

/**
 * Apply an operator change: write it to the store together with its audit row (one transaction: durable), then
 * have the running daemon reload its configuration — both before the response is sent. `write` gets the
 * repositories of that transaction and must use them (not ctx.store: another connection, or, on SQLite, a wait for
 * this very transaction).
 */
export async function apply<T>(
  ctx: Ctx,
  action: string,
  entity: string,
  entityId: string | null,
  write: (s: Store) => Promise<T>,
): Promise<T> {
  const result = await ctx.store.tx(async (s) => {
    const r = await write(s)
    const id = entityId ?? ((r as { id?: unknown } | undefined)?.id as string | undefined) ?? null
    const tenantId = ((r as { tenantId?: unknown } | undefined)?.tenantId as string | undefined) ?? ctx.account.tenantId
    await s.audit.record({
      at: ctx.now,
      actor: ctx.actor,
      tenantId,
      action,
      entity,
      entityId: id,
      detail: ctx.body ?? null,
    })
    return r
  })
  await ctx.live.reloadConfig()
  return result
}

/**
 * Warnings for a queue's (new) number: stock extensions of the vanilla dialplan, the shipped koplus.xml expression,
 * and — when the daemon can reach FreeSWITCH — a test call through the real dialplan (issue 15). Never blocks.
 */
export async function numberWarnings(ctx: Ctx, number: string): Promise<string[]> {
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
export async function applyClosure<T>(ctx: Ctx, action: string, write: (s: Store) => Promise<T>): Promise<T> {
  const r = await apply(ctx, action, 'closure', null, write)
  await ctx.live.dispatch({ type: 'reevaluate' })
  return r
}

/**
 * What validateSchedule cannot see alone: the calendars it names must exist and be the queue's tenant's or shared,
 * and every rule must occur at least once from today on (30 February never does).
 */
async function checkScheduleAgainst(ctx: Ctx, schedule: Schedule | null): Promise<void> {
  if (!schedule) return
  const tenantId = (await ctx.store.queues.get(ctx.params.queueId)).tenantId
  for (const [i, id] of schedule.calendarIds.entries()) {
    const c = await ctx.store.holidayCalendars.find(id)
    if (!c || (c.tenantId !== null && c.tenantId !== tenantId))
      throw validation(
        `schedule.calendarIds[${i}]`,
        `schedule.calendarIds[${i}]: no holiday calendar '${id}' in this tenant or shared`,
      )
  }
  schedule.rules.forEach((r, i) => {
    if (ruleOccurrence(r, schedule.timeZone, ctx.now) === 'never')
      throw validation(
        `schedule.rules[${i}].rrule`,
        `schedule.rules[${i}]: never occurs (no date from today on within 8 years matches it)`,
      )
  })
}

/** Warnings about a saved schedule: rules that ended, and a queue the schedule keeps closed for the next year. */
export async function scheduleWarnings(ctx: Ctx, schedule: Schedule | null): Promise<string[]> {
  if (!schedule || schedule.alwaysOpen) return []
  const out: string[] = []
  schedule.rules.forEach((r, i) => {
    if (ruleOccurrence(r, schedule.timeZone, ctx.now) === 'ended')
      out.push(`rules[${i}] (${r.label ?? r.id}) ended on ${r.until}; it opens or closes nothing any more`)
  })
  const ids = new Set(schedule.calendarIds)
  const calendars = (await ctx.store.holidayCalendars.list()).filter((c) => ids.has(c.id))
  const horizon = ctx.now + 366 * DAY
  if (
    !stateAt(schedule, calendars, [], ctx.params.queueId, ctx.now).open &&
    scheduleTransitions(schedule, calendars, [], ctx.params.queueId, ctx.now, horizon).length === 0
  ) {
    out.push(
      'the queue does not open at all in the next 366 days under this schedule: callers will only hear it is closed',
    )
  }
  return out
}

export async function setSchedule(ctx: Ctx, schedule: Schedule | null): Promise<Schedule | null> {
  validateSchedule(schedule)
  await checkScheduleAgainst(ctx, schedule)
  const q = await apply(ctx, 'update', 'schedule', ctx.params.queueId, (s) =>
    s.queues.update(ctx.params.queueId, { schedule }),
  )
  await ctx.live.dispatch({ type: 'reevaluate' })
  return q.schedule
}

/** queue id → the zone its times are shown in: its schedule's, else the default (a removed queue: the default). */
export async function queueZones(store: Store): Promise<(queueId: string) => string> {
  const m = new Map((await store.queues.list()).map((q) => [q.id, q.schedule?.timeZone ?? DEFAULT_TIME_ZONE]))
  return (id) => m.get(id) ?? DEFAULT_TIME_ZONE
}

/** The zone these queues share, else the default (as the CLI and the web pages choose it). */
function sharedZone(queues: readonly { schedule: Schedule | null }[]): string {
  const zones = new Set(queues.map((q) => q.schedule?.timeZone ?? DEFAULT_TIME_ZONE))
  return zones.size === 1 ? [...zones][0] : DEFAULT_TIME_ZONE
}

/** The inputs of the schedule evaluator for a queue: its schedule (none = always open), calendars and closures. */
export async function scheduleInputs(ctx: Ctx): Promise<{
  schedule: Schedule
  calendars: HolidayCalendar[]
  closures: Closure[]
  queueId: string
}> {
  const q = await ctx.store.queues.get(ctx.params.queueId)
  const schedule: Schedule = q.schedule ?? {
    timeZone: 'Europe/Stockholm',
    rules: [],
    calendarIds: [],
    alwaysOpen: true,
  }
  const ids = new Set(schedule.calendarIds)
  const calendars = (await ctx.store.holidayCalendars.list(q.tenantId)).filter((c) => ids.has(c.id))
  const closures = await ctx.store.closures.list(q.tenantId, 10_000)
  return { schedule, calendars, closures, queueId: q.id }
}

export async function explainQueue(ctx: Ctx, at: number): Promise<ReturnType<typeof explainSchedule>> {
  const i = await scheduleInputs(ctx)
  return explainSchedule(i.schedule, i.calendars, i.closures, i.queueId, at)
}

export async function queueTransitions(
  ctx: Ctx,
  from: number,
  to: number,
): Promise<ReturnType<typeof scheduleTransitions>> {
  const i = await scheduleInputs(ctx)
  return scheduleTransitions(i.schedule, i.calendars, i.closures, i.queueId, from, to)
}

/**
 * `GET /status` adds to the engine's snapshot what an operator must see first: per queue whether it is open now
 * and, when closed, why and until when (schedule, holiday or closure); and the daemon's FreeSWITCH connection
 * (`connected: false` means no call can be taken; operators also see the address and the last error), and the
 * store's health (`store.writes.state` 'degraded': writes are queued in memory while the store is unreachable).
 */
export async function statusWithOpenState(ctx: Ctx, snapshot: StatusSnapshot): Promise<StatusSnapshot> {
  const out = { ...snapshot } as Record<string, unknown>
  if (Array.isArray(out.queues)) {
    const queues: Record<string, unknown>[] = []
    for (const q of out.queues as Record<string, unknown>[]) {
      const queue = typeof q.queueId === 'string' ? await ctx.store.queues.find(q.queueId) : undefined
      if (!queue) {
        queues.push(q)
        continue
      }
      const e = await explainQueue({ ...ctx, params: { ...ctx.params, queueId: queue.id } }, ctx.now)
      queues.push({
        ...q,
        open: e.open,
        ...(e.open
          ? {}
          : {
              closedReason: e.reason,
              closedBy: e.decidedBy,
              ...(e.nextChange !== undefined ? { closedUntil: e.nextChange } : {}),
            }),
      })
    }
    out.queues = queues
  }
  const fs = ctx.live.freeswitch?.()
  if (fs) out.freeswitch = ctx.account.role === 'operator' ? fs : { connected: fs.connected }
  const lead = ctx.live.leadership?.()
  if (lead) out.leadership = lead
  // the store: operators see the write queue's figures and last error; others whether it is healthy
  const store = ctx.live.store?.()
  if (store)
    out.store =
      ctx.account.role === 'operator' ? store : { backend: store.backend, writes: { state: store.writes.state } }
  return out
}

export async function findPrompt(store: Store, id: string): Promise<PromptRecord | undefined> {
  return (await store.prompts.list()).find((p) => p.id === id)
}

export async function findToken(store: Store, id: string): Promise<{ id: string; accountId: string } | undefined> {
  for (const a of await store.accounts.list()) {
    if ((await store.accounts.listTokens(a.id)).some((t) => t.id === id)) return { id, accountId: a.id }
  }
  return undefined
}

export const DAY = 86_400_000

/** ?from=&to= as instants; default the last `defaultDays` days up to now. */
export async function range(ctx: Ctx, defaultDays: number): Promise<{ from: number; to: number }> {
  // a date-time without an offset: in the queue's zone (?queue= or the path's), else the zone the tenant's queues share
  const queueId = ctx.params.queueId ?? (ctx.query.queue as string | undefined)
  const zone = queueId
    ? (await queueZones(ctx.store))(queueId)
    : sharedZone(await ctx.store.queues.list(queryTenant(ctx)))
  const to = ctx.query.to !== undefined ? parseInstant('to', ctx.query.to, ctx.now, zone) : ctx.now
  const from =
    ctx.query.from !== undefined ? parseInstant('from', ctx.query.from, ctx.now, zone) : to - defaultDays * DAY
  if (from > to) throw validation('from', "from: is after 'to'")
  return { from, to }
}

// ── query parameters used by several routes ──
export const Q_TENANT = { name: 'tenant', schema: S.ID, description: 'tenant id (operators: any; others: their own)' }
export const Q_FORMAT = {
  name: 'format',
  schema: str({ enum: ['json', 'csv'] }),
  description: 'csv for a CSV download',
}
export const Q_FROM = {
  name: 'from',
  schema: str({ minLength: 1 }),
  description: "epoch ms or ISO 8601; without an offset in the queue's zone (default: 7 days ago)",
}
export const Q_TO = {
  name: 'to',
  schema: str({ minLength: 1 }),
  description: "epoch ms or ISO 8601; without an offset in the queue's zone (default: now)",
}

/** A tenant answer, with `warnings` when a tenant is left on the placeholder domain in a multi-tenant install. */
export async function withTenantWarnings<T extends object>(ctx: Ctx, tenant: T): Promise<T & { warnings?: string[] }> {
  const warning = placeholderDomainWarning(await ctx.store.tenants.usage())
  return warning ? { ...tenant, warnings: [warning] } : tenant
}
