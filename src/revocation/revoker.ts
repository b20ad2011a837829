import type { ResolvedOptions } from '../options.js'
import { instantAfter } from '../records/cutoff.js'
import { callStore } from '../stores/call-store.js'
import type { Change } from '../stores/change-feed.js'
import type { RevocationQuery, RevocationStatus, SessionRecord, Store } from '../stores/store.js'

// Kept importable from here for existing callers; it lives in stores/call-store.ts.
export { callStore }

type RevokerOptions = Pick<
  ResolvedOptions,
  'clock' | 'clockTolerance' | 'maxAccessTokenTtl' | 'mode'
>

/**
 * The write side of revocation: turns "revoke X" into store entries whose lifetime is exactly as
 * long as a token they deny could still be accepted, so the state never grows without bound.
 */
export class Revoker {
  readonly #store: Store
  readonly #options: RevokerOptions
  readonly #announce: (change: Change) => void
  /** Cutoffs this process set that still lie at or after its clock, per user (bounded: swept). */
  readonly #recentCutoffs = new Map<string, number>()
  #latestEpoch: number | undefined

  /**
   * `announce` hears every change this process made, once the store has it: the local replica
   * applies it at once, so an instance always honours its own revocations (read-your-writes),
   * without waiting for the feed.
   */
  constructor(
    store: Store,
    options: RevokerOptions,
    announce: (change: Change) => void = () => {},
  ) {
    this.#store = store
    this.#options = options
    this.#announce = announce
  }

  /** Tells the local replica about a change some other store call made (a session it ended). */
  announce(change: Change): void {
    this.#announce(change)
  }

  /** Announces sessions that a store call ended (evicted, reused, revoked with their user). */
  announceSessionsEnded(sessions: readonly Pick<SessionRecord, 'sid'>[]): void {
    const expiresAt = this.sessionRevocationExpiry()
    for (const { sid } of sessions) this.#announce({ kind: 'session', sid, expiresAt })
  }

  /** Milliseconds a token can still be accepted after it was issued. */
  get #tokenLifetimeMs(): number {
    return (this.#options.maxAccessTokenTtl + this.#options.clockTolerance) * 1000
  }

  /** Until when a session revocation made now must be kept: every token of it is gone by then. */
  sessionRevocationExpiry(): number {
    return this.#options.clock() + this.#tokenLifetimeMs
  }

  /**
   * The issue instant of a login or token of `sub`, taken before any I/O: now, but strictly after
   * the cutoffs this process set for that user and the epoch, so a login that follows
   * `revokeUser` within the same millisecond still works. Per user: another user's revocation
   * never moves it.
   */
  issueInstant(sub: string): number {
    return instantAfter(this.#options.clock(), {
      user: this.#recentCutoffs.get(sub),
      epoch: this.#latestEpoch,
    })
  }

  /**
   * The default cutoff of `revokeUser(sub)`: now, but no earlier than any instant this process
   * has stamped on a login of `sub` (instants run a millisecond ahead of the clock right after a
   * revocation), so every login that began before the call is covered.
   */
  nextUserCutoff(sub: string): number {
    return this.issueInstant(sub)
  }

  /** The default epoch of `revokeAll`: now, but no earlier than any instant already stamped. */
  #nextEpoch(): number {
    let epoch = instantAfter(this.#options.clock(), { user: undefined, epoch: this.#latestEpoch })
    for (const cutoff of this.#recentCutoffs.values()) epoch = Math.max(epoch, cutoff + 1)
    return epoch
  }

  #rememberCutoff(sub: string, cutoff: number): void {
    const now = this.#options.clock()
    // A cutoff in the past no longer moves any instant: forget it, so the map stays small.
    for (const [user, value] of this.#recentCutoffs)
      if (value < now) this.#recentCutoffs.delete(user)
    if (cutoff >= now)
      this.#recentCutoffs.set(sub, Math.max(cutoff, this.#recentCutoffs.get(sub) ?? cutoff))
  }

  /** Denies one jti. `exp` (seconds) bounds the entry; without it, the longest token lifetime does. */
  async revokeJti(jti: string, exp?: number): Promise<void> {
    const now = this.#options.clock()
    const expiresAt =
      exp === undefined ? now + this.#tokenLifetimeMs : (exp + this.#options.clockTolerance) * 1000
    if (expiresAt <= now) return // the token can no longer be accepted anyway
    await callStore('revoke a token', () => this.#store.revokeJti(jti, expiresAt))
    this.#announce({ kind: 'jti', jti, expiresAt })
  }

  /** Denies a session's tokens and ends it; resolves to the ended record, if it existed. */
  async revokeSession(sid: string): Promise<SessionRecord | undefined> {
    const expiresAt = this.sessionRevocationExpiry()
    const ended = await callStore('revoke a session', () =>
      this.#store.revokeSession(sid, expiresAt),
    )
    this.#announce({ kind: 'session', sid, expiresAt })
    return ended
  }

  /** Denies a user's tokens issued at or before `cutoff` and ends the sessions started by then. */
  async revokeUser(sub: string, cutoff: number, everySession = false): Promise<SessionRecord[]> {
    this.#rememberCutoff(sub, cutoff)
    // Tokens issued at or before the cutoff are all gone one token lifetime after it; the entry
    // is still written when that has passed, since the sessions must end all the same.
    const expiresAt = Math.max(cutoff + this.#tokenLifetimeMs, this.#options.clock() + 1000)
    const ended = await callStore('revoke a user', () =>
      this.#store.revokeUser(sub, cutoff, expiresAt, everySession),
    )
    // With `everySession` the store raised the cutoff to the latest session it ended: a login
    // from here on must be stamped after that one.
    const applied = Math.max(cutoff, ...ended.map((session) => session.createdAt))
    this.#rememberCutoff(sub, applied)
    this.#announce({ kind: 'user', sub, cutoff: applied, expiresAt })
    this.announceSessionsEnded(ended)
    return ended
  }

  async revokeAll(): Promise<number> {
    const cutoff = this.#nextEpoch()
    this.#latestEpoch = Math.max(cutoff, this.#latestEpoch ?? cutoff)
    await callStore('revoke all tokens', () => this.#store.setEpoch(cutoff))
    this.#announce({ kind: 'epoch', cutoff })
    return cutoff
  }

  /**
   * What the store holds about one token. Only allowlist mode reads `sessionActive`: in denylist
   * mode the store is told it may skip the session (on SQLite, a smaller query).
   */
  status(query: RevocationQuery): Promise<RevocationStatus> {
    const asked = this.#options.mode === 'allowlist' ? query : { ...query, needsSession: false }
    return callStore('check revocation', () => this.#store.checkRevocation(asked))
  }
}
