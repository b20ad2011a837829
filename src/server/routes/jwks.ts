/** The public keys, for any verifier (`jose.createRemoteJWKSet`, other languages). */
import type { FastifyInstance } from 'fastify'
import type { ServiceContext } from '../context.js'

export async function jwksRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  app.get('/.well-known/jwks.json', async (_request, reply) => {
    // Short: a rotation should reach verifiers quickly (they also refetch on an unknown kid).
    reply.header('cache-control', 'public, max-age=60')
    return context.auth.jwks()
  })
}
