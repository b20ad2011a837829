import type { Cutoffs } from '../records/cutoff.js'
import type { DataLossEvent } from '../records/data-loss.js'
import type { StoredKey } from '../records/key.js'
import type { RevocationQuery, RevocationStatus } from '../records/revocation-reason.js'
import type { RotationRequest, RotationResult } from '../records/rotation.js'
import type { SessionLimit } from '../records/session-cap.js'
import type { SessionRecord } from '../records/session.js'
import type { SuspensionRecord, UserStateRecord } from '../records/user-state.js'
import type { ReauthenticationRequest } from '../records/reauthentication.js'
import type { ChangeFeed } from './change-feed.js'

// The records a store persists and the rules it applies live in the records layer (src/records/);
// they are re-exported here so a store author finds the whole contract in one place.
export type { Cutoffs, DataLossEvent, StoredKey, RevocationQuery, RevocationStatus, SessionRecord }
export type { RotationRequest, RotationResult, SessionLimit }
export type { DeviceInfo } from '../records/session.js'
export type { SealedKey } from '../records/key.js'
export type { ReauthenticationRequest, SuspensionRecord, UserStateRecord }

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
   * records/rotation.ts) to the stored record: under any number of concurrent calls with the same
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
   * `decideReauthentication` (records/reauthentication.ts) to the stored record under the
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

export interface CreateSessionResult {
  readonly created: boolean
  /** Set when the session was refused because a cutoff covers it (see `Store.createSession`). */
  readonly revoked?: true
  /** Sessions ended to make room, least recently used first. */
  readonly evicted: SessionRecord[]
}
