import { ClaimInvalid, TokenExpired, TokenNotYetValid } from '../errors.js'
import { toSeconds } from '../clock.js'

/** The claims of an access token (RFC 9068 shape) as `verify` returns them. */
export interface AccessTokenClaims {
  iss: string
  sub: string
  aud: string | string[]
  exp: number
  iat: number
  /**
   * Issue instant in milliseconds. `iat` is whole seconds, too coarse to order a login against a
   * revocation made in the same second; see `issuedAtMs`.
   */
  iat_ms?: number
  /**
   * When the token's session began (ms): its login. A user cutoff or the epoch at or after it
   * revokes the token whenever the token itself was minted (`revocationOriginMs`).
   */
  auth_time_ms?: number
  /**
   * When the user last authenticated (seconds, RFC 9068 §2.2.1): the login, or the session's
   * last `reauthenticate`. Refreshes keep it. Tokens from `issue()` have none.
   */
  auth_time?: number
  nbf?: number
  jti: string
  sid: string
  client_id?: string
  scope?: string
  [claim: string]: unknown
}

/** Claims `issue` sets itself; callers' extra claims may not override them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss',
  'sub',
  'aud',
  'exp',
  'iat',
  'iat_ms',
  'auth_time_ms',
  'auth_time',
  'nbf',
  'jti',
  'sid',
  'client_id',
  'scope',
])

export interface ClaimRules {
  readonly issuer: string
  /** Accepted audiences: the token's `aud` must contain at least one. */
  readonly audience: readonly string[]
  /** Seconds of clock skew tolerated on exp, nbf and iat. */
  readonly clockTolerance: number
  /** Seconds a token may live after its `iat`: longer-lived tokens are refused. */
  readonly maxTokenAge: number
}

// The checks take the claim's value, read by name at the call site: a load of a fixed name is
// a cached property access, a load by a variable key a dictionary lookup on every verify.
function requireString(value: unknown, claim: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new ClaimInvalid(claim, `"${claim}" claim must be a non-empty string`)
  }
  return value
}

function requireNumber(value: unknown, claim: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ClaimInvalid(claim, `"${claim}" claim must be a number`)
  }
  return value
}

function optionalString(value: unknown, claim: string): void {
  if (value !== undefined && typeof value !== 'string') {
    throw new ClaimInvalid(claim, `"${claim}" claim must be a string`)
  }
}

function audienceMatches(aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud)
  if (!Array.isArray(aud) || aud.length === 0) return false
  if (!aud.every((value) => typeof value === 'string')) return false
  return aud.some((value: string) => accepted.includes(value))
}

/**
 * Checks every claim of a payload whose signature has already been verified. Pure: the time is
 * passed in. Comparisons follow RFC 7519 and jose: a token is expired once `exp <= now - skew`.
 */
export function checkClaims(
  payload: Record<string, unknown>,
  rules: ClaimRules,
  nowMs: number,
): AccessTokenClaims {
  const now = toSeconds(nowMs)
  const skew = rules.clockTolerance

  if (payload.iss !== rules.issuer) throw new ClaimInvalid('iss', 'unexpected "iss" claim value')
  if (!audienceMatches(payload.aud, rules.audience)) {
    throw new ClaimInvalid('aud', 'unexpected "aud" claim value')
  }
  requireString(payload.sub, 'sub')
  requireString(payload.jti, 'jti')
  requireString(payload.sid, 'sid')
  optionalString(payload.client_id, 'client_id')
  optionalString(payload.scope, 'scope')

  requireNumber(payload.exp, 'exp')
  const iat = requireNumber(payload.iat, 'iat')
  if (payload.iat_ms !== undefined) {
    const iatMs = payload.iat_ms
    if (!Number.isSafeInteger(iatMs) || toSeconds(iatMs as number) !== iat) {
      throw new ClaimInvalid('iat_ms', '"iat_ms" claim must be an integer within the "iat" second')
    }
  }
  if (payload.auth_time_ms !== undefined) {
    const started = payload.auth_time_ms
    const issued = (payload.iat_ms as number | undefined) ?? iat * 1000 + 999
    if (!Number.isSafeInteger(started) || (started as number) > issued) {
      throw new ClaimInvalid(
        'auth_time_ms',
        '"auth_time_ms" claim must be an integer no later than the issue instant',
      )
    }
  }
  if (payload.auth_time !== undefined) {
    const authTime = payload.auth_time
    if (!Number.isSafeInteger(authTime) || (authTime as number) > iat) {
      throw new ClaimInvalid(
        'auth_time',
        '"auth_time" claim must be an integer no later than "iat"',
      )
    }
  }
  if (payload.nbf !== undefined) {
    const nbf = requireNumber(payload.nbf, 'nbf')
    if (nbf > now + skew) throw new TokenNotYetValid('nbf', 'token is not valid yet ("nbf")')
  }
  if (iat > now + skew) throw new TokenNotYetValid('iat', '"iat" claim lies in the future')
  const claims = payload as AccessTokenClaims
  assertNotExpired(claims, rules, nowMs)
  return claims
}

/**
 * The checks that a once-valid token can fail later, as time passes: `exp`, and the age limit
 * on `iat`. A cached token goes through these again on every use.
 */
export function assertNotExpired(
  claims: AccessTokenClaims,
  rules: ClaimRules,
  nowMs: number,
): void {
  const now = toSeconds(nowMs)
  if (claims.exp <= now - rules.clockTolerance) throw new TokenExpired()
  if (now - claims.iat - rules.clockTolerance > rules.maxTokenAge) {
    throw new TokenExpired(`token is older than ${rules.maxTokenAge} seconds ("iat")`)
  }
}

/**
 * The instant a token was issued, in milliseconds: `iat_ms` when the token carries it (every token
 * this library issues does), else the start of the `iat` second. Revocation cutoffs compare
 * against this value: a token issued at or before a cutoff is revoked. Taking the start of the
 * second for a token without `iat_ms` errs towards rejecting.
 */
export function issuedAtMs(claims: AccessTokenClaims): number {
  return claims.iat_ms ?? claims.iat * 1000
}

/**
 * The instant revocation cutoffs are compared with: when the token's session began
 * (`auth_time_ms`) if it says, else when the token was issued. A session that began at or before
 * a cutoff is dead (records/cutoff.ts), so a token a refresh minted for it after the cutoff, in
 * a rotation that raced the revocation, is revoked all the same.
 */
export function revocationOriginMs(claims: AccessTokenClaims): number {
  const issuedAt = issuedAtMs(claims)
  return claims.auth_time_ms === undefined ? issuedAt : Math.min(claims.auth_time_ms, issuedAt)
}
