/**
 * Cookie mode for browser apps (COOKIE_MODE=true): the refresh token never reaches JavaScript.
 * It lives in a `__Host-` cookie (HttpOnly, Secure, SameSite=Strict, Path=/, no Domain), and
 * every request that uses it must pass two CSRF checks: an Origin header from ALLOWED_ORIGINS,
 * and a CSRF token (the `__Host-rvk_csrf` cookie, readable by the page, echoed in the
 * `X-CSRF-Token` header). The token is bound to the session: it is an HMAC of the session's
 * current refresh token, so only the server (and the page it was given to) can know it, and a
 * cookie and header pair chosen by an attacker, or taken from another session, never passes.
 * The access token stays in the response body, held in memory.
 */
import { createHmac } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { safeEqual } from './client-auth.js'
import type { ServerConfig } from '../service/config.js'

export const REFRESH_COOKIE = '__Host-rvk_refresh'
export const CSRF_COOKIE = '__Host-rvk_csrf'
export const CSRF_HEADER = 'x-csrf-token'
/**
 * The service's own pages (src/server/pages/) ask for cookie delivery with this header, so they
 * work on the defaults (COOKIE_MODE off). It is not in the CORS allow-list: only a page of the
 * service's own origin can send it from a browser, and every use of the cookie still passes the
 * same Origin and CSRF checks as cookie mode.
 */
export const COOKIE_DELIVERY_HEADER = 'x-revocable-cookies'

const BASE = { path: '/', secure: true, sameSite: 'strict' } as const

/**
 * The CSRF token of a session: HMAC-SHA256 keyed by its refresh token (a secret the page never
 * sees: the cookie is HttpOnly). A new one comes with every rotation.
 *
 * @example
 * csrfTokenFor(refreshToken) // 'q3J…' (43 characters)
 */
export function csrfTokenFor(refreshToken: string): string {
  return createHmac('sha256', refreshToken).update('revocable csrf v1').digest('base64url')
}

/** The refresh token travels in the cookie for this request: cookie mode, or a page that asks. */
export function usesCookies(request: FastifyRequest, config: ServerConfig): boolean {
  return config.cookieMode || request.headers[COOKIE_DELIVERY_HEADER] === '1'
}

/** Sets the refresh and CSRF cookies; returns the CSRF token for the response body. */
export function setSessionCookies(
  reply: FastifyReply,
  refreshToken: string,
  config: ServerConfig,
): string {
  const csrf = csrfTokenFor(refreshToken)
  reply.setCookie(REFRESH_COOKIE, refreshToken, {
    ...BASE,
    httpOnly: true,
    maxAge: config.sessionMaxAge,
  })
  reply.setCookie(CSRF_COOKIE, csrf, { ...BASE, httpOnly: false, maxAge: config.sessionMaxAge })
  return csrf
}

export function clearSessionCookies(reply: FastifyReply): void {
  reply.clearCookie(REFRESH_COOKIE, { ...BASE, httpOnly: true })
  reply.clearCookie(CSRF_COOKIE, { ...BASE })
}

export function readRefreshCookie(request: FastifyRequest): string | undefined {
  const value = request.cookies[REFRESH_COOKIE]
  return value === undefined || value === '' ? undefined : value
}

/** The Origin header is present and one of ALLOWED_ORIGINS. */
export function originAllowed(request: FastifyRequest, config: ServerConfig): boolean {
  const origin = request.headers.origin
  return typeof origin === 'string' && config.allowedOrigins.includes(origin)
}

/** Why a cookie-authenticated request fails the CSRF checks, or undefined when it passes. */
export function csrfFailure(request: FastifyRequest, config: ServerConfig): string | undefined {
  if (!originAllowed(request, config)) return 'the Origin header is missing or not allowed'
  const refreshToken = readRefreshCookie(request)
  const header = request.headers[CSRF_HEADER]
  if (refreshToken === undefined || typeof header !== 'string' || header === '') {
    return 'the CSRF token is missing'
  }
  // Not "cookie equals header": the header must be this session's own token.
  return safeEqual(csrfTokenFor(refreshToken), header) ? undefined : 'the CSRF token does not match'
}
