/** Prometheus exposition. Keep it off the public internet (it is not authenticated). */
import type { FastifyInstance } from 'fastify'
import type { ServiceContext } from '../context.js'

export async function metricsRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const registry = context.metrics.registry
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', registry.contentType)
    return registry.metrics()
  })
}
