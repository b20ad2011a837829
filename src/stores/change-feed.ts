/**
 * The change feed: every revocation a store records, in order, so a verifier can keep a local
 * replica instead of asking the store on every request. A store that can offer one implements
 * `Store.openChangeFeed` (Redis: a stream). Only denials travel through it, plus session
 * activity for allowlist mode; all of them expire, so the feed only has to remember one token
 * lifetime of history.
 */
export type Change =
  | { readonly kind: 'jti'; readonly jti: string; readonly expiresAt: number }
  /** A session was revoked (its tokens are denied until `expiresAt`). */
  | { readonly kind: 'session'; readonly sid: string; readonly expiresAt: number }
  | {
      readonly kind: 'user'
      readonly sub: string
      readonly cutoff: number
      readonly expiresAt: number
    }
  | { readonly kind: 'epoch'; readonly cutoff: number }
  | { readonly kind: 'retired'; readonly kid: string }
  /** A signing key was added to the store: instances reload their key ring. */
  | { readonly kind: 'key'; readonly kid: string }
  /** The user is suspended (records/user-state.ts) until `until`, or until reinstated. */
  | { readonly kind: 'suspension'; readonly sub: string; readonly until?: number }
  /** The user's suspension was lifted (or the user forgotten). */
  | { readonly kind: 'reinstated'; readonly sub: string }
  /** Tokens of `sub` issued at or before `cutoff` carry changed claims, until `expiresAt`. */
  | {
      readonly kind: 'claims'
      readonly sub: string
      readonly cutoff: number
      readonly expiresAt: number
    }
  /** A session was started or refreshed: active until `expiresAt` (allowlist mode). */
  | {
      readonly kind: 'session-active'
      readonly sid: string
      readonly sub: string
      readonly createdAt: number
      readonly expiresAt: number
    }

export interface FeedBatch {
  readonly changes: Change[]
  /** Where to continue reading from. */
  readonly cursor: string
}

export interface ChangeFeed {
  /**
   * Every change a new replica needs (all live history, plus the epoch and retired kids), and
   * the cursor to tail from.
   */
  snapshot(): Promise<FeedBatch>
  /**
   * Changes after `cursor`, waiting up to `blockMs` when there are none. Rejects with a
   * `FeedGap` when changes after `cursor` can no longer be read (trimmed, lost): the replica
   * must start over from a snapshot.
   */
  next(cursor: string, blockMs: number): Promise<FeedBatch>
  close(): Promise<void>
}

/** Changes after a cursor were lost; a replica has to resynchronise from a snapshot. */
export class FeedGap extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FeedGap'
  }
}
