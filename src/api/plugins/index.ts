/** The route plugins, one per resource; each returns its part of the route table. */
import { buildRoutes } from '../routes.js'
import type { Route } from '../router.js'

export const ROUTE_PLUGINS: readonly (() => Route[])[] = [buildRoutes]
