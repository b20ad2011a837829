/**
 * What the three OAuth endpoints share: the form schema pieces and client authentication.
 * (A refresh token's session is the library's to find: `auth.inspectRefreshToken`.)
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  authenticateClient,
  CLIENT_CHALLENGE,
  type ClientAuth,
  type ClientCredentialsBody,
} from '../client-auth.js'
import type { ClientRecord } from '../../service/clients.js'
import type { ServiceContext } from '../context.js'
import { sendTooManyAttempts } from '../guessing/guard.js'
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
 * Identifies the calling client, throttled per IP: an address that has failed client
 * authentication too often gets 429 before any secret is compared. Resolves to the client (or
 * `none`), or sends 401 invalid_client / 429 and resolves to undefined.
 */
export async function identifyClient(
  request: FastifyRequest,
  reply: FastifyReply,
  body: ClientCredentialsBody,
  context: ServiceContext,
): Promise<Exclude<ClientAuth, { kind: 'invalid' }> | undefined> {
  const presents = body.client_id !== undefined || request.headers.authorization !== undefined
  if (presents) {
    const wait = await context.guard.credentialWait('client', request.ip)
    if (wait > 0) {
      sendTooManyAttempts(reply, wait)
      return undefined
    }
  }
  const client = authenticateClient(request, body, context.config.clients)
  if (client.kind !== 'invalid') return client
  await context.guard.credentialFailed('client', request.ip)
  sendInvalidClient(reply, client.reason)
  return undefined
}

/**
 * Requires a confidential client that authenticates (introspection), or with `allowPublic` a
 * registered public client too (revocation). Resolves to the client, or sends 401
 * invalid_client (or 429) and resolves to undefined.
 */
export async function requireClient(
  request: FastifyRequest,
  reply: FastifyReply,
  body: ClientCredentialsBody,
  context: ServiceContext,
  { allowPublic = false }: { allowPublic?: boolean } = {},
): Promise<ClientRecord | undefined> {
  const client = await identifyClient(request, reply, body, context)
  if (client === undefined) return undefined
  if (client.kind === 'authenticated' || (allowPublic && client.kind === 'public')) {
    return client.client
  }
  sendInvalidClient(
    reply,
    client.kind === 'public'
      ? 'public clients may not use this endpoint'
      : 'client authentication required',
  )
  return undefined
}
