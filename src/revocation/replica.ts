import type { Change } from '../stores/change-feed.js'
import type { RevocationQuery, RevocationStatus } from '../records/revocation-reason.js'
import { isSessionActive } from '../records/session.js'
import { ExpiringIdSet } from './expiring-id-set.js'
import { isSuspended, type UserStateRecord } from '../records/user-state.js'

/** A user's suspension and claims cutoff as the feed brought them (records/user-state.ts). */
interface UserStateEntry {
  suspension?: { since: number; until?: number }
  claimsCutoff?: number
  claimsExpiresAt?: number
}

interface ActiveSession {
  sub: string
  createdAt: number
  expiresAt: number
}

/** What the replica knows about one token, as the store would have answered. */
export interface ReplicaAnswer {
  readonly status: RevocationStatus
  /**
   * False when the replica has not seen the session (allowlist mode needs it): it only learns of
   * sessions started or refreshed within the feed's retention, so the store has to be asked.
   */
  readonly sessionKnown: boolean
}

/**
 * This process's copy of the revocation state, fed by the change feed: revoked jtis and
 * sessions (compact hash sets), user cutoffs, the epoch, retired kids, and sessions seen active.
 * `check` answers what `Store.checkRevocation` would, from memory. Pure state: no I/O.
 */
export class Replica {
  #jtis = new ExpiringIdSet()
  #revokedSessions = new ExpiringIdSet()
  #users = new Map<string, { cutoff: number; expiresAt: number }>()
  #retired = new Set<string>()
  #active = new Map<string, ActiveSession>()
  #states = new Map<string, UserStateEntry>()
  #epoch: number | undefined
  /** Changes applied while a fresh replica loads (`beginLoad`): replayed onto it at the swap. */
  #duringLoad: Change[] | undefined

  apply(change: Change): void {
    this.#duringLoad?.push(change)
    switch (change.kind) {
      case 'jti':
        this.#jtis.add(change.jti, change.expiresAt)
        return
      case 'session':
        this.#revokedSessions.add(change.sid, change.expiresAt)
        this.#active.delete(change.sid)
        return
      case 'user': {
        const current = this.#users.get(change.sub)
        this.#users.set(change.sub, {
          cutoff: Math.max(change.cutoff, current?.cutoff ?? change.cutoff),
          expiresAt: Math.max(change.expiresAt, current?.expiresAt ?? change.expiresAt),
        })
        return
      }
      case 'epoch':
        this.#epoch = Math.max(change.cutoff, this.#epoch ?? change.cutoff)
        return
      case 'retired':
        this.#retired.add(change.kid)
        return
      case 'key': // the key ring's business (Revocable reloads it), not revocation state
        return
      case 'suspension': {
        const entry = this.#states.get(change.sub) ?? {}
        // Only `until` decides anything here; `since` is the store's business.
        entry.suspension =
          change.until === undefined ? { since: 0 } : { since: 0, until: change.until }
        this.#states.set(change.sub, entry)
        return
      }
      case 'reinstated': {
        const entry = this.#states.get(change.sub)
        if (entry !== undefined) delete entry.suspension
        return
      }
      case 'claims': {
        const entry = this.#states.get(change.sub) ?? {}
        entry.claimsCutoff = Math.max(change.cutoff, entry.claimsCutoff ?? change.cutoff)
        entry.claimsExpiresAt = Math.max(
          change.expiresAt,
          entry.claimsExpiresAt ?? change.expiresAt,
        )
        this.#states.set(change.sub, entry)
        return
      }
      case 'session-active': {
        const { sub, createdAt, expiresAt } = change
        this.#active.set(change.sid, { sub, createdAt, expiresAt })
        return
      }
    }
  }

  check(query: RevocationQuery): ReplicaAnswer {
    // An empty map is not asked: a lookup hashes the key, and most replicas hold few or none.
    const user = this.#users.size === 0 ? undefined : this.#users.get(query.sub)
    const session = this.#active.size === 0 ? undefined : this.#active.get(query.sid)
    const userCutoff = user !== undefined && user.expiresAt > query.now ? user.cutoff : undefined
    const state = this.#states.size === 0 ? undefined : this.#states.get(query.sub)
    return {
      status: {
        jtiRevoked: this.#jtis.has(query.jti, query.now),
        sessionRevoked: this.#revokedSessions.has(query.sid, query.now),
        userCutoff,
        epoch: this.#epoch,
        kidRetired: this.#retired.has(query.kid),
        sessionActive:
          session !== undefined &&
          session.sub === query.sub &&
          isSessionActive(session, query.now, { user: userCutoff, epoch: this.#epoch }),
        userSuspended: state !== undefined && isSuspended(state.suspension, query.now),
        claimsCutoff:
          state !== undefined && (state.claimsExpiresAt ?? 0) > query.now
            ? state.claimsCutoff
            : undefined,
      },
      sessionKnown: session !== undefined,
    }
  }

  /** What the replica knows of a user's suspension and claims cutoff at `now`. */
  userState(sub: string, now: number): UserStateRecord {
    const state = this.#states.get(sub)
    if (state === undefined) return {}
    const claims = (state.claimsExpiresAt ?? 0) > now ? state.claimsCutoff : undefined
    return {
      ...(state.suspension !== undefined && { suspension: state.suspension }),
      ...(claims !== undefined && { claimsCutoff: claims }),
    }
  }

  /** Forgets everything (before a resynchronisation). */
  clear(): void {
    this.#jtis.clear()
    this.#revokedSessions.clear()
    this.#users.clear()
    this.#retired.clear()
    this.#active.clear()
    this.#states.clear()
    this.#epoch = undefined
  }

  /** Sizes the jti set for `count` entries at once (a snapshot says how many are coming). */
  reserve(count: number): void {
    if (this.#jtis.size === 0)
      this.#jtis = new ExpiringIdSet(Math.max(1024, Math.ceil(count / 0.75)))
  }

  /** A fresh replica starts loading: changes applied here from now on are kept for it. */
  beginLoad(): void {
    this.#duringLoad = []
  }

  /** The load failed: stop keeping changes for it. */
  abandonLoad(): void {
    this.#duringLoad = undefined
  }

  /**
   * Takes over everything `loaded` holds, in one step (a resynchronisation loads a fresh replica
   * while this one keeps answering), plus what was applied here since `beginLoad`; `loaded` must
   * not be used afterwards.
   */
  replaceWith(loaded: Replica): void {
    // This instance's own revocations made during the load (applied here at once) may have
    // missed the snapshot and come after its cursor: they must not vanish with the swap.
    for (const change of this.#duringLoad ?? []) loaded.apply(change)
    this.#duringLoad = undefined
    this.#jtis = loaded.#jtis
    this.#revokedSessions = loaded.#revokedSessions
    this.#users = loaded.#users
    this.#retired = loaded.#retired
    this.#active = loaded.#active
    this.#states = loaded.#states
    this.#epoch = loaded.#epoch
  }

  /** Drops expired entries. */
  sweep(nowMs: number): void {
    this.#jtis.sweep(nowMs)
    this.#revokedSessions.sweep(nowMs)
    for (const [sub, entry] of this.#users) if (entry.expiresAt <= nowMs) this.#users.delete(sub)
    for (const [sid, entry] of this.#active) if (entry.expiresAt <= nowMs) this.#active.delete(sid)
    for (const [sub, entry] of this.#states) {
      if (entry.suspension !== undefined && !isSuspended(entry.suspension, nowMs)) {
        delete entry.suspension
      }
      if ((entry.claimsExpiresAt ?? 0) <= nowMs) {
        delete entry.claimsCutoff
        delete entry.claimsExpiresAt
      }
      if (entry.suspension === undefined && entry.claimsCutoff === undefined) {
        this.#states.delete(sub)
      }
    }
  }

  /** Entry counts, for metrics. */
  size(): {
    jtis: number
    sessions: number
    users: number
    activeSessions: number
    userStates: number
  } {
    return {
      userStates: this.#states.size,
      jtis: this.#jtis.size,
      sessions: this.#revokedSessions.size,
      users: this.#users.size,
      activeSessions: this.#active.size,
    }
  }
}
