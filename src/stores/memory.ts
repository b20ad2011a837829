// The in-memory store: the whole Store contract in one class over Maps. Over 300 lines on purpose:
// each contract method is a few lines calling the shared rules in records/, and splitting the
// class would only scatter the Maps they share.
import { systemClock, type Clock } from '../clock.js'
import { isCutOff, type Cutoffs } from '../records/cutoff.js'
import { decideRotation, type RotationRequest, type RotationResult } from '../records/rotation.js'
import { isSessionActive } from '../records/session.js'
import { decideSessionCap } from '../records/session-cap.js'
import { isSuspended, type SuspensionRecord, type UserStateRecord } from '../records/user-state.js'
import {
  decideReauthentication,
  type ReauthenticationRequest,
} from '../records/reauthentication.js'
import type {
  CreateSessionResult,
  RevocationQuery,
  RevocationStatus,
  SessionLimit,
  SessionRecord,
  Store,
  StoredKey,
} from './store.js'

export interface MemoryStoreOptions {
  /** The clock that decides when entries are forgotten; pass the same one as `createRevocable`'s. */
  clock?: Clock
  /** Milliseconds between sweeps of expired entries. Default 60 000. */
  sweepInterval?: number
}

interface Expiring<T> {
  value: T
  expiresAt: number
}

/**
 * A store in this process's memory, for tests and single-process apps: nothing survives a
 * restart and nothing is shared between processes. Every operation runs without awaiting in
 * between, so each is atomic. Expired entries are ignored when read and swept periodically.
 */
export class MemoryStore implements Store {
  readonly #clock: Clock
  readonly #revokedJtis = new Map<string, Expiring<true>>()
  readonly #revokedSessions = new Map<string, Expiring<true>>()
  readonly #userCutoffs = new Map<string, Expiring<number>>()
  readonly #suspensions = new Map<string, Expiring<SuspensionRecord>>()
  readonly #claimsCutoffs = new Map<string, Expiring<number>>()
  readonly #sessions = new Map<string, Expiring<SessionRecord>>()
  readonly #sessionsByUser = new Map<string, Set<string>>()
  readonly #keys = new Map<string, StoredKey>()
  readonly #retiredKids = new Set<string>()
  readonly #leases = new Map<string, { owner: string; expiresAt: number }>()
  #epoch: number | undefined
  readonly #sweeper: NodeJS.Timeout

  constructor(options: MemoryStoreOptions = {}) {
    this.#clock = options.clock ?? systemClock
    const interval = options.sweepInterval ?? 60_000
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new TypeError('"sweepInterval" must be a positive number of milliseconds')
    }
    this.#sweeper = setInterval(() => this.sweep(), interval)
    this.#sweeper.unref()
  }

  #entry<T>(map: Map<string, Expiring<T>>, key: string): Expiring<T> | undefined {
    const entry = map.get(key)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#clock()) {
      map.delete(key)
      return undefined
    }
    return entry
  }

  #session(sid: string): SessionRecord | undefined {
    const entry = this.#sessions.get(sid)
    if (entry === undefined) return undefined
    if (entry.expiresAt <= this.#clock()) {
      this.#forgetSession(sid)
      return undefined
    }
    return entry.value
  }

  #saveSession(session: SessionRecord): void {
    this.#sessions.set(session.sid, { value: session, expiresAt: session.purgeAt })
    let sids = this.#sessionsByUser.get(session.sub)
    if (sids === undefined) this.#sessionsByUser.set(session.sub, (sids = new Set()))
    sids.add(session.sid)
  }

  #forgetSession(sid: string): SessionRecord | undefined {
    const session = this.#sessions.get(sid)?.value
    if (session === undefined) return undefined
    this.#sessions.delete(sid)
    const sids = this.#sessionsByUser.get(session.sub)
    sids?.delete(sid)
    if (sids?.size === 0) this.#sessionsByUser.delete(session.sub)
    return session
  }

  #endSession(sid: string, expiresAt: number): SessionRecord | undefined {
    const previous = this.#entry(this.#revokedSessions, sid)
    this.#revokedSessions.set(sid, {
      value: true,
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0),
    })
    const live = this.#session(sid)
    this.#forgetSession(sid)
    return live
  }

  #cutoffs(sub: string): Cutoffs {
    return { user: this.#entry(this.#userCutoffs, sub)?.value, epoch: this.#epoch }
  }

  #activeSessions(sub: string, now: number): SessionRecord[] {
    const sessions: SessionRecord[] = []
    const cutoffs = this.#cutoffs(sub)
    for (const sid of this.#sessionsByUser.get(sub) ?? []) {
      const session = this.#session(sid)
      if (session !== undefined && isSessionActive(session, now, cutoffs)) sessions.push(session)
    }
    return sessions.sort((a, b) => b.lastUsedAt - a.lastUsedAt)
  }

  /** Drops every expired entry now. Runs on a timer; public for tests. */
  sweep(): void {
    const now = this.#clock()
    const maps = [
      this.#revokedJtis,
      this.#revokedSessions,
      this.#userCutoffs,
      this.#suspensions,
      this.#claimsCutoffs,
    ]
    for (const map of maps) {
      for (const [key, entry] of map as Map<string, Expiring<unknown>>) {
        if (entry.expiresAt <= now) map.delete(key)
      }
    }
    for (const [sid, entry] of this.#sessions) {
      if (entry.expiresAt <= now) this.#forgetSession(sid)
    }
  }

  /** Number of entries of each kind still held (after a sweep). */
  size(): { jtis: number; revokedSessions: number; users: number; sessions: number } {
    this.sweep()
    return {
      jtis: this.#revokedJtis.size,
      revokedSessions: this.#revokedSessions.size,
      users: this.#userCutoffs.size,
      sessions: this.#sessions.size,
    }
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    const previous = this.#entry(this.#revokedJtis, jti)
    this.#revokedJtis.set(jti, {
      value: true,
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0),
    })
  }

  async revokeSession(sid: string, expiresAt: number): Promise<SessionRecord | undefined> {
    return copy(this.#endSession(sid, expiresAt))
  }

  async revokeUser(
    sub: string,
    requested: number,
    expiresAt: number,
    everySession = false,
  ): Promise<SessionRecord[]> {
    let cutoff = requested
    if (everySession) {
      for (const sid of this.#sessionsByUser.get(sub) ?? []) {
        cutoff = Math.max(cutoff, this.#session(sid)?.createdAt ?? cutoff)
      }
    }
    const previous = this.#entry(this.#userCutoffs, sub)
    this.#userCutoffs.set(sub, {
      value: Math.max(cutoff, previous?.value ?? cutoff),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? expiresAt),
    })
    const ended: SessionRecord[] = []
    const cutoffs = this.#cutoffs(sub)
    for (const sid of [...(this.#sessionsByUser.get(sub) ?? [])]) {
      const session = this.#session(sid)
      if (session !== undefined && isCutOff(session.createdAt, cutoffs)) {
        ended.push(session)
        this.#endSession(sid, expiresAt)
      }
    }
    return ended.map((session) => ({ ...session }))
  }

  async setEpoch(cutoff: number): Promise<void> {
    this.#epoch = Math.max(cutoff, this.#epoch ?? cutoff)
  }

  async checkRevocation(query: RevocationQuery): Promise<RevocationStatus> {
    const session = this.#session(query.sid)
    return {
      jtiRevoked: this.#entry(this.#revokedJtis, query.jti) !== undefined,
      sessionRevoked: this.#entry(this.#revokedSessions, query.sid) !== undefined,
      userCutoff: this.#entry(this.#userCutoffs, query.sub)?.value,
      epoch: this.#epoch,
      kidRetired: this.#retiredKids.has(query.kid),
      sessionActive:
        session !== undefined &&
        session.sub === query.sub &&
        isSessionActive(session, query.now, this.#cutoffs(query.sub)),
      userSuspended: isSuspended(this.#entry(this.#suspensions, query.sub)?.value, query.now),
      claimsCutoff: this.#entry(this.#claimsCutoffs, query.sub)?.value,
    }
  }

  async getUserState(sub: string): Promise<UserStateRecord> {
    const suspension = this.#entry(this.#suspensions, sub)?.value
    const claimsCutoff = this.#entry(this.#claimsCutoffs, sub)?.value
    return {
      ...(suspension !== undefined && { suspension: { ...suspension } }),
      ...(claimsCutoff !== undefined && { claimsCutoff }),
    }
  }

  async suspendUser(sub: string, suspension: SuspensionRecord): Promise<void> {
    const expiresAt = suspension.until ?? Number.POSITIVE_INFINITY
    this.#suspensions.set(sub, { value: { ...suspension }, expiresAt })
  }

  async reinstateUser(sub: string): Promise<SuspensionRecord | undefined> {
    const entry = this.#entry(this.#suspensions, sub)
    this.#suspensions.delete(sub)
    return entry?.value
  }

  async setClaimsCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    const previous = this.#entry(this.#claimsCutoffs, sub)
    this.#claimsCutoffs.set(sub, {
      value: Math.max(cutoff, previous?.value ?? cutoff),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? expiresAt),
    })
  }

  async forgetUser(sub: string): Promise<void> {
    for (const sid of [...(this.#sessionsByUser.get(sub) ?? [])]) this.#forgetSession(sid)
    this.#suspensions.delete(sub)
    this.#claimsCutoffs.delete(sub)
  }

  async reauthenticateSession(
    request: ReauthenticationRequest,
  ): Promise<SessionRecord | undefined> {
    const session = this.#session(request.sid)
    if (session === undefined) return undefined
    const next = decideReauthentication(session, request, this.#cutoffs(session.sub))
    if (next === undefined) return undefined
    this.#saveSession(next)
    return { ...next }
  }

  async listKeys(): Promise<StoredKey[]> {
    return [...this.#keys.values()].map((key) => structuredClone(key))
  }

  async addKey(key: StoredKey): Promise<void> {
    if (!this.#keys.has(key.kid)) this.#keys.set(key.kid, structuredClone(key))
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock()
    const held = this.#leases.get(name)
    if (held !== undefined && held.owner !== owner && held.expiresAt > now) return false
    this.#leases.set(name, { owner, expiresAt: now + ttlMs })
    return true
  }

  async replaceKey(key: StoredKey): Promise<void> {
    this.#keys.set(key.kid, structuredClone(key))
  }

  async retireKey(kid: string): Promise<void> {
    this.#retiredKids.add(kid)
  }

  async listRetiredKids(): Promise<string[]> {
    return [...this.#retiredKids]
  }

  async createSession(session: SessionRecord, limit: SessionLimit): Promise<CreateSessionResult> {
    if (isCutOff(session.createdAt, this.#cutoffs(session.sub))) {
      return { created: false, revoked: true, evicted: [] }
    }
    const cap = decideSessionCap(this.#activeSessions(session.sub, limit.now), limit)
    if (cap.refuse) return { created: false, evicted: [] }
    const evicted = [...cap.evict]
    for (const old of evicted) this.#endSession(old.sid, limit.revocationExpiresAt)
    this.#saveSession(structuredClone(session))
    return { created: true, evicted: evicted.map((old) => ({ ...old })) }
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return copy(this.#session(sid))
  }

  async listSessions(sub: string, now: number): Promise<SessionRecord[]> {
    return this.#activeSessions(sub, now).map((session) => ({ ...session }))
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationResult> {
    const session = this.#session(request.sid)
    const cutoffs =
      session === undefined ? { user: undefined, epoch: this.#epoch } : this.#cutoffs(session.sub)
    const decision = decideRotation(session, request, cutoffs)
    if (decision.next !== undefined) {
      this.#saveSession(decision.next)
      return { outcome: decision.outcome, session: { ...decision.next } }
    }
    if (decision.outcome === 'reused') this.#endSession(request.sid, request.revocationExpiresAt)
    const keepsRecord = decision.outcome === 'reused' || decision.outcome === 'expired'
    return { outcome: decision.outcome, session: keepsRecord ? copy(session) : undefined }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper)
  }
}

function copy(session: SessionRecord | undefined): SessionRecord | undefined {
  return session === undefined ? undefined : { ...session }
}
