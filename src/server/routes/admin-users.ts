/**
 * The admin's user lifecycle (issue 15), behind the admin token like the rest of the admin API:
 * look a user up (by sub or username), suspend and reinstate, delete, and set the claims merged
 * into the user's new access tokens. The library enforces each on every instance; the user
 * directory keeps the username, the password and the claims.
 */
import type { FastifyInstance, FastifyReply } from 'fastify'
import type { ServiceContext } from '../context.js'
import { sendError } from '../http.js'
import {
  normalizeUsername,
  type UserClaims,
  type UserRecord,
} from '../../service/users/directory.js'
import { claimsProblem, describeUser, parseSuspensionEnd } from '../../service/users/lifecycle.js'
import { deleteAccount } from './account.js'
import { registerAdminGuard } from './admin.js'

const subParams = {
  type: 'object',
  required: ['sub'],
  additionalProperties: false,
  properties: { sub: { type: 'string', minLength: 1, maxLength: 256 } },
}
const REASON = { type: 'string', minLength: 1, maxLength: 256 }

const suspendBody = {
  type: 'object',
  additionalProperties: false,
  properties: { until: { type: 'string', minLength: 1, maxLength: 64 }, reason: REASON },
}
const reasonBody = { type: 'object', additionalProperties: false, properties: { reason: REASON } }
const lookupQuery = {
  type: 'object',
  required: ['username'],
  additionalProperties: false,
  properties: { username: { type: 'string', minLength: 1, maxLength: 64 } },
}
/** Claims: a JSON object (its names and size are checked by claimsProblem). */
const claimsBody = { type: 'object' }

export async function adminUserRoutes(
  app: FastifyInstance,
  context: ServiceContext,
): Promise<void> {
  const { auth, users } = context
  if (context.config.adminToken === undefined) return
  registerAdminGuard(app, context)

  const view = (user: UserRecord) => describeUser(context, user)

  async function userOf(sub: string, reply: FastifyReply): Promise<UserRecord | undefined> {
    const user = await users.findBySub(sub)
    if (user === undefined) await sendError(reply, 404, 'not_found', 'no such user')
    return user
  }

  app.get<{ Querystring: { username: string } }>(
    '/admin/users',
    { schema: { querystring: lookupQuery } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const user = await users.find(normalizeUsername(request.query.username))
      if (user === undefined) return sendError(reply, 404, 'not_found', 'no such user')
      return view(user)
    },
  )

  app.get<{ Params: { sub: string } }>(
    '/admin/users/:sub',
    { schema: { params: subParams } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store')
      const user = await userOf(request.params.sub, reply)
      return user === undefined ? reply : view(user)
    },
  )

  app.post<{ Params: { sub: string }; Body: { until?: string; reason?: string } }>(
    '/admin/users/:sub/suspend',
    { schema: { params: subParams, body: suspendBody } },
    async (request, reply) => {
      const { until, reason } = request.body
      const end = until === undefined ? undefined : parseSuspensionEnd(until, Date.now())
      if (end !== undefined && 'reason' in end) {
        return sendError(reply, 400, 'invalid_request', end.reason)
      }
      const user = await userOf(request.params.sub, reply)
      if (user === undefined) return reply
      await auth.suspendUser(user.sub, {
        actor: 'admin',
        reason: reason ?? 'suspended by an admin',
        ...(end !== undefined && { until: end.until }),
      })
      return view(user)
    },
  )

  app.post<{ Params: { sub: string }; Body: { reason?: string } }>(
    '/admin/users/:sub/reinstate',
    { schema: { params: subParams, body: reasonBody } },
    async (request, reply) => {
      const user = await userOf(request.params.sub, reply)
      if (user === undefined) return reply
      await auth.reinstateUser(user.sub, {
        actor: 'admin',
        reason: request.body.reason ?? 'reinstated by an admin',
      })
      return reply.code(204).send()
    },
  )

  app.delete<{ Params: { sub: string }; Body: { reason?: string } }>(
    '/admin/users/:sub',
    { schema: { params: subParams, body: reasonBody } },
    async (request, reply) => {
      const user = await userOf(request.params.sub, reply)
      if (user === undefined) return reply
      await deleteAccount(context, user, {
        actor: 'admin',
        reason: request.body.reason ?? 'deleted by an admin',
      })
      return reply.code(204).send()
    },
  )

  app.put<{ Params: { sub: string }; Body: Record<string, unknown> }>(
    '/admin/users/:sub/claims',
    { schema: { params: subParams, body: claimsBody } },
    async (request, reply) => {
      const claims = request.body as UserClaims
      const problem = claimsProblem(claims)
      if (problem !== undefined) return sendError(reply, 400, 'invalid_request', problem)
      const user = await userOf(request.params.sub, reply)
      if (user === undefined) return reply
      // The claims first, then the mark: a refresh after the mark reads the new claims.
      await users.setClaims(user.sub, claims)
      await auth.markClaimsChanged(user.sub, { actor: 'admin', reason: 'claims changed' })
      return view(user)
    },
  )
}
