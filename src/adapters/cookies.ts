/**
 * The cookies of the adapters: reading one from a `Cookie` header, checking the `refresh`
 * option (transparent refresh for cookie sessions) and writing the `Set-Cookie` values.
 */
import type { Revocable } from '../revocable.js'
import type { TokenSet } from '../sessions/sessions.js'

/** The `refresh` option once checked. */
export interface ResolvedRefreshCookies {
  readonly cookie: string
  /** The attributes every cookie we set carries, after `Max-Age`: `; Path=/; HttpOnly; …`. */
  readonly attributes: string
}

// A cookie name is an RFC 6265 token.
export const COOKIE_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

// A cookie Path or Domain: printable ASCII without `;` (RFC 6265 §4.1.1 av-octets), no spaces.
const COOKIE_ATTRIBUTE = /^[\x21-\x3A\x3C-\x7E]+$/

/** Checks the `refresh` option; throws a TypeError naming the bad field. */
export function checkRefresh(
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
export function tokenCookies(
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
export function clearingCookies(accessCookie: string, refresh: ResolvedRefreshCookies): string[] {
  return [
    setCookie(accessCookie, '', 0, refresh.attributes),
    setCookie(refresh.cookie, '', 0, refresh.attributes),
  ]
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
