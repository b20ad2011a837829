/**
 * Client authentication at the OAuth endpoints (RFC 6749 §2.3.1): `client_secret_basic` (HTTP
 * Basic with form-encoded id and secret) and `client_secret_post` (`client_id` and
 * `client_secret` in the form); a public client names itself with `client_id` alone (`none`).
 * Secrets are compared in constant time, and an unknown client costs the same comparison as a
 * known one.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'
import type { ClientRecord } from '../service/clients.js'

export type ClientAuth =
  /** No client at all. */
  | { readonly kind: 'none'; readonly clientId: undefined }
  /** A registered public client, named by its `client_id`. */
  | { readonly kind: 'public'; readonly clientId: string; readonly client: ClientRecord }
  | {
      readonly kind: 'authenticated'
      readonly clientId: string
      readonly client: ClientRecord
      readonly method: string
    }
  | { readonly kind: 'invalid'; readonly reason: string }

/** The WWW-Authenticate challenge of a 401 invalid_client (RFC 6749 §5.2). */
export const CLIENT_CHALLENGE = 'Basic realm="revocable", charset="UTF-8"'

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest()
}

/** Constant-time equality of two strings of any length (compares their SHA-256). */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b))
}

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '))
  } catch {
    return undefined
  }
}

function readBasic(header: string): { id: string; secret: string } | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header)
  if (match?.[1] === undefined) return undefined
  const decoded = Buffer.from(match[1], 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  if (colon < 0) return undefined
  const id = formDecode(decoded.slice(0, colon))
  const secret = formDecode(decoded.slice(colon + 1))
  return id === undefined || secret === undefined || id === '' ? undefined : { id, secret }
}

export interface ClientCredentialsBody {
  client_id?: string
  client_secret?: string
}

/** Authenticates the calling client against the configured clients. */
export function authenticateClient(
  request: FastifyRequest,
  body: ClientCredentialsBody,
  clients: ReadonlyMap<string, ClientRecord>,
): ClientAuth {
  const header = request.headers.authorization
  let presented: { id: string; secret: string; method: string } | undefined
  if (header !== undefined && /^basic /i.test(header)) {
    if (body.client_secret !== undefined) {
      return { kind: 'invalid', reason: 'more than one client authentication method' }
    }
    const basic = readBasic(header)
    if (basic === undefined) return { kind: 'invalid', reason: 'malformed Basic credentials' }
    if (body.client_id !== undefined && body.client_id !== basic.id) {
      return { kind: 'invalid', reason: 'client_id does not match the credentials' }
    }
    presented = { ...basic, method: 'client_secret_basic' }
  } else if (body.client_secret !== undefined) {
    if (body.client_id === undefined) return { kind: 'invalid', reason: 'client_id is missing' }
    presented = { id: body.client_id, secret: body.client_secret, method: 'client_secret_post' }
  }
  if (presented === undefined) {
    if (body.client_id === undefined) return { kind: 'none', clientId: undefined }
    // Only a registered public client may name itself; a confidential one must authenticate.
    const client = clients.get(body.client_id)
    if (client === undefined) return { kind: 'invalid', reason: 'unknown client' }
    if (client.secret !== undefined) {
      return { kind: 'invalid', reason: 'client authentication required' }
    }
    return { kind: 'public', clientId: client.id, client }
  }
  const client = clients.get(presented.id)
  // Unknown and public clients are compared against a fixed string so every case costs the same.
  const matches = safeEqual(presented.secret, client?.secret ?? '\u0000unknown-client')
  if (client?.secret === undefined || !matches) {
    return { kind: 'invalid', reason: 'client authentication failed' }
  }
  return { kind: 'authenticated', clientId: client.id, client, method: presented.method }
}
