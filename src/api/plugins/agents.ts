/** Routes: agents (part of the route table; see src/api/README.md). */
import { type Agent } from '../../core/model.js'
import { type AgentInput, type AgentPatch } from '../../store/index.js'
import { notFound, validation } from '../errors.js'
import * as S from '../schemas.js'
import { int } from '../validate.js'
import type { Route } from '../router.js'
import { Q_TENANT, V1, agentScope, apply, bodyTenantScope, listResult, queryTenant } from './common.js'

export function agentsRoutes(): Route[] {
  const routes: Route[] = []
  const add = (r: Route): void => {
    routes.push(r)
  }
  add({
    id: 'agents.list',
    method: 'GET',
    path: `${V1}/agents`,
    tag: 'agents',
    access: 'any',
    query: [Q_TENANT],
    summary: 'List agents (agents see themselves)',
    handler: async (ctx) => {
      if (ctx.account.role === 'agent')
        return listResult(
          (await ctx.store.agents.list(ctx.account.tenantId!)).filter((a) => a.id === ctx.account.agentId),
        )
      return listResult(await ctx.store.agents.list(queryTenant(ctx)))
    },
  })
  add({
    id: 'agents.create',
    method: 'POST',
    path: `${V1}/agents`,
    tag: 'agents',
    access: 'admin',
    scope: bodyTenantScope,
    body: S.AGENT_CREATE,
    summary: 'Create an agent',
    handler: async (ctx) => {
      const body = ctx.body as AgentInput
      if (body.devices && body.activeDevice !== undefined && body.activeDevice >= body.devices.length)
        throw validation('activeDevice', 'activeDevice: no such device')
      const tenantId = (await bodyTenantScope(ctx)).tenantId!
      return {
        status: 201,
        body: await apply(ctx, 'create', 'agent', null, (s) => s.agents.create({ ...body, tenantId })),
      }
    },
  })
  add({
    id: 'agents.get',
    method: 'GET',
    path: `${V1}/agents/:agentId`,
    tag: 'agents',
    access: 'self',
    scope: agentScope,
    summary: 'An agent',
    handler: async (ctx) => ({ body: await ctx.store.agents.find(ctx.params.agentId) }),
  })
  add({
    id: 'agents.update',
    method: 'PATCH',
    path: `${V1}/agents/:agentId`,
    tag: 'agents',
    access: 'admin',
    scope: agentScope,
    body: S.AGENT_PATCH,
    summary: 'Change an agent (devices, skills, plan, wrap-up override …)',
    handler: async (ctx) => {
      const body = ctx.body as Partial<Agent>
      const current = (await ctx.store.agents.find(ctx.params.agentId))!
      const devices = body.devices ?? current.devices
      const active = body.activeDevice ?? current.activeDevice
      if (devices.length > 0 && active >= devices.length)
        throw validation('activeDevice', 'activeDevice: no such device')
      return {
        body: await apply(ctx, 'update', 'agent', ctx.params.agentId, (s) =>
          s.agents.update(ctx.params.agentId, body as AgentPatch),
        ),
      }
    },
  })
  add({
    id: 'agents.remove',
    method: 'DELETE',
    path: `${V1}/agents/:agentId`,
    tag: 'agents',
    access: 'admin',
    scope: agentScope,
    summary: 'Remove an agent',
    handler: async (ctx) => {
      await apply(ctx, 'remove', 'agent', ctx.params.agentId, (s) => s.agents.remove(ctx.params.agentId, ctx.now))
      return { status: 204 }
    },
  })
  add({
    id: 'agents.setSkill',
    method: 'PUT',
    path: `${V1}/agents/:agentId/skills/:skill`,
    tag: 'agents',
    access: 'admin',
    scope: agentScope,
    body: { type: 'object', properties: { level: int(1, 10) }, required: ['level'], additionalProperties: false },
    summary: "Set one of an agent's skills",
    handler: async (ctx) => {
      if (!/^[A-Za-z0-9_.-]{1,64}$/.test(ctx.params.skill))
        throw validation('skill', 'skill: letters, digits, _ . - only')
      const a = (await ctx.store.agents.find(ctx.params.agentId))!
      const skills = { ...a.skills, [ctx.params.skill]: (ctx.body as { level: number }).level }
      return { body: await apply(ctx, 'update', 'agent', a.id, (s) => s.agents.update(a.id, { skills })) }
    },
  })
  add({
    id: 'agents.removeSkill',
    method: 'DELETE',
    path: `${V1}/agents/:agentId/skills/:skill`,
    tag: 'agents',
    access: 'admin',
    scope: agentScope,
    summary: 'Remove a skill',
    handler: async (ctx) => {
      const a = (await ctx.store.agents.find(ctx.params.agentId))!
      if (!(ctx.params.skill in a.skills)) throw notFound('skill', ctx.params.skill)
      const skills = { ...a.skills }
      delete skills[ctx.params.skill]
      return { body: await apply(ctx, 'update', 'agent', a.id, (s) => s.agents.update(a.id, { skills })) }
    },
  })
  return routes
}
