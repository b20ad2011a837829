// Over 300 lines on purpose: the ring is one state machine (configured and stored keys, which
// signs when, retirements, sealing under the KEK) whose invariants are easier to check in one
// file. Its verbs live in key-manager.ts; generation, import, sealing and JWKS in their own files.
import { exportJWK, type JWK } from 'jose'
import type { Clock } from '../clock.js'
import { NoSigningKey } from '../errors.js'
import type { StoredKey } from '../records/key.js'
import type { Store } from '../stores/store.js'
import type { Algorithm } from './algorithms.js'
import { openSealedKey, sealKey, type KeyEncryptionKey } from './envelope.js'
import { generateKey } from './generate.js'
import { hasPrivateMembers, importStoredKey, publicMembers } from './import.js'
import { toPublicJwk, type JSONWebKeySet } from './jwks.js'
import type { KeyLookup, RingKey } from './key-material.js'

export interface KeyRingOptions {
  readonly store: Store
  /** Keys from the `keys` option, already imported and checked. */
  readonly configured: readonly RingKey[]
  /** Algorithm of the keys the ring generates, and the only one it signs stored keys of. */
  readonly algorithm: Algorithm
  readonly clock: Clock
  /** Seals every private key the ring stores; undefined: stored in plaintext (if allowed). */
  readonly kek: KeyEncryptionKey | undefined
  /** Where a mixed fleet, and retirements the store had lost, are reported. */
  readonly warn: (message: string) => void
}

/** What `listKeys()` reports about one key; never key material. */
export interface KeyInfo {
  readonly kid: string
  readonly alg: Algorithm
  readonly createdAt: number
  /** From when it signs (ms); before, it is only published. Configured keys: 0. */
  readonly activatesAt: number
  readonly source: 'config' | 'store'
  readonly signing: boolean
  readonly canSign: boolean
}

/** A stored key this ring may sign with, and from when. */
interface Candidate {
  readonly key: RingKey
  readonly activatesAt: number
}

/**
 * The signing and verification keys. One precedence rule:
 * - configured keys always sign (the first configured key that can); keys found in the store
 *   then only verify, whatever their age or algorithm;
 * - without configured keys, the newest stored key of the ring's own algorithm whose activation
 *   time has come signs: a key is published (JWKS) before any instance signs with it;
 * - a retired kid never verifies nor signs again, even when the store forgets it (a data loss):
 *   the ring keeps every retirement it has seen and writes the missing ones back.
 * The hot path only calls `get` and `isRetired`, both map lookups.
 */
export class KeyRing implements KeyLookup {
  readonly #options: KeyRingOptions
  #active = new Map<string, RingKey>()
  // Grows only: a retirement is never forgotten by an instance that has seen it.
  readonly #retired = new Set<string>()
  #candidates: Candidate[] = []
  #jwks: JSONWebKeySet = { keys: [] }
  // Stored keys are imported once; a reload only imports what is new.
  readonly #imported = new Map<string, RingKey>()
  // Every record seen in the store (or written to it), to write back after a data loss.
  readonly #records = new Map<string, StoredKey>()

  private constructor(options: KeyRingOptions) {
    this.#options = options
  }

  /**
   * Loads the ring from configuration and store: publishes the configured keys' public parts,
   * reports a mixed fleet, and generates a first key when there is nothing to sign with.
   */
  static async open(options: KeyRingOptions): Promise<KeyRing> {
    const ring = new KeyRing(options)
    await ring.#publishConfigured()
    await ring.reload()
    ring.#reportMixedFleet()
    if (options.configured.length === 0 && ring.#candidates.length === 0) await ring.rotate(0)
    return ring
  }

  get configured(): boolean {
    return this.#options.configured.length > 0
  }

  get(kid: string): RingKey | undefined {
    return this.#active.get(kid)
  }

  isRetired(kid: string): boolean {
    return this.#retired.has(kid)
  }

  /** The key new tokens are signed with. */
  signingKey(now = this.#options.clock()): RingKey {
    const key = this.#signing(now)
    if (key === undefined) throw new NoSigningKey()
    return key
  }

  /** The public keys of every key that still verifies (JWKS, RFC 7517). */
  jwks(): JSONWebKeySet {
    return this.#jwks
  }

  list(): KeyInfo[] {
    const signing = this.#signing(this.#options.clock())
    const activation = new Map(this.#candidates.map((c) => [c.key.kid, c.activatesAt]))
    return [...this.#active.values()].map((key) => ({
      kid: key.kid,
      alg: key.alg,
      createdAt: key.createdAt,
      activatesAt: activation.get(key.kid) ?? this.#records.get(key.kid)?.activatesAt ?? 0,
      source: key.source,
      signing: key === signing,
      canSign: key.signKey !== undefined,
    }))
  }

  /** The store's records of the keys this ring generated or may sign with (for the schedule). */
  generatedKeys(): { kid: string; createdAt: number; activatesAt: number }[] {
    return this.#candidates.map(({ key, activatesAt }) => ({
      kid: key.kid,
      createdAt: key.createdAt,
      activatesAt,
    }))
  }

  /**
   * Re-reads stored keys and retirements, picking up what other instances changed; writes back
   * retirements and keys the store no longer holds (it lost its data); seals keys stored in
   * plaintext once a key-encryption key is configured.
   */
  async reload(): Promise<void> {
    const { store, configured, algorithm, kek } = this.#options
    const [stored, retired] = await Promise.all([store.listKeys(), store.listRetiredKids()])
    const storedRetired = new Set(retired)
    for (const kid of retired) this.#retired.add(kid)
    const lostRetirements = [...this.#retired].filter((kid) => !storedRetired.has(kid))
    const storedKids = new Set(stored.map((record) => record.kid))
    const lostKeys = [...this.#records.values()].filter((record) => !storedKids.has(record.kid))
    if (lostRetirements.length > 0 || lostKeys.length > 0) {
      this.#options.warn(
        `revocable: the store had lost ${lostRetirements.length} retired key id(s) and ` +
          `${lostKeys.length} key(s) this instance had seen; wrote them back`,
      )
      for (const kid of lostRetirements) await store.retireKey(kid)
      for (const record of lostKeys) await store.addKey(record)
    }

    for (const record of stored) {
      this.#records.set(record.kid, record)
      if (this.#imported.has(record.kid) || this.#retired.has(record.kid)) continue
      const key = await this.#importRecord(record)
      if (key !== undefined) this.#imported.set(record.kid, key)
      if (kek !== undefined && record.sealed === undefined && hasPrivateMembers(record.jwk)) {
        const sealed = this.#toRecord(record.kid, record.alg, record.jwk, record.createdAt)
        await store.replaceKey({ ...record, ...sealed })
        this.#records.set(record.kid, { ...record, ...sealed })
      }
    }

    const active = new Map<string, RingKey>()
    for (const key of [...configured, ...this.#imported.values()]) {
      if (!this.#retired.has(key.kid) && !active.has(key.kid)) active.set(key.kid, key)
    }
    const candidates: Candidate[] = []
    if (configured.length === 0) {
      for (const key of this.#imported.values()) {
        const record = this.#records.get(key.kid)
        if (!active.has(key.kid) || key.signKey === undefined || key.alg !== algorithm) continue
        if (record === undefined || record.origin === 'config') continue
        candidates.push({ key, activatesAt: record.activatesAt ?? record.createdAt })
      }
      candidates.sort((a, b) => b.key.createdAt - a.key.createdAt)
    }
    const jwks: JSONWebKeySet = { keys: [] }
    for (const key of active.values()) {
      const jwk = await toPublicJwk(key)
      if (jwk !== undefined) jwks.keys.push(jwk)
    }
    this.#active = active
    this.#candidates = candidates
    this.#jwks = jwks
  }

  /**
   * Generates a key and stores it for every instance. It is published at once and signs from
   * `leadMs` later, so every verifier knows it before the first token it signs. Refused when
   * keys are configured: those are rotated in the configuration.
   */
  async rotate(leadMs: number): Promise<string> {
    const { store, algorithm, clock } = this.#options
    if (this.configured) {
      throw new TypeError(
        'keys are configured ("keys" option, SIGNING_KEYS): rotate them in the configuration',
      )
    }
    // A key made in the same millisecond as the newest one must still outrank it.
    const createdAt = Math.max(clock(), (this.#candidates[0]?.key.createdAt ?? 0) + 1)
    const generated = await generateKey(algorithm, createdAt)
    const record: StoredKey = {
      ...this.#toRecord(generated.kid, generated.alg, generated.jwk, createdAt),
      activatesAt: clock() + leadMs,
    }
    await store.addKey(record)
    this.#records.set(record.kid, record)
    await this.reload()
    return record.kid
  }

  /**
   * Stores a key brought by the operator (a private key or secret), sealed like a generated one:
   * published at once, it signs from `leadMs` later on every instance whose algorithm it has.
   */
  async importKey(key: RingKey, leadMs: number): Promise<string> {
    const { store, clock } = this.#options
    if (this.configured) {
      throw new TypeError('keys are configured here (SIGNING_KEYS): add the key there instead')
    }
    if (key.signKey === undefined) {
      throw new TypeError(
        'only a private key or secret can be imported; a public key verifies only',
      )
    }
    if (this.#retired.has(key.kid)) throw new TypeError(`key "${key.kid}" has been retired`)
    const createdAt = Math.max(clock(), (this.#candidates[0]?.key.createdAt ?? 0) + 1)
    const privateJwk = await exportJWK(key.signKey)
    const record: StoredKey = {
      ...this.#toRecord(key.kid, key.alg, privateJwk, createdAt),
      activatesAt: clock() + leadMs,
    }
    await store.addKey(record)
    this.#records.set(record.kid, record)
    await this.reload()
    return record.kid
  }

  /**
   * Retires a key: tokens signed with it are rejected from now on, on every instance. Retiring
   * the last stored key that can sign generates a replacement, so issuing never stops; the last
   * configured key that can sign cannot be retired (remove it from the configuration instead).
   */
  /** Throws the TypeError `retire` would, before any store call (misuse is not an outage). */
  assertRetirable(kid: string): void {
    if (!this.#active.has(kid) && !this.#retired.has(kid)) {
      throw new TypeError(`no key with kid "${kid}" in the ring`)
    }
    const configuredSigners = this.#options.configured.filter(
      (key) => key.signKey !== undefined && !this.#retired.has(key.kid),
    )
    if (configuredSigners.length === 1 && configuredSigners[0]?.kid === kid) {
      throw new TypeError(
        `key "${kid}" is the only configured key that signs: configure its successor first`,
      )
    }
  }

  async retire(kid: string): Promise<void> {
    this.assertRetirable(kid)
    await this.#options.store.retireKey(kid)
    this.#retired.add(kid)
    await this.reload()
    if (!this.configured && this.#candidates.length === 0) await this.rotate(0)
  }

  #signing(now: number): RingKey | undefined {
    const configured = this.#options.configured
    if (configured.length > 0) {
      return configured.find((key) => key.signKey !== undefined && this.#active.has(key.kid))
    }
    // Newest key whose time has come; if none has yet (the active one was just retired), the
    // one that activates first.
    let next: Candidate | undefined
    for (const candidate of this.#candidates) {
      if (candidate.activatesAt <= now) return candidate.key
      if (next === undefined || candidate.activatesAt < next.activatesAt) next = candidate
    }
    return next?.key
  }

  /** A record for the store: the private JWK sealed under the KEK, or as it is without one. */
  #toRecord(kid: string, alg: string, privateJwk: JWK, createdAt: number): StoredKey {
    const kek = this.#options.kek
    if (kek === undefined) return { kid, alg, jwk: privateJwk, createdAt }
    return {
      kid,
      alg,
      jwk: publicMembers(privateJwk),
      createdAt,
      sealed: sealKey(kek, kid, alg, privateJwk),
    }
  }

  /** Imports a stored record, opening its private part only when this ring may sign with it. */
  async #importRecord(record: StoredKey): Promise<RingKey | undefined> {
    const { configured, algorithm, kek } = this.#options
    const mustSign =
      configured.length === 0 && record.alg === algorithm && record.origin !== 'config'
    const isSecret = record.alg === 'HS256'
    // A wrong KEK fails the start, whether or not this ring needs the key: never a silent new key.
    if (record.sealed !== undefined && kek !== undefined) {
      const open = openSealedKey(kek, record.kid, record.alg, record.sealed)
      return importStoredKey(record, mustSign || isSecret ? (open as JWK) : undefined)
    }
    if (record.sealed !== undefined) {
      if (mustSign) openSealedKey(kek, record.kid, record.alg, record.sealed) // throws: no KEK
      if (!isSecret) return importStoredKey(record, undefined)
      this.#options.warn(
        `revocable: stored HMAC key "${record.kid}" is encrypted and no key-encryption key is configured: it does not verify here`,
      )
      return undefined
    }
    if (hasPrivateMembers(record.jwk))
      return importStoredKey(record, mustSign ? record.jwk : undefined)
    // A public record; an HMAC one without its secret (a configured instance's marker) is skipped.
    return isSecret ? undefined : importStoredKey(record, undefined)
  }

  /** Publishes the configured keys' public parts (an HMAC key: its kid only). */
  async #publishConfigured(): Promise<void> {
    for (const key of this.#options.configured) {
      const publicJwk = await toPublicJwk(key)
      const record: StoredKey = {
        kid: key.kid,
        alg: key.alg,
        jwk: publicJwk === undefined ? { kty: 'oct' } : publicMembers(publicJwk as JWK),
        createdAt: this.#options.clock(),
        origin: 'config',
      }
      await this.#options.store.addKey(record)
    }
  }

  #reportMixedFleet(): void {
    const live = [...this.#records.values()].filter((record) => !this.#retired.has(record.kid))
    if (this.configured) {
      const configuredKids = new Set(this.#options.configured.map((key) => key.kid))
      const generated = live.filter((r) => r.origin !== 'config' && !configuredKids.has(r.kid))
      if (generated.length > 0) {
        this.#options.warn(
          `revocable: mixed fleet: the store holds ${generated.length} generated key(s) while this ` +
            'instance has configured keys; here they only verify, but instances without configured ' +
            'keys sign with them. Configure every instance alike, or retire them.',
        )
      }
    } else {
      const configuredElsewhere = live.filter((record) => record.origin === 'config')
      if (configuredElsewhere.length > 0) {
        this.#options.warn(
          `revocable: mixed fleet: ${configuredElsewhere.length} key(s) in the store come from ` +
            'instances with configured keys, while this one has none and signs with generated keys. ' +
            'Configure every instance alike.',
        )
      }
    }
  }
}
