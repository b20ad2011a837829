import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * Refresh tokens are opaque: a recognisable prefix (so secret scanners and logs can spot one),
 * the session id (so the store finds the session without an index of hashes), and 256 random
 * bits. Only the SHA-256 of a token is ever stored.
 */
export const REFRESH_TOKEN_PREFIX = 'rvk_rt_'

const SECRET_BYTES = 32
const SECRET_LENGTH = 43 // base64url of 32 bytes
const SID = /^[A-Za-z0-9_-]{1,128}$/
const SECRET = /^[A-Za-z0-9_-]{43}$/

export interface ParsedRefreshToken {
  readonly sid: string
  /** SHA-256 of the whole token, base64url. */
  readonly hash: string
}

export function createRefreshToken(sid: string): { token: string; hash: string } {
  const token = `${REFRESH_TOKEN_PREFIX}${sid}.${randomBytes(SECRET_BYTES).toString('base64url')}`
  return { token, hash: hashRefreshToken(token) }
}

export function hashRefreshToken(token: string): string {
  return createHash('sha256').update(token).digest('base64url')
}

/** Splits a presented refresh token; undefined for anything that is not one of ours. */
export function parseRefreshToken(token: unknown): ParsedRefreshToken | undefined {
  if (typeof token !== 'string' || !token.startsWith(REFRESH_TOKEN_PREFIX)) return undefined
  const rest = token.slice(REFRESH_TOKEN_PREFIX.length)
  const dot = rest.lastIndexOf('.')
  if (dot < 0 || rest.length - dot - 1 !== SECRET_LENGTH) return undefined
  const sid = rest.slice(0, dot)
  if (!SID.test(sid) || !SECRET.test(rest.slice(dot + 1))) return undefined
  return { sid, hash: hashRefreshToken(token) }
}

/** Compares two token hashes in constant time. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}
