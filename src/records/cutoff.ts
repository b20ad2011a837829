/**
 * The one rule of "log out everywhere", pure so that every store applies exactly it inside its
 * own atomic step (the Redis scripts mirror it line for line):
 *
 *   a session of `sub` created at or before the user's cutoff, or at or before the global epoch,
 *   is dead: it cannot be created, rotated, listed or counted as active, and no token it minted
 *   is accepted.
 *
 * A session's `createdAt` is stamped when `startSession` is called, before any I/O, one past the
 * cutoffs this process set for that user in the same millisecond (`instantAfter`); the create
 * step, every rotation and every check apply `isCutOff` to it. So a `revokeUser` that resolves
 * after a login began kills that login, whatever order their store steps ran in, and a login that
 * begins after it resolves works at once.
 */

/** The cutoffs that apply to one user (ms instants; undefined: none). */
export interface Cutoffs {
  /** The user's cutoff: sessions and tokens of `sub` created at or before it are dead. */
  readonly user: number | undefined
  /** The global epoch: every session and token created at or before it is dead. */
  readonly epoch: number | undefined
}

export const NO_CUTOFFS: Cutoffs = Object.freeze({ user: undefined, epoch: undefined })

/**
 * Whether something of the user created at `createdAt` is dead under `cutoffs`.
 *
 * @example
 * isCutOff(1000, { user: 1000, epoch: undefined }) // true: at the cutoff is before it
 */
export function isCutOff(createdAt: number, cutoffs: Cutoffs): boolean {
  return (
    (cutoffs.user !== undefined && createdAt <= cutoffs.user) ||
    (cutoffs.epoch !== undefined && createdAt <= cutoffs.epoch)
  )
}

/**
 * The first instant at or after `now` that no cutoff in `cutoffs` covers: the per-user issue
 * instant. A login that follows `revokeUser` in the same millisecond is stamped one past the
 * cutoff, and only for that user.
 *
 * @example
 * instantAfter(1000, { user: 1000, epoch: 900 }) // 1001
 */
export function instantAfter(now: number, cutoffs: Cutoffs): number {
  return Math.max(now, (cutoffs.user ?? -Infinity) + 1, (cutoffs.epoch ?? -Infinity) + 1)
}

/**
 * Orders a login after the cutoffs it cannot order by time: a cutoff at or after `now` but less
 * than `uncertainty` ms ahead was set by another instance whose clock this one knows only to
 * within `uncertainty`; since it reached the store before this login did, the login comes after
 * it and is stamped one past it. With `uncertainty` 0 (one clock) nothing moves.
 *
 * @example
 * instantAfterNearby(1000, { user: 1002, epoch: undefined }, 3) // 1003
 */
export function instantAfterNearby(now: number, cutoffs: Cutoffs, uncertainty: number): number {
  let instant = now
  for (const cutoff of [cutoffs.user, cutoffs.epoch]) {
    if (cutoff !== undefined && cutoff >= now && cutoff - now < uncertainty) {
      instant = Math.max(instant, cutoff + 1)
    }
  }
  return instant
}
