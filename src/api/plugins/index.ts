/**
 * The route plugins, one per resource: each returns its part of the route table, which server.ts registers as
 * one Fastify plugin (its own encapsulated scope).
 */
import type { Route } from '../router.js'
import { authRoutes } from './auth.js'
import { tenantsRoutes } from './tenants.js'
import { queuesRoutes } from './queues.js'
import { schedulesRoutes } from './schedules.js'
import { calendarsRoutes } from './calendars.js'
import { closuresRoutes } from './closures.js'
import { agentsRoutes } from './agents.js'
import { agentActionsRoutes } from './agent-actions.js'
import { membershipsRoutes } from './memberships.js'
import { promptsRoutes } from './prompts.js'
import { accountsRoutes } from './accounts.js'
import { statusRoutes } from './status.js'
import { reportsRoutes } from './reports.js'
import { callbacksRoutes } from './callbacks.js'

export const ROUTE_PLUGINS: readonly (() => Route[])[] = [
  authRoutes,
  tenantsRoutes,
  queuesRoutes,
  schedulesRoutes,
  calendarsRoutes,
  closuresRoutes,
  agentsRoutes,
  agentActionsRoutes,
  membershipsRoutes,
  promptsRoutes,
  accountsRoutes,
  statusRoutes,
  reportsRoutes,
  callbacksRoutes,
]

/** The whole route table (every plugin's routes). */
export function buildRoutes(): Route[] {
  return ROUTE_PLUGINS.flatMap((plugin) => plugin())
}
