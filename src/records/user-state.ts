/**
 * The per-user state that lives beside sessions and cutoffs (issue #15): a suspension, and the
 * instant the user's claims last changed. Records and the rules on them, pure, at the bottom of
 * the layers: every store persists these shapes and every store, the replica and the verbs
 * decide with these functions, never with a copy of them.
 */

/** A suspension as the store keeps it (ms instants). */
export interface SuspensionRecord {
  /** When it was imposed. */
  readonly since: number
  /** When it ends by itself; undefined: until lifted. */
  readonly until?: number
  readonly reason?: string
  readonly actor?: string
}

/** What a store holds about one user beside sessions and revocation cutoffs. */
export interface UserStateRecord {
  readonly suspension?: SuspensionRecord
  /**
   * Access tokens of the user issued at or before this instant (ms) carry claims that have
   * changed since: they are refused with ERR_CLAIMS_CHANGED (sessions stay valid).
   */
  readonly claimsCutoff?: number
}

export const NO_USER_STATE: UserStateRecord = Object.freeze({})

/**
 * Whether a suspension is in force at `now`: imposed, and its `until` (if any) not reached.
 *
 * @example
 * isSuspended({ since: 0, until: 1000 }, 999) // true
 * isSuspended({ since: 0, until: 1000 }, 1000) // false: lifted on time
 */
export function isSuspended(suspension: SuspensionRecord | undefined, now: number): boolean {
  return suspension !== undefined && (suspension.until === undefined || now < suspension.until)
}

/**
 * Whether a token issued at `issuedAtMs` predates the user's last claims change. At the cutoff
 * counts as before it, as with every other cutoff (records/cutoff.ts).
 *
 * @example
 * claimsChangedSince(1000, 1000) // true
 * claimsChangedSince(1001, 1000) // false: minted after the change
 */
export function claimsChangedSince(issuedAtMs: number, claimsCutoff: number | undefined): boolean {
  return claimsCutoff !== undefined && issuedAtMs <= claimsCutoff
}

/**
 * The issue instant of a token of a user whose claims changed at `claimsCutoff`: no earlier than
 * one past it, so a token minted in the same millisecond after the change is accepted.
 *
 * @example
 * instantAfterClaimsChange(1000, 1000) // 1001
 */
export function instantAfterClaimsChange(
  instant: number,
  claimsCutoff: number | undefined,
): number {
  return claimsCutoff === undefined ? instant : Math.max(instant, claimsCutoff + 1)
}

/**
 * Until when a store must keep a suspension record: forever without `until` (undefined), else
 * `until` (from then on it decides nothing).
 */
export function suspensionExpiry(suspension: SuspensionRecord): number | undefined {
  return suspension.until
}
