import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto'

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

const HEIR_INFO = 'revocable refresh-token heir v1'
const IV_BYTES = 12
const TAG_BYTES = 16

function heirKey(presented: string): Buffer {
  return Buffer.from(hkdfSync('sha256', presented, Buffer.alloc(0), HEIR_INFO, 32))
}

/**
 * Seals a rotation's new refresh token (the heir) under a key derived from the token it
 * replaces (AES-256-GCM, HKDF-SHA256). The store keeps the seal with the session, so a client
 * that repeats a refresh whose answer it lost gets the same heir again from any instance. The
 * store holds no usable token: opening the seal takes the old token, which it only has hashed.
 *
 * @example
 * const sealed = sealHeir(oldToken, heir.token)
 * openHeir(oldToken, sealed) // heir.token
 */
export function sealHeir(presented: string, heir: string): string {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', heirKey(presented), iv)
  const sealed = Buffer.concat([cipher.update(heir, 'utf8'), cipher.final()])
  return Buffer.concat([iv, sealed, cipher.getAuthTag()]).toString('base64url')
}

/** Opens a seal made by `sealHeir`; undefined when `presented` is not the token it was sealed under. */
export function openHeir(presented: string, sealed: string): string | undefined {
  const bytes = Buffer.from(sealed, 'base64url')
  if (bytes.length <= IV_BYTES + TAG_BYTES) return undefined
  try {
    const decipher = createDecipheriv(
      'aes-256-gcm',
      heirKey(presented),
      bytes.subarray(0, IV_BYTES),
    )
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES))
    const heir = Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ])
    return heir.toString('utf8')
  } catch {
    return undefined
  }
}
