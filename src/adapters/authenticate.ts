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
import type { TokenSet } from '../sessions/sessions.js'
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

/** The `refresh` option once checked. */
export interface ResolvedRefreshCookies {
  readonly cookie: string
  /** The attributes every cookie we set carries, after `Max-Age`: `; Path=/; HttpOnly; …`. */
  readonly attributes: string
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

// A cookie Path or Domain: printable ASCII without `;` (RFC 6265 §4.1.1 av-octets), no spaces.
const COOKIE_ATTRIBUTE = /^[\x21-\x3A\x3C-\x7E]+$/

/** Checks the `refresh` option; throws a TypeError naming the bad field. */
function checkRefresh(
  auth: Revocable,
  refresh: unknown,
  accessCookie: string | undefined,
): ResolvedRefreshCookies | undefined {
  if (refresh === undefined) return undefined
  if (refresh === null || typeof refresh !== 'object') {
    throw new TypeError('"refresh" must be an object')
  }
  const {
    cookie,
    path = '/',
    domain,
    secure = true,
    sameSite = 'Lax',
  } = refresh as Record<string, unknown>
  if (typeof cookie !== 'string' || !COOKIE_NAME.test(cookie)) {
    throw new TypeError('"refresh.cookie" must be a cookie name')
  }
  if (accessCookie === undefined) {
    throw new TypeError('"refresh" needs "cookie" (the access-token cookie it renews)')
  }
  if (cookie === accessCookie) {
    throw new TypeError('"refresh.cookie" must differ from "cookie"')
  }
  if (typeof auth.refresh !== 'function') {
    throw new TypeError('"refresh" needs a Revocable with refresh()')
  }
  if (typeof path !== 'string' || !path.startsWith('/') || !COOKIE_ATTRIBUTE.test(path)) {
    throw new TypeError('"refresh.path" must be a cookie path starting with /')
  }
  if (domain !== undefined && (typeof domain !== 'string' || !COOKIE_ATTRIBUTE.test(domain))) {
    throw new TypeError('"refresh.domain" must be a cookie domain')
  }
  if (typeof secure !== 'boolean') throw new TypeError('"refresh.secure" must be a boolean')
  if (sameSite !== 'Lax' && sameSite !== 'Strict') {
    throw new TypeError('"refresh.sameSite" must be "Lax" or "Strict"')
  }
  const attributes = [
    `Path=${path}`,
    ...(domain === undefined ? [] : [`Domain=${domain}`]),
    'HttpOnly',
    ...(secure ? ['Secure'] : []),
    `SameSite=${sameSite}`,
  ]
  return Object.freeze({ cookie, attributes: `; ${attributes.join('; ')}` })
}

/** A `Set-Cookie` value; tokens are percent-encoded, so no value can carry `;` or a control. */
function setCookie(name: string, value: string, maxAge: number, attributes: string): string {
  return `${name}=${encodeURIComponent(value)}; Max-Age=${maxAge}${attributes}`
}

/** The two `Set-Cookie` values for a fresh token set. */
function tokenCookies(
  tokens: TokenSet,
  accessCookie: string,
  refresh: ResolvedRefreshCookies,
  nowMs: number,
): string[] {
  // The refresh cookie lives as long as the session can; the access cookie as long as its token.
  const sessionSeconds = Math.max(
    1,
    Math.floor((tokens.session.expiresAt.getTime() - nowMs) / 1000),
  )
  return [
    setCookie(accessCookie, tokens.accessToken, tokens.expiresIn, refresh.attributes),
    setCookie(refresh.cookie, tokens.refreshToken, sessionSeconds, refresh.attributes),
  ]
}

/** The two `Set-Cookie` values that make a browser drop both cookies. */
function clearingCookies(accessCookie: string, refresh: ResolvedRefreshCookies): string[] {
  return [
    setCookie(accessCookie, '', 0, refresh.attributes),
    setCookie(refresh.cookie, '', 0, refresh.attributes),
  ]
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
