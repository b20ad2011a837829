import type { RevocationReason } from '../errors.js'
import type { Mode } from '../options.js'
import type { RevocationStatus } from '../stores/store.js'
import { revocationOriginMs, type AccessTokenClaims } from '../tokens/claims.js'

/**
 * Decides whether verified claims are revoked, given what the store holds. Pure.
 *
 * The cutoff rule: a token is revoked by a user cutoff or the global epoch when its issue instant
 * (`issuedAtMs`: `iat_ms`, millisecond precision) is at or before the cutoff. Whole-second `iat`
 * could not tell a login in the same second as `revokeUser` from one before it. A session's token
 * counts from the session's start (`auth_time_ms`): the session is what the cutoff ends.
 */
export function revocationReason(
  claims: AccessTokenClaims,
  status: RevocationStatus,
  mode: Mode,
): RevocationReason | undefined {
  if (status.jtiRevoked) return 'token'
  if (status.sessionRevoked) return 'session'
  const origin = revocationOriginMs(claims)
  if (status.epoch !== undefined && origin <= status.epoch) return 'global'
  if (status.userCutoff !== undefined && origin <= status.userCutoff) return 'user'
  if (mode === 'allowlist' && !status.sessionActive) return 'session-inactive'
  return undefined
}
