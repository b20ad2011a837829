import { systemClock, type Clock } from '../clock.js'
import type { RevocationQuery, RevocationStatus, SessionRecord, Store, StoredKey } from './store.js'

export interface MemoryStoreOptions {
  /** The clock that decides expiry; pass the same one as `createRevocable`'s. */
  clock?: Clock
  /** Milliseconds between sweeps of expired entries (default 60 000). */
  sweepInterval?: number
}

interface Expiring<T> {
  value: T
  expiresAt: number
}

/**
 * A store in this process's memory: for tests and single-process apps. Nothing survives a
 * restart, and nothing is shared between processes. Expired entries are ignored when read and
 * swept periodically.
 */
export class MemoryStore implements Store {
  readonly #clock: Clock
  readonly #revokedJtis = new Map<string, Expiring<true>>()
  readonly #revokedSessions = new Map<string, Expiring<true>>()
  readonly #userCutoffs = new Map<string, Expiring<number>>()
  readonly #sessions = new Map<string, Expiring<SessionRecord>>()
  readonly #keys = new Map<string, StoredKey>()
  readonly #retiredKids = new Set<string>()
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

  #live<T>(map: Map<string, Expiring<T>>, key: string): T | undefined {
    return this.#entry(map, key)?.value
  }

  /** Drops every expired entry now. Runs on a timer; exposed for tests. */
  sweep(): void {
    const now = this.#clock()
    for (const map of [
      this.#revokedJtis,
      this.#revokedSessions,
      this.#userCutoffs,
      this.#sessions,
    ]) {
      for (const [key, entry] of map as Map<string, Expiring<unknown>>) {
        if (entry.expiresAt <= now) map.delete(key)
      }
    }
  }

  /** Number of live entries of each kind (for tests and metrics). */
  size(): { jtis: number; sessions: number; users: number; activeSessions: number } {
    this.sweep()
    return {
      jtis: this.#revokedJtis.size,
      sessions: this.#revokedSessions.size,
      users: this.#userCutoffs.size,
      activeSessions: this.#sessions.size,
    }
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    const previous = this.#entry(this.#revokedJtis, jti)
    this.#revokedJtis.set(jti, {
      value: true,
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0),
    })
  }

  async revokeSession(sid: string, expiresAt: number): Promise<void> {
    const previous = this.#entry(this.#revokedSessions, sid)
    this.#revokedSessions.set(sid, {
      value: true,
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? 0),
    })
    this.#sessions.delete(sid)
  }

  async setUserCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    const previous = this.#entry(this.#userCutoffs, sub)
    this.#userCutoffs.set(sub, {
      value: Math.max(cutoff, previous?.value ?? cutoff),
      expiresAt: Math.max(expiresAt, previous?.expiresAt ?? expiresAt),
    })
  }

  async setEpoch(cutoff: number): Promise<void> {
    this.#epoch = Math.max(cutoff, this.#epoch ?? cutoff)
  }

  async checkRevocation(query: RevocationQuery): Promise<RevocationStatus> {
    return {
      jtiRevoked: this.#live(this.#revokedJtis, query.jti) === true,
      sessionRevoked: this.#live(this.#revokedSessions, query.sid) === true,
      userCutoff: this.#live(this.#userCutoffs, query.sub),
      epoch: this.#epoch,
      kidRetired: this.#retiredKids.has(query.kid),
      sessionActive: this.#live(this.#sessions, query.sid)?.sub === query.sub,
    }
  }

  async listKeys(): Promise<StoredKey[]> {
    return [...this.#keys.values()]
  }

  async addKey(key: StoredKey): Promise<void> {
    if (!this.#keys.has(key.kid)) this.#keys.set(key.kid, structuredClone(key))
  }

  async retireKey(kid: string): Promise<void> {
    this.#retiredKids.add(kid)
  }

  async listRetiredKids(): Promise<string[]> {
    return [...this.#retiredKids]
  }

  async putSession(session: SessionRecord): Promise<void> {
    this.#sessions.set(session.sid, { value: { ...session }, expiresAt: session.expiresAt })
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    const session = this.#live(this.#sessions, sid)
    return session === undefined ? undefined : { ...session }
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper)
  }
}
