/**
 * RFC 7662 token introspection. Confidential clients only: a resource server sees every token,
 * any other client only the tokens issued to it (RFC 7662 §2.2: another client's token is
 * answered as an unknown one). The answer starts from `{"active": false}` and gains fields only
 * for a token proven good; a store outage is a 503, never an "inactive" that would look like a
 * revocation (or hide one).
 */
import type { FastifyInstance } from 'fastify'
import { RevocableError } from '../../errors.js'
import { parseRefreshToken } from '../../sessions/refresh-token.js'
import { maySeeToken } from '../../service/clients.js'
import { verifyCounted, type ServiceContext } from '../context.js'
import { acceptFormsOnly } from '../form.js'
import { isStoreUnavailable } from '../http.js'
import { requireClient } from './oauth-common.js'
import { revocationSchema } from './revoke.js'

interface IntrospectBody {
  token: string
  token_type_hint?: string
  client_id?: string
  client_secret?: string
}

const INACTIVE = Object.freeze({ active: false })

async function introspectAccessToken(context: ServiceContext, token: string) {
  try {
    const claims = await verifyCounted(context, token)
    return {
      active: true,
      token_type: 'Bearer',
      sub: claims.sub,
      client_id: claims.client_id,
      scope: claims.scope,
      exp: claims.exp,
      iat: claims.iat,
      iss: claims.iss,
      aud: claims.aud,
      jti: claims.jti,
      sid: claims.sid,
    }
  } catch (error) {
    if (error instanceof RevocableError && !isStoreUnavailable(error)) return INACTIVE
    throw error
  }
}

async function introspectRefreshToken(context: ServiceContext, token: string) {
  // The library decides (the rules `refresh` applies): revoked, ended, expired, cut off.
  const info = await context.auth.inspectRefreshToken(token)
  if (info === undefined || !info.active) return INACTIVE
  return {
    active: true,
    token_type: 'refresh_token',
    sub: info.sub,
    client_id: info.clientId,
    scope: info.scope,
    exp: Math.floor(info.expiresAt.getTime() / 1000),
    iat: Math.floor(info.issuedAt.getTime() / 1000),
    iss: context.auth.options.issuer,
    sid: info.sid,
  }
}

export async function introspectRoutes(
  app: FastifyInstance,
  context: ServiceContext,
): Promise<void> {
  acceptFormsOnly(app)
  app.post<{ Body: IntrospectBody }>(
    '/oauth/introspect',
    { schema: revocationSchema },
    async (request, reply) => {
      const client = await requireClient(request, reply, request.body, context)
      if (client === undefined) return reply
      const { token } = request.body
      const answer =
        parseRefreshToken(token) !== undefined
          ? await introspectRefreshToken(context, token)
          : await introspectAccessToken(context, token)
      const visible =
        answer.active && maySeeToken(client, (answer as { client_id?: string }).client_id)
      return reply.header('cache-control', 'no-store').send(visible ? answer : INACTIVE)
    },
  )
}
