/** What the three OAuth endpoints share: the form schema pieces and client authentication. */
import type { FastifyReply, FastifyRequest } from 'fastify'
import { authenticateClient, CLIENT_CHALLENGE, type ClientCredentialsBody } from '../client-auth.js'
import type { ServiceContext } from '../context.js'
import { sendError } from '../http.js'

export const TOKEN_PARAM = { type: 'string', minLength: 1, maxLength: 8192 }
export const CLIENT_PARAMS = {
  client_id: { type: 'string', minLength: 1, maxLength: 128 },
  client_secret: { type: 'string', minLength: 1, maxLength: 512 },
}

export function sendInvalidClient(reply: FastifyReply, description: string): FastifyReply {
  return sendError(reply, 401, 'invalid_client', description, {
    'www-authenticate': CLIENT_CHALLENGE,
  })
}

/**
 * Requires a confidential client (introspection and revocation). Resolves to its id, or sends
 * 401 invalid_client and resolves to undefined.
 */
export function requireClient(
  request: FastifyRequest,
  reply: FastifyReply,
  body: ClientCredentialsBody,
  context: ServiceContext,
): string | undefined {
  const client = authenticateClient(request, body, context.config.clients)
  if (client.kind === 'authenticated') return client.clientId
  sendInvalidClient(
    reply,
    client.kind === 'invalid' ? client.reason : 'client authentication required',
  )
  return undefined
}
