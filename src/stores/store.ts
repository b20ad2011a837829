import type { JWK } from 'jose'
import type { Cutoffs } from '../sessions/cutoff.js'
import type { RotationRequest, RotationResult } from '../sessions/rotation.js'
import type { SealedKey } from '../keys/envelope.js'
import type { SuspensionRecord, UserStateRecord } from '../records/user-state.js'
import type { ReauthenticationRequest } from '../sessions/reauthentication.js'
import type { ChangeFeed } from './change-feed.js'

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
  /**
   * Denies every token of a session until `expiresAt` and ends the session (its record and
   * refresh token are gone). Resolves to the record that was ended, if there was one.
   */
  revokeSession(sid: string, expiresAt: number): Promise<SessionRecord | undefined>
  /**
   * Denies a user's tokens issued at or before `cutoff` (keeping the later of an existing and the
   * new cutoff, and the later expiry) and ends every session of the user created at or before
   * the cutoff. With `everySession` ("log out everywhere", the cutoff being now), the cutoff is
   * first raised to the latest `createdAt` among the user's sessions: every session that exists
   * ends, whatever clock stamped it. Resolves to the sessions ended. A store may end only a
   * bounded number at once and the rest lazily (Redis does, so a huge account cannot stall it):
   * those are dead by the cutoff all the same (`isCutOff`), and are not in the result.
   */
  revokeUser(
    sub: string,
    cutoff: number,
    expiresAt: number,
    everySession?: boolean,
  ): Promise<SessionRecord[]>
  /** Denies every token issued at or before `cutoff`. Keeps the later of the two cutoffs. */
  setEpoch(cutoff: number): Promise<void>
  /** Everything `verify` needs to decide on one token, in one round trip. */
  checkRevocation(query: RevocationQuery): Promise<RevocationStatus>

  /** Every key the store holds (generated keys, as private JWKs). */
  listKeys(): Promise<StoredKey[]>
  /** Adds a key; a kid that is already there is left as it was. */
  addKey(key: StoredKey): Promise<void>
  /** Overwrites a key's record (to seal a plaintext key under a key-encryption key). */
  replaceKey(key: StoredKey): Promise<void>
  /** Marks a kid as retired: tokens signed with it are rejected everywhere from now on. */
  retireKey(kid: string): Promise<void>
  listRetiredKids(): Promise<string[]>

  /**
   * Records a new session, in one atomic step with the cutoff rule and the per-user cap:
   * - when `isCutOff(session.createdAt, cutoffs)` holds for the user's cutoff and the epoch as
   *   they are now (a revocation landed after the login began), nothing is created and
   *   `revoked` is true;
   * - when the user already has `limit.max` active sessions (`isSessionActive`), either the least
   *   recently used are ended (`evict`) or nothing is created (`refuse`).
   */
  createSession(session: SessionRecord, limit: SessionLimit): Promise<CreateSessionResult>
  /** The record of a session, active or recently expired; undefined once ended or forgotten. */
  getSession(sid: string): Promise<SessionRecord | undefined>
  /** A user's active sessions (`isSessionActive`), most recently used first. */
  listSessions(sub: string, now: number): Promise<SessionRecord[]>
  /**
   * Rotates a refresh token in one atomic compare-and-swap, applying `decideRotation` (from
   * sessions/rotation.ts) to the stored record: under any number of concurrent calls with the same
   * token exactly one rotates. On `reused`, ends the session as `revokeSession` does.
   */
  rotateRefreshToken(request: RotationRequest): Promise<RotationResult>

  /**
   * The user's state beside sessions and cutoffs (records/user-state.ts): a suspension (even one
   * whose `until` has passed, until it is forgotten) and the claims cutoff while it lasts.
   * Resolves to `{}` when there is none.
   */
  getUserState(sub: string): Promise<UserStateRecord>
  /**
   * Records a suspension of `sub`, replacing any other; kept until its `until` (or for good
   * without one). The caller ends the user's sessions with `revokeUser`.
   */
  suspendUser(sub: string, suspension: SuspensionRecord): Promise<void>
  /** Removes the suspension of `sub`; resolves to the record removed, if there was one. */
  reinstateUser(sub: string): Promise<SuspensionRecord | undefined>
  /**
   * Sets the user's claims cutoff (tokens of `sub` issued at or before it are refused with
   * ERR_CLAIMS_CHANGED) until `expiresAt`, keeping the later of an existing and the new cutoff
   * and the later expiry.
   */
  setClaimsCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void>
  /**
   * Forgets a user: every session record of `sub` (active, expired or ended) and its user state.
   * Revocation entries stay (the user cutoff, revoked-session markers) until they expire: they
   * keep the user's issued tokens rejected. The caller revokes the user first.
   */
  forgetUser(sub: string): Promise<void>
  /**
   * Records a fresh authentication on a session in one atomic step, applying
   * `decideReauthentication` (sessions/reauthentication.ts) to the stored record under the
   * user's cutoffs. Resolves to the new record, or undefined when the session is not active.
   */
  reauthenticateSession(request: ReauthenticationRequest): Promise<SessionRecord | undefined>

  /**
   * The cutoffs that apply to `sub` now (optional; a store shared by instances offers it): a
   * login on the store's time line reads them to order itself after a revocation that another
   * instance stamped within the clocks' uncertainty (`instantAfterNearby`).
   */
  readCutoffs?(sub: string): Promise<Cutoffs>

  /**
   * The store's clock in ms (optional): a store shared by several instances offers it so they
   * all stamp revocations on one time line (`timeAuthority: 'store'`).
   */
  time?(): Promise<number>

  /**
   * Opens a change feed (optional): a store that has one lets verifiers keep a local replica of
   * the revocation state. Each call opens its own connection.
   */
  openChangeFeed?(): Promise<ChangeFeed>

  /**
   * Replica acknowledgements (optional, offered with a change feed), so a revocation can wait
   * until every live replica applies it. `feedPosition`: the feed position of the newest change
   * this process wrote. `acknowledgeFeed`: replica `replicaId` has applied every change up to
   * `position`; the acknowledgement lives `ttlMs` unless renewed. `replicasBehind`: how many
   * replicas with a live acknowledgement have not reached `position`.
   */
  feedPosition?(): string | undefined
  acknowledgeFeed?(replicaId: string, position: string, ttlMs: number): Promise<void>
  replicasBehind?(position: string): Promise<number>

  /**
   * Subscribes to the data losses the store detects (optional: a store that can lose data
   * underneath a running process, like Redis, has it). The store has already taken its
   * configured action when the listener runs.
   */
  onDataLoss?(listener: (event: DataLossEvent) => void): void

  /**
   * Resolves when the store can serve every call right now (optional: for readiness probes).
   * A store without it is ready when it answers a read.
   */
  checkReady?(): Promise<void>

  /**
   * Takes a lease: true when `owner` now holds `name` for `ttlMs` (it was free, expired, or
   * already this owner's), false when another owner holds it. Exactly one of several instances
   * asking at once gets it; scheduled key steps use it so one instance performs each.
   */
  acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean>

  /**
   * A key-encryption key the store keeps apart from its data (optional; SQLite: a 0600 file
   * beside the database), used when none is configured.
   */
  localKeyEncryptionKey?(): Promise<Uint8Array | undefined>

  /** Releases connections and timers. */
  close(): Promise<void>
}

/** A data loss the store detected and handled. */
export interface DataLossEvent {
  /** `emptied`: the data set is gone; `rolled-back`: it is older than one seen before. */
  readonly cause: 'emptied' | 'rolled-back'
  /** What the store did: raised the global epoch, or fails closed until acknowledged. */
  readonly action: 'bump-epoch' | 'fail-closed'
  /** When it was handled (ms). */
  readonly at: number
  /** For `bump-epoch`: the new epoch (every token issued at or before it is rejected). */
  readonly epoch?: number
}

export interface SessionLimit {
  /** Most active sessions a user may have (Infinity: no cap). */
  readonly max: number
  readonly onLimit: 'evict' | 'refuse'
  readonly now: number
  /** Expiry of the revocation entries of evicted sessions. */
  readonly revocationExpiresAt: number
}

export interface CreateSessionResult {
  readonly created: boolean
  /** Set when the session was refused because a cutoff covers it (see `Store.createSession`). */
  readonly revoked?: true
  /** Sessions ended to make room, least recently used first. */
  readonly evicted: SessionRecord[]
}

export interface RevocationQuery {
  /** The verifier's now (ms), for whether the session is still active. */
  readonly now: number
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
  /** Whether the session exists for this sub and is active (what allowlist mode requires). */
  readonly sessionActive: boolean
  /** Whether the user is suspended at the query's `now` (`isSuspended`). */
  readonly userSuspended: boolean
  /** Tokens of this user issued at or before this instant (ms) carry changed claims. */
  readonly claimsCutoff: number | undefined
}

/** A signing key as the store keeps it, so every instance and restart shares it. */
export interface StoredKey {
  readonly kid: string
  readonly alg: string
  /**
   * The public JWK (`{ kty: 'oct' }` alone for an HMAC key). Only a key stored in plaintext
   * (`allowPlaintextKeys`, or a record from before encryption) has private members here.
   */
  readonly jwk: JWK
  readonly createdAt: number
  /** The private JWK, sealed under the key-encryption key (keys/envelope.ts). */
  readonly sealed?: SealedKey
  /** From when instances may sign with it (ms): it is published before. Default `createdAt`. */
  readonly activatesAt?: number
  /**
   * `config`: a key an instance was configured with, published (public part only, never a
   * secret) so that every instance verifies it and a mixed fleet shows. Never signs elsewhere.
   */
  readonly origin?: 'config'
}

/** Where a session was started from, as the application describes it. */
export interface DeviceInfo {
  readonly userAgent?: string
  readonly ip?: string
  /** A human label ("Firefox on laptop"). */
  readonly label?: string
}

/** A session: one login on one device, with its refresh-token family. */
export interface SessionRecord {
  readonly sid: string
  readonly sub: string
  readonly clientId: string | undefined
  readonly scope: string | undefined
  /** Extra claims every access token of the session carries. */
  readonly claims: Readonly<Record<string, unknown>> | undefined
  readonly device: DeviceInfo | undefined
  readonly createdAt: number
  /**
   * When the user last authenticated on this session (ms): `createdAt`, or the last
   * `reauthenticate`. Access tokens carry it as `auth_time` (seconds). Absent: `createdAt`.
   */
  readonly authTime?: number
  readonly lastUsedAt: number
  /** Active while `now < expiresAt`: the earlier of the absolute and the idle expiry. */
  readonly expiresAt: number
  readonly absoluteExpiresAt: number
  /** The store may forget the record from then on. */
  readonly purgeAt: number
  /** SHA-256 of the current refresh token; undefined for a session that has none. */
  readonly refreshHash: string | undefined
  /** When the current refresh token was issued. */
  readonly rotatedAt: number
  /** Hashes of spent refresh tokens, newest first, at most `SPENT_HISTORY`. */
  readonly spentHashes: readonly string[]
  /**
   * The current refresh token sealed under the one it replaced (`sealHeir`), so a retry of the
   * last rotation gets the same token back; unusable without the old token. Absent before the
   * first rotation.
   */
  readonly sealedHeir?: string
}
