import { isCutOff, type Cutoffs } from './cutoff.js'
import { SPENT_HISTORY } from './rotation.js'
import { sessionExpiry, type SessionRecord } from './session.js'

/** What a store must know to record a fresh authentication on a session in one atomic step. */
export interface ReauthenticationRequest {
  readonly sid: string
  /** Hash of the refresh token that replaces the session's current one. */
  readonly newHash: string
  /** The instant of the authentication: the session's new `authTime`. */
  readonly now: number
  readonly idleTtlMs: number
  readonly retentionMs: number
  /** Expiry of a session revocation a store writes when the session turns out to be dead. */
  readonly revocationExpiresAt: number
}

/**
 * The re-authentication rule, pure so every store applies exactly it inside its own atomic step:
 * a session that is active (not cut off, not expired) gets `authTime` = now, counts as used now,
 * and a new refresh token; the one it had becomes spent (presenting it later is reuse, as after
 * a rotation) and no retry heir survives. Anything else: undefined, nothing changes.
 *
 * @example
 * const next = decideReauthentication(session, request, cutoffs) // undefined: not active
 */
export function decideReauthentication(
  session: SessionRecord | undefined,
  request: ReauthenticationRequest,
  cutoffs: Cutoffs,
): SessionRecord | undefined {
  if (session === undefined || isCutOff(session.createdAt, cutoffs)) return undefined
  if (request.now >= session.expiresAt) return undefined
  const { expiresAt, purgeAt } = sessionExpiry(
    request.now,
    session.absoluteExpiresAt,
    request.idleTtlMs,
    request.retentionMs,
  )
  return {
    ...session,
    // No retry of the last rotation may hand out the heir it sealed: that token is spent now.
    sealedHeir: undefined,
    authTime: request.now,
    lastUsedAt: request.now,
    expiresAt,
    purgeAt,
    refreshHash: request.newHash,
    rotatedAt: request.now,
    spentHashes:
      session.refreshHash === undefined
        ? session.spentHashes
        : [session.refreshHash, ...session.spentHashes].slice(0, SPENT_HISTORY),
  }
}
