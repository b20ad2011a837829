import type { JWK } from 'jose'

/**
 * The store contract: everything revocation state needs to survive a request, a restart and a
 * second instance. Each method is one round trip and atomic. Times are milliseconds on the
 * caller's clock; an entry given `expiresAt` may be forgotten by the store from then on, so the
 * state never grows without bound.
 *
 * `test/stores/contract.ts` is the executable form of this contract: every store runs it.
 */
export interface Store {
  /** Denies one token by jti until `expiresAt`. */
  revokeJti(jti: string, expiresAt: number): Promise<void>
  /** Denies every token of a session until `expiresAt`, and forgets the session's record. */
  revokeSession(sid: string, expiresAt: number): Promise<void>
  /**
   * Denies a user's tokens issued at or before `cutoff`. Keeps the later of an existing and the
   * new cutoff, and the later expiry.
   */
  setUserCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void>
  /** Denies every token issued at or before `cutoff`. Keeps the later of the two cutoffs. */
  setEpoch(cutoff: number): Promise<void>
  /** Everything `verify` needs to decide on one token, in one round trip. */
  checkRevocation(query: RevocationQuery): Promise<RevocationStatus>

  /** Every key the store holds (generated keys, as private JWKs). */
  listKeys(): Promise<StoredKey[]>
  /** Adds a key; a kid that is already there is left as it was. */
  addKey(key: StoredKey): Promise<void>
  /** Marks a kid as retired: tokens signed with it are rejected everywhere from now on. */
  retireKey(kid: string): Promise<void>
  listRetiredKids(): Promise<string[]>

  /** Records a session as active (allowlist mode), replacing a record with the same sid. */
  putSession(session: SessionRecord): Promise<void>
  getSession(sid: string): Promise<SessionRecord | undefined>

  /** Releases connections and timers. */
  close(): Promise<void>
}

export interface RevocationQuery {
  readonly jti: string
  readonly sid: string
  readonly sub: string
  readonly kid: string
}

export interface RevocationStatus {
  readonly jtiRevoked: boolean
  readonly sessionRevoked: boolean
  /** Tokens of this user issued at or before this instant (ms) are revoked. */
  readonly userCutoff: number | undefined
  /** Every token issued at or before this instant (ms) is revoked. */
  readonly epoch: number | undefined
  readonly kidRetired: boolean
  /** Whether the store holds a live record of the session (what allowlist mode requires). */
  readonly sessionActive: boolean
}

/** A generated signing key as the store keeps it, so every instance and restart shares it. */
export interface StoredKey {
  readonly kid: string
  readonly alg: string
  /** The private JWK (or `oct` secret). Never published: `jwks()` exports public members only. */
  readonly jwk: JWK
  readonly createdAt: number
}

/** A session (one login on one device). */
export interface SessionRecord {
  readonly sid: string
  readonly sub: string
  readonly clientId: string | undefined
  readonly createdAt: number
  /** When the record stops counting as active; the store may forget it from then on. */
  readonly expiresAt: number
}
