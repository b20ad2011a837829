/**
 * The one decision every framework adapter makes per request, without any framework in sight:
 * where the token comes from, what counts as "no token", and which HTTP answer a failure gets.
 * Adapters only read two headers and copy the outcome onto their framework's request or response.
 */
import { RevocableError, TokenMalformed } from '../errors.js'
import type { Revocable } from '../revocable.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import { readBearerHeader } from './bearer.js'
import {
  bearerErrorResponse,
  insufficientScopeResponse,
  missingTokenResponse,
  type HttpErrorResponse,
} from './http-error.js'

/** Options every adapter takes. */
export interface AuthenticateOptions {
  /**
   * Let requests that carry no token at all through, without claims. A request that carries a
   * token that fails is still rejected: a client must learn that its token is dead. Default false.
   */
  optional?: boolean
  /**
   * Name of a cookie to read the access token from when there is no `Authorization` header
   * (httpOnly cookie sessions). Default: none, the header only.
   */
  cookie?: string
  /** `realm` of the `WWW-Authenticate` challenge. Default: none. */
  realm?: string
}

/** Options once checked; made at construction, never per request. */
export interface ResolvedAuthenticateOptions {
  readonly optional: boolean
  readonly cookie: string | undefined
  readonly realm: string | undefined
}

/** What one request turned out to be. */
export type AuthOutcome =
  | { readonly kind: 'authenticated'; readonly claims: AccessTokenClaims }
  | { readonly kind: 'anonymous' }
  | { readonly kind: 'rejected'; readonly response: HttpErrorResponse }

/** The request headers the decision reads. */
export interface CredentialHeaders {
  readonly authorization: string | readonly string[] | undefined
  readonly cookie: string | readonly string[] | undefined
}

// A cookie name is an RFC 6265 token.
const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Checks the revocable instance and the options once; throws a TypeError naming the bad one. */
export function resolveAuthenticateOptions(
  auth: unknown,
  options: AuthenticateOptions | undefined,
): ResolvedAuthenticateOptions {
  if (
    auth === null ||
    typeof auth !== 'object' ||
    typeof (auth as Revocable).verify !== 'function'
  ) {
    throw new TypeError('"auth" must be a Revocable made by createRevocable()')
  }
  const given = options ?? {}
  if (given === null || typeof given !== 'object') throw new TypeError('options must be an object')
  if (given.optional !== undefined && typeof given.optional !== 'boolean') {
    throw new TypeError('"optional" must be a boolean')
  }
  if (
    given.cookie !== undefined &&
    (typeof given.cookie !== 'string' || !COOKIE_NAME.test(given.cookie))
  ) {
    throw new TypeError('"cookie" must be a cookie name')
  }
  return Object.freeze({
    optional: given.optional ?? false,
    cookie: given.cookie,
    realm: checkRealm(given.realm),
  })
}

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

/** The value of one cookie in a `Cookie` header, or undefined (RFC 6265 §5.4 pairs). */
export function readCookie(
  header: string | readonly string[] | undefined,
  name: string,
): string | undefined {
  if (header === undefined) return undefined
  const text = typeof header === 'string' ? header : header.join('; ')
  for (const pair of text.split(';')) {
    const equals = pair.indexOf('=')
    if (equals === -1 || pair.slice(0, equals).trim() !== name) continue
    let value = pair.slice(equals + 1).trim()
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"'))
      value = value.slice(1, -1)
    if (value === '') return undefined
    try {
      return decodeURIComponent(value)
    } catch {
      return value // not percent-encoded after all; verify will judge it
    }
  }
  return undefined
}

/**
 * Finds the token (the `Authorization` header first, then the cookie when configured), verifies
 * it and says what the request is. A `RevocableError` becomes a rejection with its HTTP answer;
 * any other error is a bug or an outage the framework's own error handling should see, so it is
 * thrown.
 */
export async function authenticateRequest(
  auth: Pick<Revocable, 'verify'>,
  headers: CredentialHeaders,
  options: ResolvedAuthenticateOptions,
): Promise<AuthOutcome> {
  const bearer = readBearerHeader(headers.authorization)
  let token: string | undefined
  if (bearer.kind === 'token') token = bearer.token
  else if (bearer.kind === 'malformed') {
    const error = new TokenMalformed('the Authorization header is not a Bearer token')
    return { kind: 'rejected', response: bearerErrorResponse(error, options.realm) }
  } else if (options.cookie !== undefined) {
    token = readCookie(headers.cookie, options.cookie)
  }
  if (token === undefined) {
    return options.optional
      ? { kind: 'anonymous' }
      : { kind: 'rejected', response: missingTokenResponse(options.realm) }
  }
  try {
    return { kind: 'authenticated', claims: await auth.verify(token) }
  } catch (error) {
    if (!(error instanceof RevocableError)) throw error
    return { kind: 'rejected', response: bearerErrorResponse(error, options.realm) }
  }
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
