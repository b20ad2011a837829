import type { SessionRecord } from './session.js'

/** The per-user session cap a store applies when it creates a session. */
export interface SessionLimit {
  /** Most active sessions a user may have (Infinity: no cap). */
  readonly max: number
  readonly onLimit: 'evict' | 'refuse'
  readonly now: number
  /** Expiry of the revocation entries of evicted sessions. */
  readonly revocationExpiresAt: number
}

/** What the cap allows for one more session: refuse it, or create it after ending `evict`. */
export type SessionCapDecision =
  { readonly refuse: true } | { readonly refuse: false; readonly evict: readonly SessionRecord[] }

/**
 * The session-cap rule, pure so that every store applies the same one inside its own atomic step
 * (the Redis script create-session.lua mirrors it): with `active` the user's active sessions
 * (`isSessionActive`), most recently used first, one more session fits when fewer than `max`
 * are active; otherwise `refuse` creates nothing and `evict` ends the least recently used ones,
 * least recently used first.
 *
 * @example
 * decideSessionCap([newer, older], { max: 2, onLimit: 'evict', ... }) // { refuse: false, evict: [older] }
 */
export function decideSessionCap(
  active: readonly SessionRecord[],
  limit: Pick<SessionLimit, 'max' | 'onLimit'>,
): SessionCapDecision {
  const excess = active.length + 1 - limit.max
  if (excess <= 0) return { refuse: false, evict: [] }
  if (limit.onLimit === 'refuse') return { refuse: true }
  return { refuse: false, evict: active.slice(-excess).reverse() }
}
