/**
 * The one decision every framework adapter makes per request, without any framework in sight:
 * where the token comes from, what counts as "no token", and which HTTP answer a failure gets.
 * Adapters only read two headers and copy the outcome onto their framework's request or response.
 */
import {
  InsufficientUserAuthentication,
  RevocableError,
  TokenExpired,
  TokenMalformed,
} from '../errors.js'
import type { Revocable } from '../revocable.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import { readBearerHeader } from './bearer.js'
import {
  checkRefresh,
  clearingCookies,
  COOKIE_NAME,
  readCookie,
  tokenCookies,
  type ResolvedRefreshCookies,
} from './cookies.js'
import { bearerErrorResponse, missingTokenResponse, type HttpErrorResponse } from './http-error.js'
import { checkRealm } from './scope.js'

// The cookie and scope helpers live in cookies.ts and scope.ts; the adapters import them here.
export { readCookie, type ResolvedRefreshCookies } from './cookies.js'
export { checkRealm, checkRequiredScope, noteRealm, realmFor, scopeFailure } from './scope.js'

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
  /**
   * Transparent refresh for cookie sessions (needs `cookie`): when the access cookie is missing
   * or expired and the refresh cookie is present, the refresh token is rotated
   * (`auth.refresh`), both cookies are set anew on the response and the request goes on with the
   * new claims. A refused refresh (reused, revoked, expired, unknown) answers the normal 401 and
   * clears both cookies; a store outage answers 503. Default: none (no refresh).
   */
  refresh?: RefreshCookieOptions
  /**
   * Most seconds since the user authenticated (`auth_time`) for this route: an older
   * authentication answers RFC 9470's step-up challenge, 401 with `WWW-Authenticate: Bearer
   * error="insufficient_user_authentication", error_description="…", max_age="N"`. Default: no
   * limit.
   */
  maxAuthAge?: number
}

/** The `refresh` option: where the refresh token lives and how both cookies are written. */
export interface RefreshCookieOptions {
  /** Name of the cookie holding the refresh token. */
  cookie: string
  /** `Path` of both cookies; it must cover every route this middleware guards. Default `/`. */
  path?: string
  /** `Domain` of both cookies. Default: none (the exact host). */
  domain?: string
  /** `Secure` on both cookies; false only for plain-HTTP development. Default true. */
  secure?: boolean
  /** `SameSite` of both cookies. Default `Lax`. */
  sameSite?: 'Lax' | 'Strict'
}

/** Options once checked; made at construction, never per request. */
export interface ResolvedAuthenticateOptions {
  readonly optional: boolean
  readonly cookie: string | undefined
  readonly realm: string | undefined
  readonly refresh: ResolvedRefreshCookies | undefined
  readonly maxAuthAge: number | undefined
}

/**
 * What one request turned out to be. `cookies` are `Set-Cookie` header values the adapter adds
 * to the response, whatever the outcome (a refresh's new cookies, or the clearing of both).
 */
export type AuthOutcome =
  | {
      readonly kind: 'authenticated'
      readonly claims: AccessTokenClaims
      readonly cookies?: readonly string[]
    }
  | { readonly kind: 'anonymous' }
  | {
      readonly kind: 'rejected'
      readonly response: HttpErrorResponse
      readonly cookies?: readonly string[]
    }

/** The request headers the decision reads. */
export interface CredentialHeaders {
  readonly authorization: string | readonly string[] | undefined
  readonly cookie: string | readonly string[] | undefined
}

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
    refresh: checkRefresh(auth as Revocable, given.refresh, given.cookie),
    maxAuthAge: checkMaxAuthAge(given.maxAuthAge),
  })
}

function checkMaxAuthAge(value: unknown): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError('"maxAuthAge" must be a non-negative number of seconds')
  }
  return value
}

/** What `verify` is asked besides the token: the route's `maxAuthAge`, if any. */
function verifyOptions(options: ResolvedAuthenticateOptions): { maxAuthAge?: number } | undefined {
  return options.maxAuthAge === undefined ? undefined : { maxAuthAge: options.maxAuthAge }
}

/**
 * Finds the token (the `Authorization` header first, then the cookie when configured), verifies
 * it and says what the request is. A `RevocableError` becomes a rejection with its HTTP answer;
 * any other error is a bug or an outage the framework's own error handling should see, so it is
 * thrown.
 */
export async function authenticateRequest(
  auth: Pick<Revocable, 'verify'> & Partial<Pick<Revocable, 'refresh'>>,
  headers: CredentialHeaders,
  options: ResolvedAuthenticateOptions,
): Promise<AuthOutcome> {
  const bearer = readBearerHeader(headers.authorization)
  let token: string | undefined
  let fromCookie = false
  if (bearer.kind === 'token') token = bearer.token
  else if (bearer.kind === 'malformed') {
    const error = new TokenMalformed('the Authorization header is not a Bearer token')
    return { kind: 'rejected', response: bearerErrorResponse(error, options.realm) }
  } else if (options.cookie !== undefined) {
    token = readCookie(headers.cookie, options.cookie)
    fromCookie = true
  }
  // Only a cookie session is refreshed, and only when its access token is gone or merely
  // expired: a revoked or forged one is answered as it is, never papered over.
  const refreshable = fromCookie && options.refresh !== undefined
  if (token === undefined) {
    if (refreshable) {
      const refreshed = await refreshCookies(auth, headers, options)
      if (refreshed !== undefined) return refreshed
    }
    return options.optional
      ? { kind: 'anonymous' }
      : { kind: 'rejected', response: missingTokenResponse(options.realm) }
  }
  try {
    return { kind: 'authenticated', claims: await auth.verify(token, verifyOptions(options)) }
  } catch (error) {
    if (!(error instanceof RevocableError)) throw error
    if (refreshable && error instanceof TokenExpired) {
      const refreshed = await refreshCookies(auth, headers, options)
      if (refreshed !== undefined) return refreshed
    }
    return { kind: 'rejected', response: bearerErrorResponse(error, options.realm) }
  }
}

/**
 * Rotates the refresh cookie, if there is one: the new claims and both new cookies, or the
 * refusal (401 and both cookies cleared; 503 and nothing cleared when the store is down).
 * Undefined when the request carries no refresh cookie. The cookie's text never reaches the
 * answer: a refusal is described by its error's own message only.
 */
async function refreshCookies(
  auth: Pick<Revocable, 'verify'> & Partial<Pick<Revocable, 'refresh'>>,
  headers: CredentialHeaders,
  options: ResolvedAuthenticateOptions,
): Promise<AuthOutcome | undefined> {
  const refresh = options.refresh
  const accessCookie = options.cookie
  if (refresh === undefined || accessCookie === undefined || auth.refresh === undefined) {
    return undefined
  }
  const refreshToken = readCookie(headers.cookie, refresh.cookie)
  if (refreshToken === undefined) return undefined
  let cookies: string[] | undefined
  try {
    const tokens = await auth.refresh(refreshToken)
    // Set the new cookies even when the route then asks for a fresher authentication: the
    // refresh itself succeeded, and a step-up is no reason to log the user out.
    const claims = await auth.verify(tokens.accessToken)
    cookies = tokenCookies(tokens, accessCookie, refresh, claims.iat * 1000)
    // Again with the route's limit (a cache hit: the token was just verified).
    if (options.maxAuthAge !== undefined) {
      await auth.verify(tokens.accessToken, verifyOptions(options))
    }
    return { kind: 'authenticated', claims, cookies }
  } catch (error) {
    if (error instanceof InsufficientUserAuthentication && cookies !== undefined) {
      return { kind: 'rejected', response: bearerErrorResponse(error, options.realm), cookies }
    }
    if (!(error instanceof RevocableError)) throw error
    const response = bearerErrorResponse(error, options.realm)
    // An outage says nothing about the session: keep the cookies for the retry.
    if (response.status >= 500) return { kind: 'rejected', response }
    return { kind: 'rejected', response, cookies: clearingCookies(accessCookie, refresh) }
  }
}
