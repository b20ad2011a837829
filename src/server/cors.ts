/**
 * CORS for browser apps on another origin (an SPA beside the service): the origins of
 * ALLOWED_ORIGINS, compared exactly, with credentials (the refresh cookie). Any other origin gets
 * no CORS headers, so the browser keeps the answer from its page. Preflights (OPTIONS with
 * Access-Control-Request-Method) are answered here for every path, before routing.
 */
import type { FastifyInstance } from 'fastify'
import type { ServerConfig } from '../service/config.js'
import { CSRF_HEADER } from './cookies.js'
import { sendError } from './http.js'

const ALLOW_METHODS = 'GET, POST, DELETE'
const ALLOW_HEADERS = `authorization, content-type, ${CSRF_HEADER}`
// An SPA reads why a token was refused, and when to retry.
const EXPOSE_HEADERS = 'www-authenticate, retry-after'
const PREFLIGHT_MAX_AGE = '600'

/**
 * Adds the CORS answer to every request from an allowed origin.
 *
 * @example
 * registerCors(app, config)
 */
export function registerCors(app: FastifyInstance, config: ServerConfig): void {
  app.addHook('onRequest', async (request, reply) => {
    const origin = request.headers.origin
    if (origin === undefined) return
    // The answer depends on the Origin: caches must keep one per origin.
    reply.header('vary', 'Origin')
    const allowed = config.allowedOrigins.includes(origin)
    if (allowed) {
      reply.headers({
        'access-control-allow-origin': origin,
        'access-control-allow-credentials': 'true',
        'access-control-expose-headers': EXPOSE_HEADERS,
      })
    }
    const preflight =
      request.method === 'OPTIONS' && request.headers['access-control-request-method'] !== undefined
    if (!preflight) return
    if (!allowed) return sendError(reply, 403, 'access_denied', 'the Origin is not allowed')
    return reply
      .code(204)
      .headers({
        'access-control-allow-methods': ALLOW_METHODS,
        'access-control-allow-headers': ALLOW_HEADERS,
        'access-control-max-age': PREFLIGHT_MAX_AGE,
      })
      .send()
  })
}
