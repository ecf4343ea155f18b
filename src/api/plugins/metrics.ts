/** GET /metrics: Prometheus metrics (404 when not enabled; the bearer token of api.metricsTokenFile when set). */
import type { FastifyPluginAsync } from 'fastify'
import { ApiError } from '../errors.js'
import { safeEqual } from '../auth.js'
import type { KoplusMetrics } from '../metrics.js'

export const metricsPlugin: FastifyPluginAsync<{ metrics?: KoplusMetrics; token?: string }> = async (app, opts) => {
  app.get('/metrics', async (request, reply) => {
    if (!opts.metrics) throw new ApiError(404, 'NOT_FOUND', 'metrics are not enabled')
    if (opts.token !== undefined) {
      const auth = request.headers.authorization ?? ''
      const given = auth.startsWith('Bearer ') ? auth.slice(7).trim() : ''
      if (!given || !safeEqual(given, opts.token)) {
        reply.header('www-authenticate', 'Bearer realm="koplus metrics"')
        throw new ApiError(401, 'UNAUTHENTICATED', 'metrics need the bearer token of api.metricsTokenFile')
      }
    }
    const m = await opts.metrics.render()
    return reply.code(200).header('content-type', m.contentType).send(m.body)
  })
}
Object.assign(metricsPlugin, { [Symbol.for('fastify.display-name')]: 'koplus-metrics' })
