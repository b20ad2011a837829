/**
 * The token endpoint (RFC 6749 §3.2): `refresh_token` (rotation with reuse detection) and
 * `client_credentials` (confidential clients). Users log in at /auth/login instead of a
 * password grant.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { RevocableError } from '../../errors.js'
import { scopesNotAllowed, type ClientRecord, type GrantType } from '../../service/clients.js'
import type { ServiceContext } from '../context.js'
import { clearSessionCookies, csrfFailure, readRefreshCookie, usesCookies } from '../cookies.js'
import { acceptFormsOnly } from '../form.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
import { isStoreUnavailable, sendError, sendGrantError } from '../http.js'
import { sendTokenSet } from './auth.js'
import { CLIENT_PARAMS, identifyClient, sendInvalidClient, TOKEN_PARAM } from './oauth-common.js'

interface TokenBody {
  grant_type: string
  refresh_token?: string
  scope?: string
  client_id?: string
  client_secret?: string
}

const schema = {
  body: {
    type: 'object',
    required: ['grant_type'],
    additionalProperties: false,
    properties: {
      grant_type: { type: 'string', minLength: 1, maxLength: 128 },
      refresh_token: TOKEN_PARAM,
      // RFC 6749 §3.3: space-separated NQCHAR tokens.
      scope: {
        type: 'string',
        maxLength: 1024,
        pattern: '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+( [\\x21\\x23-\\x5B\\x5D-\\x7E]+)*$',
      },
      ...CLIENT_PARAMS,
    },
  },
}

async function refreshGrant(
  request: FastifyRequest<{ Body: TokenBody }>,
  reply: FastifyReply,
  context: ServiceContext,
  clientId: string | undefined,
): Promise<FastifyReply> {
  const { config, auth } = context
  let token = request.body.refresh_token
  if (token === undefined && usesCookies(request, config)) {
    token = readRefreshCookie(request)
    const failure = token === undefined ? undefined : csrfFailure(request, config)
    if (failure !== undefined) return sendError(reply, 403, 'access_denied', failure)
  }
  if (token === undefined) {
    return sendError(reply, 400, 'invalid_request', 'refresh_token is required')
  }
  // Refresh tokens cannot be guessed, but an address that keeps trying is slowed all the same.
  const wait = await context.guard.credentialWait('refresh', request.ip)
  if (wait > 0) return sendTooManyAttempts(reply, wait)
  try {
    const tokens = await auth.refresh(token, { clientId })
    return sendTokenSet(reply, tokens, context)
  } catch (error) {
    if (error instanceof RevocableError && error.code === 'ERR_REFRESH_TOKEN_INVALID') {
      await context.guard.credentialFailed('refresh', request.ip)
    }
    // A dead session loses its cookies; an outage must not log the browser out.
    if (usesCookies(request, config) && !isStoreUnavailable(error)) clearSessionCookies(reply)
    return sendGrantError(reply, error)
  }
}

async function clientCredentialsGrant(
  request: FastifyRequest<{ Body: TokenBody }>,
  reply: FastifyReply,
  context: ServiceContext,
  client: ClientRecord,
): Promise<FastifyReply> {
  const { scope } = request.body
  // RFC 6749 §5.2: a scope beyond what the client was granted is invalid_scope (never trimmed
  // silently: the caller would believe it holds what it asked for).
  if (scopesNotAllowed(client, scope).length > 0) {
    return sendError(
      reply,
      400,
      'invalid_scope',
      'the requested scope is not allowed for this client',
    )
  }
  const clientId = client.id
  try {
    const accessToken = await context.auth.issue({ sub: clientId, clientId, scope })
    return reply.headers({ 'cache-control': 'no-store', pragma: 'no-cache' }).send({
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: context.config.accessTokenTtl,
      ...(scope !== undefined && { scope }),
    })
  } catch (error) {
    return sendGrantError(reply, error)
  }
}

export async function tokenRoutes(app: FastifyInstance, context: ServiceContext): Promise<void> {
  acceptFormsOnly(app)
  app.post<{ Body: TokenBody }>('/oauth/token', { schema }, async (request, reply) => {
    const client = await identifyClient(request, reply, request.body, context)
    if (client === undefined) return reply
    const grant = request.body.grant_type
    const known = grant === 'refresh_token' || grant === 'client_credentials'
    if (known && client.kind !== 'none' && !client.client.grantTypes.includes(grant as GrantType)) {
      return sendError(reply, 400, 'unauthorized_client', 'the client may not use this grant type')
    }
    switch (grant) {
      case 'refresh_token':
        return refreshGrant(request, reply, context, client.clientId)
      case 'client_credentials':
        if (client.kind !== 'authenticated') {
          return sendInvalidClient(reply, 'client_credentials needs client authentication')
        }
        return clientCredentialsGrant(request, reply, context, client.client)
      default:
        return sendError(
          reply,
          400,
          'unsupported_grant_type',
          'grant_type must be refresh_token or client_credentials',
        )
    }
  })
}
