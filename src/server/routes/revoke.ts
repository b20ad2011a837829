/**
 * RFC 7009 token revocation. A confidential client authenticates; a public client names itself
 * with `client_id`. A client may revoke the tokens issued to it, a resource server any token
 * (RFC 7009 §2.1). Any token gets 200, known or not, ours to revoke or not (so the endpoint
 * tells nothing about tokens); a refresh token ends its whole session; an access token is
 * revoked by its jti until it would have expired. Only a store outage changes the answer (503),
 * since a 200 would claim a revocation that did not happen.
 */
import type { FastifyInstance } from 'fastify'
import { RevocableError } from '../../errors.js'
import type { AuditContext } from '../../events.js'
import { parseRefreshToken } from '../../sessions/refresh-token.js'
import { maySeeToken, type ClientRecord } from '../../service/clients.js'
import type { ServiceContext } from '../context.js'
import { acceptFormsOnly } from '../form.js'
import { isStoreUnavailable } from '../http.js'
import { CLIENT_PARAMS, requireClient, TOKEN_PARAM } from './oauth-common.js'

interface RevokeBody {
  token: string
  token_type_hint?: string
  client_id?: string
  client_secret?: string
}

export const revocationSchema = {
  body: {
    type: 'object',
    required: ['token'],
    additionalProperties: false,
    properties: {
      token: TOKEN_PARAM,
      // Only a hint (RFC 7009 §2.1): every token type is searched whatever it says.
      token_type_hint: { type: 'string', minLength: 1, maxLength: 64 },
      ...CLIENT_PARAMS,
    },
  },
}

/** Ends the session of a refresh token we issued (current or already spent); else nothing. */
async function revokeRefreshToken(
  context: ServiceContext,
  client: ClientRecord,
  token: string,
  audit: AuditContext,
): Promise<void> {
  const info = await context.auth.inspectRefreshToken(token, { spent: true })
  if (info !== undefined && maySeeToken(client, info.clientId)) {
    await context.auth.revokeSession(info.sid, audit)
  }
}

async function revokeAccessToken(
  context: ServiceContext,
  client: ClientRecord,
  token: string,
  audit: AuditContext,
): Promise<void> {
  try {
    if (!client.resourceServer) {
      // Whose token is it? Only a verified token says; one that no longer verifies has nothing
      // left to revoke.
      const claims = await context.auth.verify(token)
      if (!maySeeToken(client, claims.client_id)) return
    }
    await context.auth.revokeToken(token, audit)
  } catch (error) {
    // Not a token of ours, or no longer valid: nothing to revoke (RFC 7009 §2.2).
    if (!(error instanceof RevocableError) || isStoreUnavailable(error)) throw error
  }
}

export async function revokeRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  acceptFormsOnly(app)
  app.post<{ Body: RevokeBody }>(
    '/oauth/revoke',
    { schema: revocationSchema },
    async (request, reply) => {
      const client = await requireClient(request, reply, request.body, context, {
        allowPublic: true,
      })
      if (client === undefined) return reply
      const { token } = request.body
      const audit = { actor: `client:${client.id}`, reason: 'RFC 7009 revocation' }
      if (parseRefreshToken(token) !== undefined) {
        await revokeRefreshToken(context, client, token, audit)
      } else if (token.split('.').length === 3) {
        await revokeAccessToken(context, client, token, audit)
      }
      return reply.code(200).header('cache-control', 'no-store').send()
    },
  )
}
