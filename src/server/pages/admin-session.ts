/**
 * The admin console's sign-in: the admin token is typed once into a form, checked in constant
 * time, and the browser then holds a console cookie (`__Host-rvk_admin`: HttpOnly, Secure,
 * SameSite=Strict, Path=/) that never contains the token and that no page script can read. The
 * cookie is `v1.<expiry ms>.<nonce>.<HMAC-SHA256 keyed by the admin token>`, so every instance
 * that shares ADMIN_TOKEN accepts it, changing ADMIN_TOKEN ends every console session, and it
 * expires after ADMIN_CONSOLE_SECONDS. Every console form also carries a CSRF field (an HMAC
 * of the cookie) and must come from an allowed Origin.
 */
import { createHmac, randomBytes } from 'node:crypto'
import type { FastifyReply, FastifyRequest } from 'fastify'
import { safeEqual } from '../client-auth.js'

export const ADMIN_COOKIE = '__Host-rvk_admin'

/** How long a console sign-in lasts: 8 hours. */
export const ADMIN_CONSOLE_SECONDS = 8 * 3600

const COOKIE = { path: '/', secure: true, sameSite: 'strict', httpOnly: true } as const

function mac(adminToken: string, text: string): string {
  return createHmac('sha256', adminToken)
    .update(`revocable admin console v1\n${text}`)
    .digest('base64url')
}

/** A new console cookie value, valid until `now + ADMIN_CONSOLE_SECONDS`. */
export function issueConsoleCookie(adminToken: string, now: number): string {
  const body = `v1.${now + ADMIN_CONSOLE_SECONDS * 1000}.${randomBytes(16).toString('base64url')}`
  return `${body}.${mac(adminToken, body)}`
}

/** The cookie is one this service issued with the current admin token, and it has not expired. */
export function consoleCookieValid(adminToken: string, value: string, now: number): boolean {
  const parts = value.split('.')
  if (parts.length !== 4 || parts[0] !== 'v1') return false
  const [version, expiry, nonce, signature] = parts as [string, string, string, string]
  if (
    !/^\d{1,16}$/.test(expiry) ||
    !safeEqual(mac(adminToken, `${version}.${expiry}.${nonce}`), signature)
  ) {
    return false
  }
  return Number(expiry) > now
}

/** The console cookie of this request when it is valid, else undefined. */
export function consoleSession(
  request: FastifyRequest,
  adminToken: string,
  now: number,
): string | undefined {
  const value = request.cookies[ADMIN_COOKIE]
  if (value === undefined || value === '' || value.length > 256) return undefined
  return consoleCookieValid(adminToken, value, now) ? value : undefined
}

/** The CSRF field every console form carries: bound to this console sign-in. */
export function consoleCsrf(adminToken: string, cookie: string): string {
  return mac(adminToken, `csrf ${cookie}`)
}

export function setConsoleCookie(reply: FastifyReply, value: string): void {
  reply.setCookie(ADMIN_COOKIE, value, { ...COOKIE, maxAge: ADMIN_CONSOLE_SECONDS })
}

export function clearConsoleCookie(reply: FastifyReply): void {
  reply.clearCookie(ADMIN_COOKIE, COOKIE)
}
