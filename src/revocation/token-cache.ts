import type { AccessTokenClaims } from '../tokens/claims.js'

export interface CachedToken {
  readonly claims: AccessTokenClaims
  readonly kid: string
}

/**
 * When a full cache has had no hit for a whole cache's worth of inserts, one new token in this
 * many is admitted: the tokens are not repeating, and inserting (and later evicting, and the
 * garbage collector promoting) each one would be pure cost. The sampled few let a hit, if the
 * traffic changes, bring full admission back.
 */
export const ADMIT_ONE_IN = 64

interface Entry extends CachedToken {
  /** The whole token: the key is only its signature, so a hit compares the rest. */
  readonly token: string
}

/** The key: the signature segment, shorter to hash than the whole token and as unique. */
function keyOf(token: string): string {
  return token.slice(token.lastIndexOf('.') + 1)
}

/**
 * Tokens that passed every check, least recently used evicted first. A hit skips parsing and the
 * signature, never expiry or revocation: those depend on time and on what happened since, and
 * are checked again on every use. A hit must be the exact token string: a token that reuses a
 * cached signature under another header or payload is a miss and is verified in full.
 */
export class TokenCache {
  readonly #max: number
  readonly #entries = new Map<string, Entry>()
  hits = 0
  misses = 0
  /** Tokens actually inserted (admission may skip some when nothing hits). */
  inserts = 0
  /** Inserts since the last hit. */
  #insertsSinceHit = 0
  /** Skipped insertions since the last admitted one (sampling mode). */
  #skipped = 0

  constructor(max: number) {
    this.#max = max
  }

  get(token: string): CachedToken | undefined {
    if (this.#max === 0) {
      // Disabled: nothing to look up (and no key to slice and hash).
      this.misses += 1
      return undefined
    }
    const key = keyOf(token)
    const entry = this.#entries.get(key)
    if (entry === undefined || entry.token !== token) {
      this.misses += 1
      return undefined
    }
    this.hits += 1
    this.#insertsSinceHit = 0
    // Re-insert so the Map's insertion order stays least-recently-used first.
    this.#entries.delete(key)
    this.#entries.set(key, entry)
    return entry
  }

  /** Called after a miss that verified: the token is not in the cache. */
  set(token: string, verified: CachedToken): void {
    if (this.#max === 0) return
    if (this.#insertsSinceHit >= this.#max && this.#entries.size >= this.#max) {
      this.#skipped += 1
      if (this.#skipped < ADMIT_ONE_IN) return
    }
    this.#skipped = 0
    this.#insertsSinceHit += 1
    this.inserts += 1
    this.#entries.set(keyOf(token), { claims: verified.claims, kid: verified.kid, token })
    if (this.#entries.size > this.#max) {
      this.#entries.delete(this.#entries.keys().next().value as string)
    }
  }

  /** Drops every entry whose key was retired: their signatures no longer count. */
  forgetKid(kid: string): void {
    for (const [key, entry] of this.#entries) if (entry.kid === kid) this.#entries.delete(key)
  }

  get size(): number {
    return this.#entries.size
  }
}
