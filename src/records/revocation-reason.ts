import type { RevocationReason } from '../errors.js'

/**
 * `denylist`: a token is good unless something revoked it; `allowlist`: its session must also be
 * active in the store.
 */
export type RevocationMode = 'denylist' | 'allowlist'

export interface RevocationQuery {
  /** The verifier's now (ms), for whether the session is still active. */
  readonly now: number
  readonly jti: string
  readonly sid: string
  readonly sub: string
  readonly kid: string
  /**
   * Whether the caller reads `sessionActive` (allowlist mode does). Default true. When false
   * (denylist mode), a store may leave the session unread and report `sessionActive: false`.
   */
  readonly needsSession?: boolean
}

export interface RevocationStatus {
  readonly jtiRevoked: boolean
  readonly sessionRevoked: boolean
  /** Tokens of this user issued at or before this instant (ms) are revoked. */
  readonly userCutoff: number | undefined
  /** Every token issued at or before this instant (ms) is revoked. */
  readonly epoch: number | undefined
  readonly kidRetired: boolean
  /** Whether the session exists for this sub and is active (what allowlist mode requires). */
  readonly sessionActive: boolean
  /** Whether the user is suspended at the query's `now` (`isSuspended`, records/user-state.ts). */
  readonly userSuspended: boolean
  /** Tokens of this user issued at or before this instant (ms) carry changed claims. */
  readonly claimsCutoff: number | undefined
}

/**
 * Decides whether a verified token is revoked, given what the store holds. Pure.
 *
 * The cutoff rule: a token is revoked by a user cutoff or the global epoch when its origin
 * instant is at or before the cutoff. `originMs` is `revocationOriginMs(claims)`
 * (tokens/claims.ts): the issue instant at millisecond precision (`iat_ms`; whole-second `iat`
 * could not tell a login in the same second as `revokeUser` from one before it), or the session's
 * start (`auth_time_ms`) when earlier: the session is what the cutoff ends.
 *
 * @example
 * revocationReason(1000, { ...status, userCutoff: 1000 }, 'denylist') // 'user'
 */
export function revocationReason(
  originMs: number,
  status: RevocationStatus,
  mode: RevocationMode,
): RevocationReason | undefined {
  if (status.jtiRevoked) return 'token'
  if (status.sessionRevoked) return 'session'
  if (status.epoch !== undefined && originMs <= status.epoch) return 'global'
  if (status.userCutoff !== undefined && originMs <= status.userCutoff) return 'user'
  if (mode === 'allowlist' && !status.sessionActive) return 'session-inactive'
  return undefined
}
