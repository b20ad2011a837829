import { isCutOff, type Cutoffs } from './cutoff.js'
import { hashesEqual } from './hash.js'
import { sessionExpiry, type SessionRecord } from './session.js'

/** How many spent refresh-token hashes a session remembers for reuse detection. */
export const SPENT_HISTORY = 16

/** What a store must know to rotate a refresh token in one atomic step. */
export interface RotationRequest {
  readonly sid: string
  readonly presentedHash: string
  /** Hash of the refresh token that replaces the presented one. */
  readonly newHash: string
  /** The client presenting the token; must equal the session's. */
  readonly clientId: string | undefined
  readonly now: number
  readonly reuseGraceMs: number
  readonly idleTtlMs: number
  readonly retentionMs: number
  /** Expiry of the session revocation entry written when reuse is detected. */
  readonly revocationExpiresAt: number
  /** The new token sealed under the presented one (`sealHeir`), kept for a retry. */
  readonly sealedHeir?: string
  /** How long after a rotation a repeat of it gets the same heir back (`retried`). Default 0. */
  readonly retryWindowMs?: number
}

export type RotationOutcome =
  'rotated' | 'retried' | 'revoked' | 'grace' | 'reused' | 'unknown' | 'expired' | 'client-mismatch'

export interface RotationDecision {
  readonly outcome: RotationOutcome
  /** The record to write back, for `rotated` and `grace` (and, unchanged, for `retried`). */
  readonly next?: SessionRecord
}

export interface RotationResult {
  readonly outcome: RotationOutcome
  /** The record after rotation; for `reused` and `expired`, the record as it was. */
  readonly session?: SessionRecord
}

/**
 * The refresh rules (RFC 9700 §4.14.2), pure so that every store applies exactly these inside its
 * own atomic step. In order:
 * - a token the session never issued is `unknown`: nothing is touched (a guess must not be able
 *   to kill someone's session);
 * - a token presented by another client is `client-mismatch`: nothing is touched;
 * - a session cut off (started at or before its user's cutoff or the global epoch) is `revoked`;
 * - a session past its idle or absolute expiry is `expired`;
 * - the current token `rotated`: it becomes spent, a new one is current;
 * - the immediately previous token within `retryWindowMs` of its rotation, while its heir is
 *   still unused, is `retried` (the answer was lost: a 503, a timeout, a crash): nothing changes
 *   and the caller answers with the same heir, opened from `sealedHeir`;
 * - the immediately previous token within `reuseGraceMs` of its rotation is `grace` (the client
 *   lost the response): it rotates again, and the token it never received becomes spent;
 * - any other spent token is `reused`: the caller's store ends the session.
 */
export function decideRotation(
  session: SessionRecord | undefined,
  request: RotationRequest,
  cutoffs: Cutoffs,
): RotationDecision {
  if (session === undefined || session.refreshHash === undefined) return { outcome: 'unknown' }
  const current = hashesEqual(request.presentedHash, session.refreshHash)
  const spentIndex = current
    ? -1
    : session.spentHashes.findIndex((hash) => hashesEqual(request.presentedHash, hash))
  if (!current && spentIndex < 0) return { outcome: 'unknown' }
  if (request.clientId !== session.clientId) return { outcome: 'client-mismatch' }
  if (isCutOff(session.createdAt, cutoffs)) return { outcome: 'revoked' }
  if (request.now >= session.expiresAt) return { outcome: 'expired' }

  const retried =
    spentIndex === 0 &&
    session.sealedHeir !== undefined &&
    (request.retryWindowMs ?? 0) > 0 &&
    request.now - session.rotatedAt <= (request.retryWindowMs ?? 0)
  if (retried) return { outcome: 'retried', next: session }

  const withinGrace =
    spentIndex === 0 &&
    request.reuseGraceMs > 0 &&
    request.now - session.rotatedAt <= request.reuseGraceMs
  if (!current && !withinGrace) return { outcome: 'reused' }

  const { expiresAt, purgeAt } = sessionExpiry(
    request.now,
    session.absoluteExpiresAt,
    request.idleTtlMs,
    request.retentionMs,
  )
  const next: SessionRecord = {
    ...session,
    lastUsedAt: request.now,
    expiresAt,
    purgeAt,
    refreshHash: request.newHash,
    sealedHeir: request.sealedHeir,
    // A grace retry keeps the window anchored at the first rotation, so retries cannot extend it.
    rotatedAt: current ? request.now : session.rotatedAt,
    spentHashes: current
      ? [session.refreshHash, ...session.spentHashes].slice(0, SPENT_HISTORY)
      : [
          session.spentHashes[0] as string,
          session.refreshHash,
          ...session.spentHashes.slice(1),
        ].slice(0, SPENT_HISTORY),
  }
  return { outcome: current ? 'rotated' : 'grace', next }
}
