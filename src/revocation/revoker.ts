import { RevocableError, StoreUnavailable } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { RevocationQuery, RevocationStatus, Store } from '../stores/store.js'

/** Runs a store call, turning any failure that is not already ours into ERR_STORE_UNAVAILABLE. */
export async function callStore<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call()
  } catch (error) {
    if (error instanceof RevocableError) throw error
    throw new StoreUnavailable(`store failed to ${what}`, { cause: error })
  }
}

type RevokerOptions = Pick<ResolvedOptions, 'clock' | 'clockTolerance' | 'maxAccessTokenTtl'>

/**
 * The write side of revocation: turns "revoke X" into store entries whose lifetime is exactly as
 * long as a token they deny could still be accepted, so the state never grows without bound.
 */
export class Revoker {
  readonly #store: Store
  readonly #options: RevokerOptions
  #latestCutoff = 0

  constructor(store: Store, options: RevokerOptions) {
    this.#store = store
    this.#options = options
  }

  /** Milliseconds a token can still be accepted after it was issued. */
  get #tokenLifetimeMs(): number {
    return (this.#options.maxAccessTokenTtl + this.#options.clockTolerance) * 1000
  }

  /**
   * The issue instant for a new token: now, but strictly after every cutoff this process has set,
   * so a login that follows `revokeUser` or `revokeAll` within the same millisecond still works.
   */
  issueInstant(): number {
    return Math.max(this.#options.clock(), this.#latestCutoff + 1)
  }

  /** Denies one jti. `exp` (seconds) bounds the entry; without it, the longest token lifetime does. */
  async revokeJti(jti: string, exp?: number): Promise<void> {
    const now = this.#options.clock()
    const expiresAt =
      exp === undefined ? now + this.#tokenLifetimeMs : (exp + this.#options.clockTolerance) * 1000
    if (expiresAt <= now) return // the token can no longer be accepted anyway
    await callStore('revoke a token', () => this.#store.revokeJti(jti, expiresAt))
  }

  async revokeSession(sid: string): Promise<void> {
    const expiresAt = this.#options.clock() + this.#tokenLifetimeMs
    await callStore('revoke a session', () => this.#store.revokeSession(sid, expiresAt))
  }

  async revokeUser(sub: string, cutoff: number): Promise<void> {
    this.#latestCutoff = Math.max(this.#latestCutoff, cutoff)
    // Tokens issued at or before the cutoff are all gone one token lifetime after it.
    const expiresAt = cutoff + this.#tokenLifetimeMs
    if (expiresAt <= this.#options.clock()) return
    await callStore('revoke a user', () => this.#store.setUserCutoff(sub, cutoff, expiresAt))
  }

  async revokeAll(): Promise<number> {
    const cutoff = this.#options.clock()
    this.#latestCutoff = Math.max(this.#latestCutoff, cutoff)
    await callStore('revoke all tokens', () => this.#store.setEpoch(cutoff))
    return cutoff
  }

  status(query: RevocationQuery): Promise<RevocationStatus> {
    return callStore('check revocation', () => this.#store.checkRevocation(query))
  }
}
