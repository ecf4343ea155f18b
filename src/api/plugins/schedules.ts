/** Routes: schedules (part of the route table; see src/api/README.md). */
import { ruleIssues } from '../../core/schedule/rules.js'
import { type OpeningRule, type Schedule } from '../../core/schedule/types.js'
import { conflict, notFound, validation } from '../errors.js'
import * as S from '../schemas.js'
import { int, str } from '../validate.js'
import type { Route } from '../router.js'
import {
  DAY,
  V1,
  explainQueue,
  newRuleId,
  parseInstant,
  queueScope,
  queueTransitions,
  scheduleInputs,
  scheduleWarnings,
  setSchedule,
  validateSchedule,
} from './common.js'

export function schedulesRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'schedule.get',
    method: 'GET',
    path: `${V1}/queues/:queueId/schedule`,
    tag: 'schedules',
    access: 'member',
    scope: queueScope,
    summary: "The queue's opening schedule (null: always open)",
    handler: async (ctx) => ({ body: { schedule: (await ctx.store.queues.get(ctx.params.queueId)).schedule } }),
  })
  add({
    id: 'schedule.set',
    method: 'PUT',
    path: `${V1}/queues/:queueId/schedule`,
    tag: 'schedules',
    access: 'admin',
    scope: queueScope,
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
      const warnings = await scheduleWarnings(ctx, saved)
      return { body: { schedule: saved, ...(warnings.length ? { warnings } : {}) } }
    },
  })
  add({
    id: 'schedule.addRule',
    method: 'POST',
    path: `${V1}/queues/:queueId/schedule/rules`,
    tag: 'schedules',
    access: 'admin',
    scope: queueScope,
    body: S.RULE,
    summary: 'Add one opening rule',
    handler: async (ctx) => {
      const rule = { ...(ctx.body as OpeningRule) }
      rule.id ??= newRuleId()
      const issue = ruleIssues(rule, 'rule')[0]
      if (issue) {
        const field = issue.field.replace(/^rule\./, '')
        throw validation(field, `${field}: ${issue.problem}`)
      }
      const current = (await ctx.store.queues.get(ctx.params.queueId)).schedule ?? {
        timeZone: 'Europe/Stockholm',
        rules: [],
        calendarIds: [],
      }
      if (current.rules.some((r) => r.id === rule.id)) throw conflict(`rule '${rule.id}' exists`, 'id')
      const saved = await setSchedule(ctx, { ...current, rules: [...current.rules, rule] })
      const warnings = await scheduleWarnings(ctx, saved)
      return { status: 201, body: { rule, schedule: saved, ...(warnings.length ? { warnings } : {}) } }
    },
  })
  add({
    id: 'schedule.removeRule',
    method: 'DELETE',
    path: `${V1}/queues/:queueId/schedule/rules/:ruleId`,
    tag: 'schedules',
    access: 'admin',
    scope: queueScope,
    summary: 'Remove one opening rule',
    handler: async (ctx) => {
      const current = (await ctx.store.queues.get(ctx.params.queueId)).schedule
      if (!current || !current.rules.some((r) => r.id === ctx.params.ruleId)) throw notFound('rule', ctx.params.ruleId)
      await setSchedule(ctx, { ...current, rules: current.rules.filter((r) => r.id !== ctx.params.ruleId) })
      return { status: 204 }
    },
  })
  add({
    id: 'schedule.explain',
    method: 'GET',
    path: `${V1}/queues/:queueId/schedule/explain`,
    tag: 'schedules',
    access: 'member',
    scope: queueScope,
    query: [
      {
        name: 'at',
        schema: str({ minLength: 1 }),
        description: "instant (epoch ms or ISO 8601; without an offset in the queue's zone); default now",
      },
    ],
    summary: 'Open or closed at an instant, which rule decided, and when it next changes',
    handler: async (ctx) => {
      const timeZone = (await scheduleInputs(ctx)).schedule.timeZone
      const at = ctx.query.at !== undefined ? parseInstant('at', ctx.query.at, ctx.now, timeZone) : ctx.now
      // timeZone: the zone the reason's times of day are in (docs/api.md "Times and time zones")
      return { body: { at, ...(await explainQueue(ctx, at)), timeZone } }
    },
  })
  add({
    id: 'schedule.next',
    method: 'GET',
    path: `${V1}/queues/:queueId/schedule/next`,
    tag: 'schedules',
    access: 'member',
    scope: queueScope,
    query: [{ name: 'days', schema: int(1, 366), description: 'how many days ahead (default 14)' }],
    summary: 'The coming open/closed transitions',
    handler: async (ctx) => {
      const days = (ctx.query.days as number | undefined) ?? 14
      // timeZone: the zone of the times of day in the reasons, as for explain
      return {
        body: {
          items: await queueTransitions(ctx, ctx.now, ctx.now + days * DAY),
          timeZone: (await scheduleInputs(ctx)).schedule.timeZone,
        },
      }
    },
  })
  return routes
}
