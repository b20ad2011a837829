import { isCutOff, type Cutoffs } from './cutoff.js'

/*
 * The records layer (src/records/): the types a store persists and the pure decisions on them.
 * It imports nothing from src/ but errors.ts and clock.ts, so stores, sessions, revocation and the
 * service all apply the same rules instead of copying them (test/unit/layers.test.ts holds it so).
 */

/** Where a session was started from, as the application describes it. */
export interface DeviceInfo {
  readonly userAgent?: string
  readonly ip?: string
  /** A human label ("Firefox on laptop"). */
  readonly label?: string
}

/** A session: one login on one device, with its refresh-token family. */
export interface SessionRecord {
  readonly sid: string
  readonly sub: string
  readonly clientId: string | undefined
  readonly scope: string | undefined
  /** Extra claims every access token of the session carries. */
  readonly claims: Readonly<Record<string, unknown>> | undefined
  readonly device: DeviceInfo | undefined
  readonly createdAt: number
  /**
   * When the user last authenticated on this session (ms): `createdAt`, or the last
   * `reauthenticate`. Access tokens carry it as `auth_time` (seconds). Absent: `createdAt`.
   */
  readonly authTime?: number
  readonly lastUsedAt: number
  /** Active while `now < expiresAt`: the earlier of the absolute and the idle expiry. */
  readonly expiresAt: number
  readonly absoluteExpiresAt: number
  /** The store may forget the record from then on. */
  readonly purgeAt: number
  /** SHA-256 of the current refresh token; undefined for a session that has none. */
  readonly refreshHash: string | undefined
  /** When the current refresh token was issued. */
  readonly rotatedAt: number
  /** Hashes of spent refresh tokens, newest first, at most `SPENT_HISTORY`. */
  readonly spentHashes: readonly string[]
  /**
   * The current refresh token sealed under the one it replaced (`sealHeir`), so a retry of the
   * last rotation gets the same token back; unusable without the old token. Absent before the
   * first rotation.
   */
  readonly sealedHeir?: string
}

/**
 * Until when a session is active (the earlier of its absolute and idle expiry) and until when the
 * store keeps its record (a while longer, so a late refresh hears "expired", not "unknown").
 */
export function sessionExpiry(
  lastUsedAt: number,
  absoluteExpiresAt: number,
  idleTtlMs: number,
  retentionMs: number,
): { expiresAt: number; purgeAt: number } {
  const expiresAt = Math.min(absoluteExpiresAt, lastUsedAt + idleTtlMs)
  return { expiresAt, purgeAt: expiresAt + retentionMs }
}

/**
 * Whether a session may still be used: not past its expiry, and not cut off (started at or
 * before its user's cutoff or the global epoch: `isCutOff`).
 */
export function isSessionActive(
  session: Pick<SessionRecord, 'createdAt' | 'expiresAt'>,
  now: number,
  cutoffs: Cutoffs,
): boolean {
  return now < session.expiresAt && !isCutOff(session.createdAt, cutoffs)
}
