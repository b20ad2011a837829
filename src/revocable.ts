// The façade: every public verb of the library, each with its JSDoc and a one-line delegation.
// The work is in the layers below: revocation/verifier.ts (the verify path),
// revocation/revocations.ts (the revoke verbs), sessions/ (issue, sessions, refresh tokens),
// keys/key-manager.ts (the key verbs), sessions/lifecycle.ts (the user-lifecycle verbs), and
// create-revocable.ts builds it all. It is over 300 lines only because of the public API's
// JSDoc and @example blocks (some thirty verbs), which belong with the verbs users call.
import { EventEmitter } from 'node:events'
import type { AuditContext, RevocableEvents } from './events.js'
import type { KeyInput } from './keys/import.js'
import type { ScheduleStep } from './keys/key-schedule.js'
import type { JSONWebKeySet } from './keys/jwks.js'
import { KeyManager } from './keys/key-manager.js'
import type { KeyInfo, KeyRing } from './keys/key-ring.js'
import type { ResolvedOptions } from './options.js'
import { checkStore } from './revocation/check-store.js'
import { Revoker } from './revocation/revoker.js'
import {
  Revocations,
  type RevokeOptions,
  type RevokeUserOptions,
} from './revocation/revocations.js'
import type { StoreClock } from './revocation/store-clock.js'
import {
  Verifier,
  type ReplicaRuntime,
  type RevocableStats,
  type VerifyOptions,
} from './revocation/verifier.js'
import { inspectRefreshToken, type RefreshTokenInfo } from './sessions/inspect-refresh-token.js'
import { checkSessionId, issueAccessToken, type IssueInput } from './sessions/issue.js'
import {
  UserLifecycle,
  type ReauthenticateOptions,
  type SuspendUserOptions,
  type UserState,
} from './sessions/lifecycle.js'
import {
  Sessions,
  type RefreshOptions,
  type SessionInfo,
  type StartSessionInput,
  type TokenSet,
} from './sessions/sessions.js'
import type { Store } from './stores/store.js'
import type { AccessTokenClaims } from './tokens/claims.js'
import { randomId } from './tokens/ids.js'
import { mintAccessToken, type TokenSubject } from './tokens/mint.js'

export type { IssueInput, RevocableStats, RevokeOptions, RevokeUserOptions, VerifyOptions }

export interface ListSessionsOptions {
  /** Marks this session `current: true` in the list. */
  currentSid?: string
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`"${name}" must be a non-empty string`)
  return value
}

function checkAudit(audit: AuditContext | undefined): AuditContext {
  if (audit === undefined) return {}
  if (audit === null || typeof audit !== 'object') throw new TypeError('options must be an object')
  const result: AuditContext = {}
  if (audit.actor !== undefined) result.actor = checkId('actor', audit.actor)
  if (audit.reason !== undefined) result.reason = checkId('reason', audit.reason)
  const wait = (audit as RevokeOptions).awaitReplicas
  if (wait !== undefined && typeof wait !== 'boolean') {
    throw new TypeError('"awaitReplicas" must be a boolean')
  }
  return result
}

function checkUntil(value: unknown, now: number): number | undefined {
  if (value === undefined) return undefined
  const until = value instanceof Date ? value.getTime() : value
  if (typeof until !== 'number' || !Number.isFinite(until) || until <= now) {
    throw new TypeError('"until" must be a Date or a number of milliseconds in the future')
  }
  return until
}

/**
 * Issues, verifies and revokes access tokens, and runs sessions with rotating refresh tokens.
 * Make one with `createRevocable`. Emits the events of `RevocableEvents`.
 */
export class Revocable extends EventEmitter<RevocableEvents> {
  readonly options: ResolvedOptions
  readonly store: Store
  readonly #ownsStore: boolean
  readonly #ring: KeyRing
  readonly #revoker: Revoker
  readonly #verifier: Verifier
  readonly #revocations: Revocations
  readonly #sessions: Sessions
  readonly #lifecycle: UserLifecycle
  readonly #keys: KeyManager
  readonly #storeClock: StoreClock | undefined
  readonly #runtime: ReplicaRuntime | undefined

  /** @internal use `createRevocable` */
  constructor(
    options: ResolvedOptions,
    store: Store,
    ownsStore: boolean,
    ring: KeyRing,
    runtime?: ReplicaRuntime,
    storeClock?: StoreClock,
  ) {
    super()
    this.options = options
    this.store = store
    this.#ownsStore = ownsStore
    this.#ring = ring
    this.#runtime = runtime
    this.#storeClock = storeClock
    // EventEmitter's generic emit cannot be narrowed through a forwarding call; the verbs' own
    // emit types keep their callers exact.
    const emit = (name: string, ...args: unknown[]) =>
      void (this.emit as (event: string, ...rest: unknown[]) => boolean)(name, ...args)
    const revoker = new Revoker(store, options, (change) => runtime?.replica.apply(change))
    this.#revoker = revoker
    const verifier = new Verifier({
      keys: ring,
      options,
      lookup: (query) => revoker.status(query),
      reloadKeys: () => this.reloadKeys(),
      runtime,
    })
    this.#verifier = verifier
    const mint = (session: TokenSubject, issuedAt: number) =>
      this.#mint(session, issuedAt, options.accessTokenTtl)
    const lifecycle = new UserLifecycle({
      store,
      options,
      revoker,
      mint,
      emit,
      replicaState: (sub, now) => verifier.freshReplica(now)?.userState(sub, now),
    })
    this.#lifecycle = lifecycle
    this.#sessions = new Sessions({
      store,
      options,
      revoker,
      mint,
      clockUncertainty: () => storeClock?.uncertainty ?? 0,
      emit,
      lifecycle,
    })
    this.#revocations = new Revocations({ store, options, revoker, verifier, emit })
    this.#keys = new KeyManager({
      ring,
      store,
      options,
      instanceId: randomId(),
      emit,
      onReloading: () => verifier.keysReloading(),
      onChanged: () => verifier.keysChanged(),
      onRetired: (kid) => {
        verifier.keyRetired(kid)
        revoker.announce({ kind: 'retired', kid })
      },
    })
    store.onDataLoss?.((event) => {
      // The raised epoch holds here at once, before the feed brings it.
      if (event.epoch !== undefined) runtime?.replica.apply({ kind: 'epoch', cutoff: event.epoch })
      this.emit('store.data_loss', event)
    })
  }

  /**
   * Issues a single access token (a compact JWS, `typ: at+jwt`). For logins that need refresh
   * tokens, use `startSession`.
   *
   * @example
   * const token = await auth.issue({ sub: 'user-42', scope: 'read write' })
   */
  async issue(input: IssueInput): Promise<string> {
    const { options } = this
    const deps = {
      options,
      revoker: this.#revoker,
      sessions: this.#sessions,
      lifecycle: this.#lifecycle,
    }
    return issueAccessToken({ ...deps, mint: (s, at, ttl) => this.#mint(s, at, ttl) }, input)
  }

  /**
   * Verifies a token completely: shape, header, signature, claims, then revocation. Resolves to
   * the claims (frozen); rejects with a `RevocableError` whose `code` says why. With a fresh
   * replica and a cached or valid token this does no I/O at all; otherwise it asks the store
   * (one round trip).
   *
   * @example
   * try {
   *   const claims = await auth.verify(token)
   * } catch (error) {
   *   if (error.code === 'ERR_TOKEN_REVOKED') // …
   * }
   * // Step-up: the user must have authenticated within the last 5 minutes.
   * await auth.verify(token, { maxAuthAge: 300 }) // else ERR_INSUFFICIENT_USER_AUTHENTICATION
   */
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims> {
    return this.#verifier.verify(token, options)
  }

  /** Counters, and the replica's staleness, lag and size. */
  stats(): RevocableStats {
    return this.#verifier.stats()
  }

  /** Whether verified claims have been revoked, by any of the four ways (one store round trip). */
  isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    return this.#verifier.isRevoked(claims)
  }

  /**
   * Revokes one token, given the token itself or its jti. The entry lasts until the token would
   * have expired (for a bare jti, the longest token lifetime). A token must carry a valid
   * signature; an already expired one needs no entry and is left alone.
   *
   * @example
   * await auth.revokeToken(token)
   */
  async revokeToken(tokenOrJti: string, audit?: RevokeOptions): Promise<void> {
    checkId('tokenOrJti', tokenOrJti)
    return this.#revocations.token(tokenOrJti, checkAudit(audit), audit)
  }

  /**
   * Revokes every access token carrying this session id and ends the session (its refresh token
   * stops working). Use it for "log out this device". With `{ awaitReplicas: true }` it resolves
   * once every instance's replica rejects the session's tokens too.
   *
   * @example
   * await auth.revokeSession(claims.sid)
   * await auth.revokeSession(claims.sid, { awaitReplicas: true, reason: 'logout' })
   */
  async revokeSession(sid: string, audit?: RevokeOptions): Promise<void> {
    checkId('sid', sid)
    return this.#revocations.session(sid, checkAudit(audit), audit)
  }

  /**
   * Ends the session a refresh token belongs to: logout that needs no access token (it may have
   * expired, or a page reload may have dropped it from memory). The token may be the session's
   * current one or one it has already rotated away from. Idempotent: an unknown, forged or
   * already ended token changes nothing. Resolves to whether this call ended a session; only a
   * store outage rejects (ERR_STORE_UNAVAILABLE), since a logout that did not happen must not
   * look like one that did.
   *
   * @example
   * app.post('/auth/logout', async (req, res) => {
   *   await auth.revokeRefreshToken(req.cookies.refresh_token, { reason: 'logout' })
   *   res.clearCookie('refresh_token').status(204).end()
   * })
   */
  async revokeRefreshToken(refreshToken: string, audit?: AuditContext): Promise<boolean> {
    if (typeof refreshToken !== 'string') throw new TypeError('"refreshToken" must be a string')
    return this.#sessions.revokeByRefreshToken(refreshToken, checkAudit(audit))
  }

  /** The same as `revokeSession` (documented in the README's session verbs): ends one session. */
  endSession(sid: string, audit?: RevokeOptions): Promise<void> {
    return this.revokeSession(sid, audit)
  }

  /**
   * What a refresh token of ours says, read-only: its session, whether it is the current token,
   * and whether a refresh would be honoured now by the same rules `refresh` applies. Undefined
   * for a token that is not ours, or an already spent one unless `spent` is true.
   *
   * @example
   * const info = await auth.inspectRefreshToken(token)
   * if (info?.active) console.log(info.sub, info.expiresAt)
   */
  inspectRefreshToken(
    refreshToken: string,
    options?: { spent?: boolean },
  ): Promise<RefreshTokenInfo | undefined> {
    return inspectRefreshToken(this.store, refreshToken, this.options.clock(), options)
  }

  /**
   * Resolves when the store answers what every verify may need (readiness); rejects with
   * ERR_STORE_UNAVAILABLE otherwise.
   *
   * @example
   * app.get('/readyz', async () => (await auth.checkStore(), { status: 'ready' }))
   */
  checkStore(): Promise<void> {
    return checkStore(this.store)
  }

  /**
   * Revokes every token of a user issued at or before `before` (default now) and ends the
   * sessions started by then: password change, ban, "log out everywhere". Tokens and sessions
   * issued afterwards work.
   *
   * @example
   * await auth.revokeUser('user-42', { reason: 'password changed' })
   */
  async revokeUser(sub: string, options: RevokeUserOptions = {}): Promise<void> {
    checkId('sub', sub)
    return this.#revocations.user(sub, options, checkAudit(options))
  }

  /**
   * Revokes every token issued until now (a global epoch) and ends every session started until
   * now, without retiring keys.
   *
   * @example
   * await auth.revokeAll({ reason: 'incident 42' })
   */
  async revokeAll(audit?: RevokeOptions): Promise<void> {
    return this.#revocations.all(checkAudit(audit), audit)
  }

  /**
   * Starts a session (one login on one device): an access token, a refresh token and the
   * session's description. Enforces `maxSessionsPerUser`.
   *
   * @example
   * const { accessToken, refreshToken } = await auth.startSession({
   *   sub: 'user-42',
   *   device: { userAgent: req.headers['user-agent'], ip: req.ip },
   * })
   */
  startSession(input: StartSessionInput): Promise<TokenSet> {
    return this.#sessions.start(input)
  }

  /**
   * Exchanges a refresh token for a new access token and a new refresh token (rotation). A
   * refresh token presented a second time revokes its whole session (ERR_REFRESH_TOKEN_REUSED).
   *
   * @example
   * const next = await auth.refresh(refreshToken)
   */
  refresh(refreshToken: string, options?: RefreshOptions): Promise<TokenSet> {
    return this.#sessions.refresh(refreshToken, options)
  }

  /**
   * A user's active sessions, most recently used first.
   *
   * @example
   * const sessions = await auth.listSessions(claims.sub, { currentSid: claims.sid })
   */
  listSessions(sub: string, options: ListSessionsOptions = {}): Promise<SessionInfo[]> {
    checkId('sub', sub)
    const currentSid =
      options.currentSid === undefined ? undefined : checkId('currentSid', options.currentSid)
    return this.#sessions.list(sub, currentSid)
  }

  /**
   * Ends every session of a user except one ("log out my other devices"). Resolves to how many
   * sessions were ended.
   */
  endOtherSessions(sub: string, keepSid: string, audit?: AuditContext): Promise<number> {
    return this.#sessions.endOthers(
      checkId('sub', sub),
      checkId('keepSid', keepSid),
      checkAudit(audit),
    )
  }

  /**
   * Suspends a user: records the suspension, then revokes every session and token of `sub` now.
   * Until `reinstateUser` or `until`, `startSession`, `refresh`, `issue` and `reauthenticate` for
   * `sub` reject with ERR_USER_SUSPENDED (403 access_denied), and verify rejects any token of
   * `sub` (ERR_TOKEN_REVOKED, reason `user-suspended`) on every instance.
   *
   * @example
   * await auth.suspendUser('user-42', { until: Date.now() + 86_400_000, reason: 'chargeback' })
   */
  async suspendUser(sub: string, options: SuspendUserOptions = {}): Promise<UserState> {
    checkId('sub', sub)
    const context = checkAudit(options)
    const until = checkUntil(options.until, this.options.clock())
    const state = await this.#lifecycle.suspend(sub, until, context)
    await this.#revocations.awaitReplicas(options)
    return state
  }

  /**
   * Lifts a user's suspension. Resolves to true when one was in force. Sessions and tokens the
   * suspension ended stay ended: the user logs in again.
   *
   * @example
   * await auth.reinstateUser('user-42', { actor: 'admin-7' })
   */
  async reinstateUser(sub: string, audit?: RevokeOptions): Promise<boolean> {
    checkId('sub', sub)
    const lifted = await this.#lifecycle.reinstate(sub, checkAudit(audit))
    await this.#revocations.awaitReplicas(audit)
    return lifted
  }

  /**
   * A user's lifecycle state: whether a suspension is in force (and until when), and the last
   * claims change still in effect. One store round trip.
   *
   * @example
   * const { suspended, suspension } = await auth.getUserState('user-42')
   */
  getUserState(sub: string): Promise<UserState> {
    return this.#lifecycle.state(checkId('sub', sub))
  }

  /**
   * Marks a user's claims (roles, permissions…) changed: every access token of `sub` issued until
   * now is refused with ERR_CLAIMS_CHANGED (401 invalid_token, "refresh"), while sessions and
   * refresh tokens stay valid, so the next refresh carries the new claims (`resolveClaims`) and
   * the user never sees a login form. Resolves to the instant of the change.
   *
   * @example
   * await roles.grant('user-42', 'admin')
   * await auth.markClaimsChanged('user-42', { actor: 'admin-7', reason: 'role granted' })
   */
  async markClaimsChanged(sub: string, audit?: RevokeOptions): Promise<Date> {
    checkId('sub', sub)
    const cutoff = await this.#lifecycle.markClaimsChanged(sub, checkAudit(audit))
    await this.#revocations.awaitReplicas(audit)
    return new Date(cutoff)
  }

  /**
   * Records a fresh authentication on an existing session (the user re-entered the password):
   * its tokens' `auth_time` becomes now, and a new token set is returned (a new refresh token:
   * the previous one is spent). Rejects with ERR_SESSION_NOT_FOUND for a session that is not
   * active, ERR_USER_SUSPENDED for a suspended user.
   *
   * @example
   * if (await passwords.check(claims.sub, req.body.password)) {
   *   const tokens = await auth.reauthenticate(claims.sid)
   * }
   */
  reauthenticate(sid: string, options: ReauthenticateOptions = {}): Promise<TokenSet> {
    checkSessionId(sid)
    return this.#lifecycle.reauthenticate(sid, checkAudit(options))
  }

  /**
   * Forgets a user: revokes every token and session of `sub`, then removes every session record
   * and the user's state. Only the revocation entries that keep already-issued tokens rejected
   * remain, until the longest token lifetime has passed. Resolves to how many sessions ended.
   *
   * @example
   * await auth.deleteUser('user-42', { reason: 'account deleted' })
   */
  async deleteUser(sub: string, audit?: RevokeOptions): Promise<{ sessionsEnded: number }> {
    checkId('sub', sub)
    const sessionsEnded = await this.#lifecycle.deleteUser(sub, checkAudit(audit))
    await this.#revocations.awaitReplicas(audit)
    return { sessionsEnded }
  }

  /** The public keys that verify this issuer's tokens (never private or secret members). */
  jwks(): JSONWebKeySet {
    return this.#ring.jwks()
  }

  /** Every key that still verifies, with which one signs. */
  listKeys(): KeyInfo[] {
    return this.#ring.list()
  }

  /**
   * Generates a new signing key, stored for every instance: it is published (JWKS) at once and
   * signs from `lead` seconds later (default `keyPublishLead`), so verifiers know it before the
   * first token it signs. Old keys still verify. Returns its kid. Refused (TypeError) when keys
   * are configured.
   *
   * @example
   * const kid = await auth.rotateKeys() // signs in keyPublishLead seconds
   * await auth.rotateKeys({ lead: 0 }) // signs at once (a compromised key)
   */
  async rotateKeys(
    options: { lead?: number; actor?: string; reason?: string } = {},
  ): Promise<string> {
    const context = checkAudit({ actor: options.actor, reason: options.reason })
    return this.#keys.rotate(options.lead, context)
  }

  /**
   * Stores an operator's key (a private key or HMAC secret, as for the `keys` option) for every
   * instance, sealed under the key-encryption key: published at once, it signs from `lead`
   * seconds later (default `keyPublishLead`) on instances generating keys of its algorithm.
   * Refused (TypeError) when keys are configured. Returns its kid.
   *
   * @example
   * await auth.importKey({ pem: readFileSync('signing.pem', 'utf8'), alg: 'ES256' })
   */
  async importKey(input: KeyInput, options: { lead?: number } = {}): Promise<string> {
    return this.#keys.import(input, options.lead)
  }

  /** Retires a key: every token signed with it is rejected from now on, on every instance. */
  async retireKey(kid: string, audit?: AuditContext): Promise<void> {
    checkId('kid', kid)
    return this.#keys.retire(kid, checkAudit(audit))
  }

  /** Re-reads keys and retirements from the store (done by itself when an unknown kid shows up). */
  reloadKeys(): Promise<void> {
    return this.#keys.reload()
  }

  /**
   * @internal A key change arrived on the change feed: reload in the background, coalescing
   * bursts. A failed reload is retried with the next change (or an unknown kid).
   */
  reloadKeysSoon(): void {
    this.#keys.reloadSoon()
  }

  /**
   * One round of key maintenance, run by a timer every `keyReloadInterval` seconds (tests with an
   * injected clock call it themselves): reloads the ring (what other instances changed), then
   * takes the scheduled rotation steps that are due and whose lease this instance wins: publish
   * a new key `keyPublishLead` before it signs; retire a superseded key once the longest token
   * lifetime has passed since it last signed. Resolves to the steps this instance took.
   *
   * @example
   * const steps = await auth.maintainKeys() // [{ kind: 'publish', after: 'kid-1' }]
   */
  maintainKeys(): Promise<ScheduleStep[]> {
    return this.#keys.maintain()
  }

  /** @internal started by `createRevocable` */
  startKeyMaintenance(): void {
    this.#keys.startMaintenance()
  }

  /**
   * Stops the replica's feed, and closes the store if `createRevocable` made it. A store you
   * passed in stays yours, open (another Revocable may share it): close it after this, or a
   * script keeps running on the store's open connection.
   *
   * @example
   * const store = await RedisStore.connect({ url })
   * const auth = await createRevocable({ issuer, audience, store })
   * // …
   * await auth.close()
   * await store.close()
   */
  async close(): Promise<void> {
    this.#storeClock?.stop()
    const keysStopped = this.#keys.stop()
    await this.#runtime?.follower.stop()
    await keysStopped
    if (this.#ownsStore) await this.store.close()
  }

  #mint(session: TokenSubject, issuedAt: number, ttl: number): string {
    return mintAccessToken(this.#ring.signingKey(), this.options, session, issuedAt, ttl)
  }
}
