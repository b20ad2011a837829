/**
 * The admin API, registered only when ADMIN_TOKEN is set: revoke a user or everything, rotate
 * keys, list a user's sessions, see and clear login locks. The token is compared in constant
 * time, and an address that presents wrong tokens too often is answered 429 for a while.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { readBearerHeader } from '../../adapters/bearer.js'
import { bearerChallenge } from '../../adapters/http-error.js'
import { safeEqual } from '../client-auth.js'
import type { ServiceContext } from '../context.js'
import { acceptJsonOnly } from '../form.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
import { sendError } from '../http.js'
import { sessionJson } from '../../service/session-json.js'
import { normalizeUsername } from '../../service/users/directory.js'

const reasonBody = {
  type: 'object',
  additionalProperties: false,
  properties: { reason: { type: 'string', minLength: 1, maxLength: 256 } },
}
const subParams = {
  type: 'object',
  required: ['sub'],
  additionalProperties: false,
  properties: { sub: { type: 'string', minLength: 1, maxLength: 256 } },
}

const usernameParams = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 } },
}

interface ReasonBody {
  reason?: string
}

/**
 * The admin API's gate, for each scope that serves admin routes: JSON only, the admin token
 * (constant time, throttled per address), and an absent body taken as `{}`.
 */
export function registerAdminGuard(app: FastifyInstance, context: ServiceContext): void {
  const { guard } = context
  const adminToken = context.config.adminToken
  if (adminToken === undefined) throw new Error('the admin API needs ADMIN_TOKEN')
  acceptJsonOnly(app)

  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const wait = await guard.credentialWait('admin', request.ip)
    if (wait > 0) return sendTooManyAttempts(reply, wait)
    const header = readBearerHeader(request.headers.authorization)
    if (header.kind !== 'token' || !safeEqual(header.token, adminToken)) {
      if (header.kind !== 'absent') await guard.credentialFailed('admin', request.ip)
      const fields: Record<string, string> =
        header.kind === 'absent' ? {} : { error: 'invalid_token' }
      await sendError(reply, 401, 'invalid_token', 'admin token required', {
        'www-authenticate': bearerChallenge(fields, 'admin'),
      })
    }
  })

  // The body is optional (curl -X POST sends none); an absent one validates as {}.
  app.addHook('preValidation', async (request) => {
    if (request.body === undefined || request.body === null) request.body = {}
  })
}

export async function adminRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  const { auth, guard } = context
  if (context.config.adminToken === undefined) return
  registerAdminGuard(app, context)

  app.post<{ Params: { sub: string }; Body: ReasonBody }>(
    '/admin/users/:sub/revoke',
    { schema: { params: subParams, body: reasonBody } },
    async (request, reply) => {
      await auth.revokeUser(request.params.sub, {
        actor: 'admin',
        reason: request.body.reason ?? 'admin revocation',
      })
      return reply.code(204).send()
    },
  )

  app.post<{ Body: ReasonBody }>(
    '/admin/revoke-all',
    { schema: { body: reasonBody } },
    async (request, reply) => {
      await auth.revokeAll({ actor: 'admin', reason: request.body.reason ?? 'admin revoke-all' })
      return reply.code(204).send()
    },
  )

  app.post('/admin/keys/rotate', async () => {
    const kid = await auth.rotateKeys()
    return { kid }
  })

  app.get<{ Params: { sub: string } }>(
    '/admin/users/:sub/sessions',
    { schema: { params: subParams } },
    async (request) => {
      const sessions = await auth.listSessions(request.params.sub)
      return { sessions: sessions.map(sessionJson) }
    },
  )

  app.get<{ Params: { username: string } }>(
    '/admin/login-locks/:username',
    { schema: { params: usernameParams } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      return guard.describeLogin(normalizeUsername(request.params.username))
    },
  )

  app.delete<{ Params: { username: string } }>(
    '/admin/login-locks/:username',
    { schema: { params: usernameParams } },
    async (request, reply) => {
      await guard.clearLogin(normalizeUsername(request.params.username))
      return reply.code(204).send()
    },
  )
}
