/**
 * Reading the access token out of a request (RFC 6750 §2.1), shared by every adapter and the
 * server so that they agree on what counts as "no token" and what counts as a malformed header.
 */

/** What the Authorization header held. */
export type BearerHeader =
  | { readonly kind: 'absent' }
  | { readonly kind: 'malformed' }
  | { readonly kind: 'token'; readonly token: string }

// b64token from RFC 6750 §2.1; the scheme is case-insensitive (RFC 9110 §11.1).
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** Parses an `Authorization` header value; an array (repeated header) counts as malformed. */
export function readBearerHeader(value: string | readonly string[] | undefined): BearerHeader {
  if (value === undefined || value === '') return { kind: 'absent' }
  if (typeof value !== 'string') return { kind: 'malformed' }
  const match = BEARER.exec(value)
  return match?.[1] === undefined ? { kind: 'malformed' } : { kind: 'token', token: match[1] }
}
