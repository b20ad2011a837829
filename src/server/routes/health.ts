/** Liveness and readiness for orchestrators. */
import type { FastifyInstance } from 'fastify'
import { STORE_RETRY_AFTER_SECONDS } from '../../adapters/http-error.js'
import type { ServiceContext } from '../context.js'

export async function healthRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  // The process answers: nothing else is checked, so a store outage never restarts it.
  app.get('/healthz', async () => ({ status: 'ok' }))

  // Ready when the store answers a read that every verify may need, and (a store that can tell,
  // like a Redis Cluster) can serve every call: every slot has a reachable master.
  app.get('/readyz', async (_request, reply) => {
    try {
      await context.auth.checkStore()
      return { status: 'ready' }
    } catch {
      return reply
        .code(503)
        .header('retry-after', String(STORE_RETRY_AFTER_SECONDS))
        .send({ status: 'unavailable' })
    }
  })
}
