/**
 * Realms and scopes: the `realm` option, the realm a request was authenticated under, and the
 * answer to a request that lacks a required scope (RFC 6750 §3, RFC 6749 §3.3).
 */
import type { AccessTokenClaims } from '../tokens/claims.js'
import {
  insufficientScopeResponse,
  missingTokenResponse,
  type HttpErrorResponse,
} from './http-error.js'

// A realm is sent inside a quoted challenge parameter: the characters RFC 6750 §3 allows there.
const REALM = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/

/** Checks a `realm` option. */
export function checkRealm(realm: unknown): string | undefined {
  if (realm !== undefined && (typeof realm !== 'string' || realm === '')) {
    throw new TypeError('"realm" must be a non-empty string')
  }
  if (realm !== undefined && !REALM.test(realm)) {
    throw new TypeError('"realm" must be printable ASCII without " or \\')
  }
  return realm
}

// The realm each request was authenticated under, so a scope check after it answers in the same
// realm without being told again. Weak: an entry goes with its request.
const realms = new WeakMap<object, string>()

/** Records the realm a request was authenticated under (its framework request object). */
export function noteRealm(request: object, realm: string | undefined): void {
  if (realm !== undefined) realms.set(request, realm)
}

/** The realm for a scope failure: the scope check's own, else the one authentication used. */
export function realmFor(request: object, explicit: string | undefined): string | undefined {
  return explicit ?? realms.get(request)
}

// A scope-token is 1*( %x21 / %x23-5B / %x5D-7E ) (RFC 6749 §3.3).
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Checks a required scope (one or more space-separated scope tokens, all required). */
export function checkRequiredScope(scope: unknown): readonly string[] {
  if (typeof scope !== 'string') throw new TypeError('"scope" must be a string')
  const tokens = scope.split(' ').filter((part) => part !== '')
  if (tokens.length === 0 || !tokens.every((part) => SCOPE_TOKEN.test(part))) {
    throw new TypeError('"scope" must be one or more space-separated scope tokens')
  }
  return Object.freeze(tokens)
}

/**
 * The answer for a request that does not meet a scope requirement, or undefined when it does:
 * no claims (anonymous) is a 401 without an error code, claims without every required scope a
 * 403 `insufficient_scope`.
 */
export function scopeFailure(
  claims: AccessTokenClaims | null | undefined,
  required: readonly string[],
  realm?: string,
): HttpErrorResponse | undefined {
  if (claims === undefined || claims === null) return missingTokenResponse(realm)
  const granted = new Set(typeof claims.scope === 'string' ? claims.scope.split(' ') : [])
  if (required.every((scope) => granted.has(scope))) return undefined
  return insufficientScopeResponse(required.join(' '), realm)
}
