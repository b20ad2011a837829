/**
 * Client authentication at the OAuth endpoints (RFC 6749 §2.3.1): `client_secret_basic` (HTTP
 * Basic with form-encoded id and secret) and `client_secret_post` (`client_id` and
 * `client_secret` in the form). Secrets are compared in constant time, and an unknown client
 * costs the same comparison as a known one.
 */
import { createHash, timingSafeEqual } from 'node:crypto'
import type { FastifyRequest } from 'fastify'

export type ClientAuth =
  /** No credentials; `clientId` is a public client's `client_id` parameter, if any. */
  | { readonly kind: 'none'; readonly clientId: string | undefined }
  | { readonly kind: 'authenticated'; readonly clientId: string; readonly method: string }
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

/** Authenticates the calling client against the configured confidential clients. */
export function authenticateClient(
  request: FastifyRequest,
  body: ClientCredentialsBody,
  clients: ReadonlyMap<string, string>,
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
    // A confidential client must authenticate; only public clients may name themselves.
    if (body.client_id !== undefined && clients.has(body.client_id)) {
      return { kind: 'invalid', reason: 'client authentication required' }
    }
    return { kind: 'none', clientId: body.client_id }
  }
  const expected = clients.get(presented.id)
  // Unknown clients are compared against a fixed string so both cases cost the same.
  const matches = safeEqual(presented.secret, expected ?? '\u0000unknown-client')
  if (expected === undefined || !matches) {
    return { kind: 'invalid', reason: 'client authentication failed' }
  }
  return { kind: 'authenticated', clientId: presented.id, method: presented.method }
}
