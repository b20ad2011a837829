import type { AccessTokenClaims } from '../tokens/claims.js'

export interface CachedToken {
  readonly claims: AccessTokenClaims
  readonly kid: string
}

/**
 * Tokens that passed every check, keyed by the exact token string, least recently used evicted
 * first. A hit skips parsing and the signature, never expiry or revocation: those depend on
 * time and on what happened since, and are checked again on every use.
 */
export class TokenCache {
  readonly #max: number
  readonly #entries = new Map<string, CachedToken>()
  hits = 0
  misses = 0

  constructor(max: number) {
    this.#max = max
  }

  get(token: string): CachedToken | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) {
      this.misses += 1
      return undefined
    }
    this.hits += 1
    // Re-insert so the Map's insertion order stays least-recently-used first.
    this.#entries.delete(token)
    this.#entries.set(token, entry)
    return entry
  }

  set(token: string, entry: CachedToken): void {
    if (this.#max === 0) return
    this.#entries.delete(token)
    this.#entries.set(token, entry)
    if (this.#entries.size > this.#max) {
      this.#entries.delete(this.#entries.keys().next().value as string)
    }
  }

  /** Drops every entry whose key was retired: their signatures no longer count. */
  forgetKid(kid: string): void {
    for (const [token, entry] of this.#entries) if (entry.kid === kid) this.#entries.delete(token)
  }

  get size(): number {
    return this.#entries.size
  }
}
