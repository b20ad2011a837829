/**
 * jsonwebtoken's claim rules as revocable/jwt-redis applies them: its decoding, its checks on the
 * token's shape, times and verify options (in its order, with its messages), and the payload
 * restored as the app signed it.
 */
import type { DecodedToken } from '../../tokens/decode.js'
import { JsonWebTokenError, NotBeforeError, TokenExpiredError } from './errors.js'
import { RESTORE_CLAIM, type VerifyOptions } from './options.js'

const toDate = (seconds: unknown) => new Date(Number(seconds) * 1000)

/**
 * jws's `decode`, which jsonwebtoken's `decode` and `verify` use: the header must be JSON (any
 * truthy value), the payload is text unless it parses to an object. A header with `typ: "JWT"`
 * and a payload that is not JSON throws a SyntaxError, as it does there.
 */
export function decodeLikeJsonwebtoken(token: unknown, json = false): DecodedToken | null {
  if (typeof token !== 'string') return null
  if (!/^[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?$/.test(token)) return null
  const [h, p, signature] = token.split('.') as [string, string, string]
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(h, 'base64').toString('binary'))
  } catch {
    return null
  }
  if (!header) return null
  const text = Buffer.from(p, 'base64').toString('utf8')
  let payload: unknown = text
  if ((header as { typ?: unknown }).typ === 'JWT' || json) payload = JSON.parse(text)
  if (typeof payload === 'string') {
    try {
      const parsed: unknown = JSON.parse(payload)
      if (parsed !== null && typeof parsed === 'object') payload = parsed
    } catch {
      // not JSON: jsonwebtoken returns the text
    }
  }
  return { header, payload, signature } as DecodedToken
}

/** The payload as the app signed it: without the claims this layer added for revocable. */
export function restorePayload<T>(payload: T): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload
  const claims = payload as Record<string, unknown>
  const restore = claims[RESTORE_CLAIM] as { add?: unknown; sub?: unknown } | undefined
  if (restore === null || typeof restore !== 'object') return payload
  const out: Record<string, unknown> = { ...claims }
  delete out[RESTORE_CLAIM]
  if (Array.isArray(restore.add)) for (const claim of restore.add) delete out[String(claim)]
  if (typeof restore.sub === 'number' && out.sub === String(restore.sub)) out.sub = restore.sub
  return out as T
}

/**
 * jsonwebtoken's checks on the token as a string, in its order, before any signature: what it
 * answers to an empty, non-string, malformed or unsigned token.
 */
export function checkTokenShape(token: unknown, algorithms: readonly string[]): void {
  if (!token) throw new JsonWebTokenError('jwt must be provided')
  if (typeof token !== 'string') throw new JsonWebTokenError('jwt must be a string')
  const parts = token.split('.')
  if (parts.length !== 3) throw new JsonWebTokenError('jwt malformed')
  const decoded = decodeLikeJsonwebtoken(token) // a SyntaxError propagates, as there
  if (decoded === null) throw new JsonWebTokenError('invalid token')
  if ((parts[2] as string).trim() === '') throw new JsonWebTokenError('jwt signature is required')
  if (!algorithms.includes(decoded.header.alg as string)) {
    throw new JsonWebTokenError('invalid algorithm')
  }
}

/** jsonwebtoken's time checks, in its order (`nbf`, then `exp`), with its tolerance. */
export function checkTimes(
  claims: Record<string, unknown>,
  nowMs: number,
  tolerance: number,
): void {
  const now = Math.floor(nowMs / 1000)
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number') throw new JsonWebTokenError('invalid nbf value')
    if (claims.nbf > now + tolerance) {
      throw new NotBeforeError('jwt not active', toDate(claims.nbf))
    }
  }
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number') throw new JsonWebTokenError('invalid exp value')
    if (now >= claims.exp + tolerance) {
      throw new TokenExpiredError('jwt expired', toDate(claims.exp))
    }
  }
}

/** The issued-token record: jwt-redis's label (when it expires) and the token's `exp`. */
export interface IssuedRecord {
  /** When jwt-redis's label for the token would expire, in ms. */
  readonly until: number
  /** The token's `exp`, in seconds. */
  readonly exp: number
}

export function parseIssued(text: string | null): IssuedRecord | undefined {
  if (text === null) return undefined
  try {
    const record = JSON.parse(text) as Partial<IssuedRecord>
    if (typeof record.until === 'number' && typeof record.exp === 'number') {
      return record as IssuedRecord
    }
  } catch {
    // an unreadable record counts as none
  }
  return undefined
}

export function checkVerifyOptions(claims: Record<string, unknown>, options: VerifyOptions): void {
  if (options.audience !== undefined) {
    const wanted = Array.isArray(options.audience) ? options.audience : [options.audience]
    const have = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (!have.some((aud) => wanted.includes(aud as string))) {
      throw new JsonWebTokenError(`jwt audience invalid. expected: ${wanted.join(' or ')}`)
    }
  }
  if (options.issuer !== undefined) {
    const wanted = Array.isArray(options.issuer) ? options.issuer : [options.issuer]
    if (!wanted.includes(claims.iss as string)) {
      throw new JsonWebTokenError(`jwt issuer invalid. expected: ${wanted.join(',')}`)
    }
  }
  if (options.subject !== undefined && claims.sub !== options.subject) {
    throw new JsonWebTokenError(`jwt subject invalid. expected: ${options.subject}`)
  }
  if (options.jwtid !== undefined && claims.jti !== options.jwtid) {
    throw new JsonWebTokenError(`jwt jwtid invalid. expected: ${options.jwtid}`)
  }
}
