/**
 * Cookie mode for browser apps (COOKIE_MODE=true): the refresh token never reaches JavaScript.
 * It lives in a `__Host-` cookie (HttpOnly, Secure, SameSite=Strict, Path=/, no Domain), and
 * every request that uses it must pass two CSRF checks: an Origin header from ALLOWED_ORIGINS,
 * and a double-submit token (the `__Host-rvk_csrf` cookie, readable by the page, echoed in the
 * `X-CSRF-Token` header). The access token stays in the response body, held in memory.
 */
import { randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { safeEqual } from './client-auth.js'
import type { ServerConfig } from './config.js'

export const REFRESH_COOKIE = '__Host-rvk_refresh'
export const CSRF_COOKIE = '__Host-rvk_csrf'
export const CSRF_HEADER = 'x-csrf-token'

const BASE = { path: '/', secure: true, sameSite: 'strict' } as const

/** Sets the refresh and CSRF cookies; returns the CSRF token for the response body. */
export function setSessionCookies(
  reply: FastifyReply,
  refreshToken: string,
  config: ServerConfig,
): string {
  const csrf = randomBytes(32).toString('base64url')
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
  const cookie = request.cookies[CSRF_COOKIE]
  const header = request.headers[CSRF_HEADER]
  if (typeof cookie !== 'string' || cookie === '' || typeof header !== 'string') {
    return 'the CSRF token is missing'
  }
  return safeEqual(cookie, header) ? undefined : 'the CSRF token does not match'
}
