import type { Clock } from '../clock.js'
import { NoSigningKey } from '../errors.js'
import type { Store } from '../stores/store.js'
import type { KeyLookup } from '../tokens/verify.js'
import type { Algorithm } from './algorithms.js'
import { generateKey } from './generate.js'
import { importStoredKey } from './import.js'
import { toPublicJwk, type JSONWebKeySet } from './jwks.js'
import type { RingKey } from './key-material.js'

export interface KeyRingOptions {
  readonly store: Store
  /** Keys from the `keys` option, already imported and checked. */
  readonly configured: readonly RingKey[]
  /** Algorithm of the keys the ring generates. */
  readonly algorithm: Algorithm
  readonly clock: Clock
}

/** What `listKeys()` reports about one key; never key material. */
export interface KeyInfo {
  readonly kid: string
  readonly alg: Algorithm
  readonly createdAt: number
  readonly source: 'config' | 'store'
  readonly signing: boolean
  readonly canSign: boolean
}

/**
 * The signing and verification keys: configured keys plus the keys generated into the store, so
 * every instance and every restart shares one ring. The newest usable key signs; every key that
 * is not retired verifies. The hot path only calls `get` and `isRetired`, both map lookups.
 */
export class KeyRing implements KeyLookup {
  readonly #options: KeyRingOptions
  #active = new Map<string, RingKey>()
  #retired = new Set<string>()
  #signing: RingKey | undefined
  #jwks: JSONWebKeySet = { keys: [] }
  // Stored keys are imported once; a reload only imports what is new.
  readonly #imported = new Map<string, RingKey>()

  private constructor(options: KeyRingOptions) {
    this.#options = options
  }

  /** Loads the ring from configuration and store, generating a first key when there is none. */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options)
    await ring.reload()
    if (ring.#signing === undefined && options.configured.length === 0) await ring.rotate()
    return ring
  }

  get(kid: string): RingKey | undefined {
    return this.#active.get(kid)
  }

  isRetired(kid: string): boolean {
    return this.#retired.has(kid)
  }

  /** The key new tokens are signed with. */
  signingKey(): RingKey {
    if (this.#signing === undefined) throw new NoSigningKey()
    return this.#signing
  }

  /** The public keys of every key that still verifies (JWKS, RFC 7517). */
  jwks(): JSONWebKeySet {
    return this.#jwks
  }

  list(): KeyInfo[] {
    return [...this.#active.values()].map((key) => ({
      kid: key.kid,
      alg: key.alg,
      createdAt: key.createdAt,
      source: key.source,
      signing: key === this.#signing,
      canSign: key.signKey !== undefined,
    }))
  }

  /** Re-reads stored keys and retirements, picking up what other instances changed. */
  async reload(): Promise<void> {
    const { store, configured } = this.#options
    const [stored, retired] = await Promise.all([store.listKeys(), store.listRetiredKids()])
    for (const record of stored) {
      if (!this.#imported.has(record.kid))
        this.#imported.set(record.kid, await importStoredKey(record))
    }
    const retiredSet = new Set(retired)
    const active = new Map<string, RingKey>()
    for (const key of [...configured, ...this.#imported.values()]) {
      if (!retiredSet.has(key.kid) && !active.has(key.kid)) active.set(key.kid, key)
    }
    const jwks: JSONWebKeySet = { keys: [] }
    for (const key of active.values()) {
      const jwk = await toPublicJwk(key)
      if (jwk !== undefined) jwks.keys.push(jwk)
    }
    this.#active = active
    this.#retired = retiredSet
    this.#signing = pickSigningKey(active.values())
    this.#jwks = jwks
  }

  /** Generates a key, stores it for every instance, and makes it the signing key. */
  async rotate(): Promise<string> {
    const { store, algorithm, clock } = this.#options
    // A key made in the same millisecond as the current one must still outrank it.
    const createdAt = Math.max(clock(), (this.#signing?.createdAt ?? 0) + 1)
    const key = await generateKey(algorithm, createdAt)
    await store.addKey(key)
    await this.reload()
    return key.kid
  }

  /**
   * Retires a key: tokens signed with it are rejected from now on, on every instance. Retiring
   * the last key that can sign generates a replacement, so issuing never stops.
   */
  async retire(kid: string): Promise<void> {
    if (!this.#active.has(kid) && !this.#retired.has(kid)) {
      throw new TypeError(`no key with kid "${kid}" in the ring`)
    }
    await this.#options.store.retireKey(kid)
    await this.reload()
    if (this.#signing === undefined) await this.rotate()
  }
}

/** Newest key that can sign; among equally old (configured) keys, the first configured. */
function pickSigningKey(keys: Iterable<RingKey>): RingKey | undefined {
  let best: RingKey | undefined
  for (const key of keys) {
    if (key.signKey === undefined) continue
    if (best === undefined || key.createdAt > best.createdAt) best = key
  }
  return best
}
