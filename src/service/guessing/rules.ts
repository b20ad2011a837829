/**
 * The lockout rule, pure: from a failure count and the time of the last failure, how long an
 * identity (a username and IP pair, a username, an IP) must wait. Below the threshold nothing
 * waits; at it the first lock starts, and every further failure doubles it up to the maximum
 * (Keycloak's "wait increment" with Auth0's per-pair counting). Attempts refused while locked
 * are not counted, so the lock never grows by itself.
 */

/** Failures of one identity, as the counter store keeps them. */
export interface FailureCount {
  readonly count: number
  /** ms since the epoch of the last counted failure. */
  readonly lastAt: number
}

export interface LockRule {
  /** Failures that start the first lock. */
  readonly threshold: number
  readonly lockMs: number
  readonly maxLockMs: number
}

/** Until when (ms) the identity is locked; 0 when it is not. */
export function lockedUntil(failures: FailureCount | undefined, rule: LockRule): number {
  if (failures === undefined || failures.count < rule.threshold) return 0
  const doublings = Math.min(failures.count - rule.threshold, 30)
  return failures.lastAt + Math.min(rule.lockMs * 2 ** doublings, rule.maxLockMs)
}

/** Whole seconds to wait at `now` (the `Retry-After` value); 0 when not locked. */
export function retryAfterSeconds(
  failures: FailureCount | undefined,
  rule: LockRule,
  now: number,
): number {
  return Math.max(0, Math.ceil((lockedUntil(failures, rule) - now) / 1000))
}

/** A count still within the window, or undefined once it is forgotten. */
export function liveCount(
  failures: FailureCount | undefined,
  now: number,
  windowMs: number,
): FailureCount | undefined {
  return failures !== undefined && now - failures.lastAt < windowMs ? failures : undefined
}
