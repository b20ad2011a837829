/**
 * RFC 7009 token revocation. A confidential client authenticates; a public client names itself
 * with `client_id` and may revoke only tokens issued to that client id (§2.1: "the token was
 * issued to the client making the revocation request"). Any token gets 200, known or not (so
 * the endpoint tells nothing about tokens); a refresh token ends its whole session; an access
 * token is revoked by its jti until it would have expired. Only a store outage changes the
 * answer (503), since a 200 would claim a revocation that did not happen.
 */
import type { FastifyInstance } from 'fastify'
import { RevocableError } from '../../errors.js'
import type { AuditContext } from '../../events.js'
import { parseRefreshToken } from '../../sessions/refresh-token.js'
import type { ServiceContext } from '../context.js'
import { acceptFormsOnly } from '../form.js'
import { isStoreUnavailable } from '../http.js'
import { authenticateClient } from '../client-auth.js'
import {
  CLIENT_PARAMS,
  sendInvalidClient,
  sessionOfRefreshToken,
  TOKEN_PARAM,
} from './oauth-common.js'

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

/** Who may revoke what: any token (a confidential client), or one public client's own. */
type Revoker = { readonly kind: 'confidential' } | { readonly kind: 'public'; clientId: string }

/** Ends the session of a refresh token we issued (current or already spent); else nothing. */
async function revokeRefreshToken(
  context: ServiceContext,
  token: string,
  caller: Revoker,
  audit: AuditContext,
): Promise<void> {
  const session = await sessionOfRefreshToken(context, token, { spent: true })
  if (session === undefined) return
  if (caller.kind === 'public' && session.clientId !== caller.clientId) return
  await context.auth.revokeSession(session.sid, audit)
}

async function revokeAccessToken(
  context: ServiceContext,
  token: string,
  caller: Revoker,
  audit: AuditContext,
): Promise<void> {
  try {
    if (caller.kind === 'public') {
      const claims = await context.auth.verify(token)
      if (claims.client_id !== caller.clientId) return
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
      const client = authenticateClient(request, request.body, context.config.clients)
      if (client.kind === 'invalid') return sendInvalidClient(reply, client.reason)
      if (client.clientId === undefined) {
        return sendInvalidClient(reply, 'client authentication or a public client_id is required')
      }
      const caller: Revoker =
        client.kind === 'authenticated'
          ? { kind: 'confidential' }
          : { kind: 'public', clientId: client.clientId }
      const { token } = request.body
      const audit = { actor: `client:${client.clientId}`, reason: 'RFC 7009 revocation' }
      if (parseRefreshToken(token) !== undefined) {
        await revokeRefreshToken(context, token, caller, audit)
      } else if (token.split('.').length === 3) {
        await revokeAccessToken(context, token, caller, audit)
      }
      return reply.code(200).header('cache-control', 'no-store').send()
    },
  )
}
