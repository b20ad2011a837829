import { EventEmitter } from 'node:events'
import {
  ClaimsChanged,
  InsufficientUserAuthentication,
  KeyRetired,
  KidUnknown,
  SessionNotFound,
  SessionRevoked,
  StoreUnavailable,
  TokenExpired,
  TokenRevoked,
} from './errors.js'
import type { AuditContext, RevocableEvents } from './events.js'
import { parseKeyEncryptionKey, type KeyEncryptionKey } from './keys/envelope.js'
import { importConfiguredKey, type KeyInput } from './keys/import.js'
import { dueSteps, stepName, type ScheduleStep } from './keys/key-schedule.js'
import type { JSONWebKeySet } from './keys/jwks.js'
import { KeyRing, type KeyInfo } from './keys/key-ring.js'
import { resolveOptions, type ResolvedOptions, type RevocableOptions } from './options.js'
import { FeedFollower, type FollowerOptions, type FollowerStats } from './revocation/feed.js'
import { Replica } from './revocation/replica.js'
import { StoreClock } from './revocation/store-clock.js'
import { Revoker, callStore } from './revocation/revoker.js'
import { awaitReplicas } from './revocation/await-replicas.js'
import { checkStore } from './revocation/check-store.js'
import { inspectRefreshToken, type RefreshTokenInfo } from './sessions/inspect-refresh-token.js'
import { TokenCache, type CachedToken } from './revocation/token-cache.js'
import { revocationReason } from './records/revocation-reason.js'
import { sessionExpiry } from './records/session.js'
import { claimsChangedSince } from './records/user-state.js'
import {
  UserLifecycle,
  type ReauthenticateOptions,
  type SuspendUserOptions,
  type UserState,
} from './sessions/lifecycle.js'
import {
  findSessionOfRefreshToken,
  Sessions,
  type RefreshOptions,
  type SessionInfo,
  type StartSessionInput,
  type TokenSet,
} from './sessions/sessions.js'
import { MemoryStore } from './stores/memory.js'
import type { RevocationQuery, RevocationStatus, SessionRecord, Store } from './stores/store.js'
import {
  assertNotExpired,
  issuedAtMs,
  revocationOriginMs,
  type AccessTokenClaims,
  type ClaimRules,
} from './tokens/claims.js'
import { randomId } from './tokens/ids.js'
import { signAccessToken } from './tokens/issue.js'
import { HeaderCache } from './tokens/header-cache.js'
import { checkTokenInput, checkTtl, type TokenInput } from './tokens/token-input.js'
import { verifyAccessToken } from './tokens/verify.js'

export interface IssueInput extends TokenInput {
  /**
   * The session the token belongs to. Default: a new session id (in allowlist mode, a new
   * session record without a refresh token). A given sid must not be revoked, and in allowlist
   * mode must be an active session of `sub`.
   */
  sid?: string
  /** Lifetime in seconds (a positive integer, at most `maxAccessTokenTtl`). Default `accessTokenTtl`. */
  ttl?: number
}

export interface RevokeOptions extends AuditContext {
  /**
   * Resolve only once every live replica on the store applies the revocation (at most
   * maxStaleness later), so no instance accepts the token after this call resolves. Default:
   * the `awaitReplicas` option.
   */
  awaitReplicas?: boolean
}

export interface RevokeUserOptions extends RevokeOptions {
  /** Revoke tokens issued at or before this instant (a Date or ms). Default: now. */
  before?: Date | number
}

/** Counters since the instance was made, and the replica's health. */
export interface RevocableStats {
  /** Verifies that accepted a token without a revocation check (`onStoreError: 'fail-open'`). */
  revocationChecksSkipped: number
  /** Revocation checks answered by the store (no replica, or one too stale to trust). */
  directLookups: number
  /** Revocation checks answered by the local replica. */
  replicaLookups: number
  tokenCache: { size: number; hits: number; misses: number }
  /** Undefined when no replica runs. */
  replica: (FollowerStats & { entries: ReturnType<Replica['size']> }) | undefined
}

/** The replica and the follower that feeds it, when the store has a change feed. */
export interface ReplicaRuntime {
  readonly replica: Replica
  readonly follower: FeedFollower
}

export interface VerifyOptions {
  /**
   * Most seconds since the user authenticated (`auth_time`): an older authentication, or a token
   * without `auth_time`, rejects with ERR_INSUFFICIENT_USER_AUTHENTICATION (RFC 9470 step-up).
   * Default: no limit.
   */
  maxAuthAge?: number
}

function checkMaxAuthAge(value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError('"maxAuthAge" must be a non-negative number of seconds')
  }
  return value
}

/** Throws ERR_INSUFFICIENT_USER_AUTHENTICATION when the authentication is older than allowed. */
export function assertAuthAge(claims: AccessTokenClaims, maxAuthAge: number, now: number): void {
  const authTime = claims.auth_time
  if (typeof authTime !== 'number' || now / 1000 - authTime > maxAuthAge) {
    throw new InsufficientUserAuthentication(Math.floor(maxAuthAge))
  }
}

function checkUntil(value: unknown, now: number): number | undefined {
  if (value === undefined) return undefined
  const until = value instanceof Date ? value.getTime() : value
  if (typeof until !== 'number' || !Number.isFinite(until) || until <= now) {
    throw new TypeError('"until" must be a Date or a number of milliseconds in the future')
  }
  return until
}

export interface ListSessionsOptions {
  /** Marks this session `current: true` in the list. */
  currentSid?: string
}

function checkId(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '')
    throw new TypeError(`"${name}" must be a non-empty string`)
  return value
}

// Session ids appear inside store keys; this alphabet keeps them unambiguous there.
const SESSION_ID = /^[A-Za-z0-9._~-]{1,128}$/

function checkSessionId(value: unknown): string {
  if (typeof value !== 'string' || !SESSION_ID.test(value)) {
    throw new TypeError('"sid" must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -')
  }
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
  readonly #sessions: Sessions
  readonly #lifecycle: UserLifecycle
  readonly #rules: ClaimRules
  #lastKeyReload: number
  readonly #counters = { revocationChecksSkipped: 0, directLookups: 0, replicaLookups: 0 }
  readonly #cache: TokenCache
  readonly #runtime: ReplicaRuntime | undefined
  readonly #maxStalenessMs: number
  readonly #headers = new HeaderCache()
  readonly #storeClock: StoreClock | undefined
  #closed = false
  readonly #instanceId = randomId()
  #maintenance: NodeJS.Timeout | undefined
  #maintaining: Promise<void> = Promise.resolve()
  #reloading: Promise<void> | undefined
  #reloadAgain = false

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
    this.#storeClock = storeClock
    this.#cache = new TokenCache(options.tokenCacheSize)
    this.#runtime = runtime
    this.#maxStalenessMs = options.maxStaleness * 1000
    this.options = options
    this.store = store
    this.#ownsStore = ownsStore
    this.#ring = ring
    this.#revoker = new Revoker(store, options, (change) => runtime?.replica.apply(change))
    this.#rules = Object.freeze({
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance,
      maxTokenAge: options.maxAccessTokenTtl,
    })
    // EventEmitter's generic emit cannot be narrowed through a forwarding call; Emit keeps
    // the callers exact.
    const emit = (name: string, ...args: unknown[]) =>
      void (this.emit as (event: string, ...rest: unknown[]) => boolean)(name, ...args)
    const mint = (session: SessionRecord, issuedAt: number) =>
      this.#mint(session, issuedAt, options.accessTokenTtl)
    this.#lifecycle = new UserLifecycle({
      store,
      options,
      revoker: this.#revoker,
      mint,
      emit,
      replicaState: (sub, now) =>
        runtime !== undefined && runtime.follower.isFresh(this.#maxStalenessMs, now)
          ? runtime.replica.userState(sub, now)
          : undefined,
    })
    this.#sessions = new Sessions({
      store,
      options,
      revoker: this.#revoker,
      mint,
      clockUncertainty: () => storeClock?.uncertainty ?? 0,
      emit,
      lifecycle: this.#lifecycle,
    })
    this.#lastKeyReload = options.clock()
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
    const checked = checkTokenInput(input, 'issue')
    const ttl = checkTtl(input.ttl, this.options)
    const sid = input.sid === undefined ? undefined : checkSessionId(input.sid)
    const stamped = this.#revoker.issueInstant(checked.sub)
    // A fresh replica answers without I/O; verify refuses a racing token of a suspended user.
    const state = await this.#lifecycle.admit(checked.sub, stamped, true)
    const issuedAt = this.#lifecycle.mintInstant(stamped, state)
    const session = { ...checked, sid: sid ?? randomId() }

    if (sid !== undefined) {
      const status = await this.#revoker.status({
        now: issuedAt,
        jti: '',
        sid,
        sub: checked.sub,
        kid: '',
      })
      if (status.sessionRevoked) throw new SessionRevoked()
      if (this.options.mode === 'allowlist' && !status.sessionActive) throw new SessionNotFound()
    } else if (this.options.mode === 'allowlist') {
      await this.#recordBareSession(session, issuedAt)
    }
    return this.#mint(session, issuedAt, ttl)
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
    const maxAuthAge = options?.maxAuthAge
    if (maxAuthAge === undefined) return this.#verify(token)
    const limit = checkMaxAuthAge(maxAuthAge)
    return this.#verify(token).then((claims) => {
      assertAuthAge(claims, limit, this.options.clock())
      return claims
    })
  }

  #verify(token: string): Promise<AccessTokenClaims> {
    let verified: CachedToken
    try {
      const now = this.options.clock()
      const cached = this.#cache.get(token)
      if (cached === undefined) {
        verified = this.#verifySignatureAndClaims(token, now)
      } else {
        // A hit skips the signature, never the checks that time can make fail.
        assertNotExpired(cached.claims, this.#rules, now)
        verified = cached
      }
      const status = this.#replicaStatus(verified, now)
      if (status !== undefined) {
        this.#enforce(verified, status)
        if (cached === undefined) this.#cache.set(token, verified)
        return Promise.resolve(verified.claims)
      }
    } catch (error) {
      if (error instanceof KidUnknown && this.#keyReloadDue()) return this.#verifySlowly(token)
      return Promise.reject(error)
    }
    return this.#verifyWithStore(token, verified)
  }

  /** Counters, and the replica's staleness, lag and size. */
  stats(): RevocableStats {
    const follower = this.#runtime?.follower.stats()
    return {
      ...this.#counters,
      tokenCache: { size: this.#cache.size, hits: this.#cache.hits, misses: this.#cache.misses },
      replica:
        follower === undefined
          ? undefined
          : { ...follower, entries: (this.#runtime as ReplicaRuntime).replica.size() },
    }
  }

  /** Whether verified claims have been revoked, by any of the four ways (one store round trip). */
  async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const status = await this.#revoker.status({
      now: this.options.clock(),
      jti: claims.jti,
      sid: claims.sid,
      sub: claims.sub,
      kid: '',
    })
    return (
      revocationReason(revocationOriginMs(claims), status, this.options.mode) !== undefined ||
      status.userSuspended
    )
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
    const context = checkAudit(audit)
    let jti = tokenOrJti
    let exp: number | undefined
    let sub: string | undefined
    if (tokenOrJti.includes('.')) {
      try {
        ;({ jti, exp, sub } = (await this.#verifyIgnoringRevocation(tokenOrJti)).claims)
      } catch (error) {
        if (error instanceof TokenExpired) return
        throw error
      }
    }
    await this.#revoker.revokeJti(jti, exp)
    this.emit('token.revoked', { kind: 'token', jti, sub, at: this.options.clock(), ...context })
    await this.#awaitReplicas(audit)
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
    const context = checkAudit(audit)
    const ended = await this.#revoker.revokeSession(sid)
    const at = this.options.clock()
    this.emit('token.revoked', { kind: 'session', sid, sub: ended?.sub, at, ...context })
    if (ended !== undefined) {
      this.emit('session.ended', { sid, sub: ended.sub, cause: 'revoked', at, ...context })
    }
    await this.#awaitReplicas(audit)
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
    const context = checkAudit(audit)
    const session = await findSessionOfRefreshToken(this.store, refreshToken, { spent: true })
    if (session === undefined) return false
    const ended = await this.#revoker.revokeSession(session.sid)
    const at = this.options.clock()
    const { sid, sub } = session
    this.emit('token.revoked', { kind: 'session', sid, sub, at, ...context })
    if (ended === undefined) return false
    this.emit('session.ended', { sid, sub, cause: 'revoked', at, ...context })
    return true
  }

  /** The same as `revokeSession`: ends one session (logout). */
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
    const context = checkAudit(options)
    const now = this.options.clock()
    const before =
      options.before instanceof Date
        ? options.before.getTime()
        : (options.before ?? this.#revoker.nextUserCutoff(sub))
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new TypeError('"before" must be a Date or a number of milliseconds')
    }
    if (options.before !== undefined && before > now) {
      throw new TypeError('"before" must not lie in the future')
    }
    // "Log out everywhere" (no `before`) ends every session that exists, whatever clock stamped it.
    const ended = await this.#revoker.revokeUser(sub, before, options.before === undefined)
    this.emit('token.revoked', { kind: 'user', sub, cutoff: before, at: now, ...context })
    for (const session of ended) {
      this.emit('session.ended', {
        sid: session.sid,
        sub,
        cause: 'user-revoked',
        at: now,
        ...context,
      })
    }
    await this.#awaitReplicas(options)
  }

  /**
   * Revokes every token issued until now (a global epoch) and ends every session started until
   * now, without retiring keys.
   *
   * @example
   * await auth.revokeAll({ reason: 'incident 42' })
   */
  async revokeAll(audit?: RevokeOptions): Promise<void> {
    const context = checkAudit(audit)
    const cutoff = await this.#revoker.revokeAll()
    this.emit('token.revoked', { kind: 'global', cutoff, at: cutoff, ...context })
    await this.#awaitReplicas(audit)
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
    await this.#awaitReplicas(options)
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
    await this.#awaitReplicas(audit)
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
    await this.#awaitReplicas(audit)
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
    await this.#awaitReplicas(audit)
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
    const lead = options.lead ?? this.options.keyPublishLead
    if (typeof lead !== 'number' || !Number.isFinite(lead) || lead < 0) {
      throw new TypeError('"lead" must be a non-negative number of seconds')
    }
    const context = checkAudit({ actor: options.actor, reason: options.reason })
    if (this.#ring.configured) {
      throw new TypeError(
        'keys are configured ("keys" option, SIGNING_KEYS): rotate them in the configuration',
      )
    }
    const kid = await callStore('rotate keys', () => this.#ring.rotate(lead * 1000))
    this.#headers.clear()
    const at = this.options.clock()
    this.emit('key.rotated', { kid, activatesAt: at + lead * 1000, at, ...context })
    return kid
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
    const lead = options.lead ?? this.options.keyPublishLead
    if (typeof lead !== 'number' || !Number.isFinite(lead) || lead < 0) {
      throw new TypeError('"lead" must be a non-negative number of seconds')
    }
    const key = await importConfiguredKey(input, 'key')
    // Misuse is a TypeError, checked before the store is involved (callStore maps the rest).
    if (this.#ring.configured) {
      throw new TypeError('keys are configured here (SIGNING_KEYS): add the key there instead')
    }
    if (key.signKey === undefined) {
      throw new TypeError(
        'only a private key or secret can be imported; a public key verifies only',
      )
    }
    if (this.#ring.isRetired(key.kid)) throw new TypeError(`key "${key.kid}" has been retired`)
    const kid = await callStore('import a key', () => this.#ring.importKey(key, lead * 1000))
    this.#headers.clear()
    const at = this.options.clock()
    this.emit('key.rotated', { kid, activatesAt: at + lead * 1000, at })
    return kid
  }

  /** Retires a key: every token signed with it is rejected from now on, on every instance. */
  async retireKey(kid: string, audit?: AuditContext): Promise<void> {
    checkId('kid', kid)
    const context = checkAudit(audit)
    await this.#ring.retire(kid)
    this.#headers.clear()
    this.#revoker.announce({ kind: 'retired', kid })
    this.#cache.forgetKid(kid)
    this.emit('key.retired', { kid, at: this.options.clock(), ...context })
  }

  /** Re-reads keys and retirements from the store (done by itself when an unknown kid shows up). */
  async reloadKeys(): Promise<void> {
    this.#lastKeyReload = this.options.clock()
    await callStore('load keys', () => this.#ring.reload())
    this.#headers.clear()
  }

  /**
   * @internal A key change arrived on the change feed: reload in the background, coalescing
   * bursts. A failed reload is retried with the next change (or an unknown kid).
   */
  reloadKeysSoon(): void {
    if (this.#closed) return
    if (this.#reloading !== undefined) {
      this.#reloadAgain = true
      return
    }
    this.#reloading = this.reloadKeys()
      .catch(() => undefined)
      .finally(() => {
        this.#reloading = undefined
        if (this.#reloadAgain) {
          this.#reloadAgain = false
          this.reloadKeysSoon()
        }
      })
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
  async maintainKeys(): Promise<ScheduleStep[]> {
    // One round at a time per instance: the lease is per instance, so two rounds of the same
    // instance would both win it.
    const previous = this.#maintaining
    let done!: () => void
    this.#maintaining = new Promise<void>((resolve) => (done = resolve))
    try {
      await previous
      return await this.#maintainKeysOnce()
    } finally {
      done()
    }
  }

  async #maintainKeysOnce(): Promise<ScheduleStep[]> {
    await this.reloadKeys()
    const interval = this.options.keyRotationInterval
    if (interval === false || this.#ring.configured || this.#closed) return []
    const leadMs = this.options.keyPublishLead * 1000
    const intervalMs = interval * 1000
    const steps = dueSteps({
      now: this.options.clock(),
      intervalMs,
      leadMs,
      maxTokenLifetimeMs: (this.options.maxAccessTokenTtl + this.options.clockTolerance) * 1000,
      keys: this.#ring.generatedKeys(),
    })
    // Long enough that no instance with a fresh ring decides the same step again.
    const leaseMs = Math.min(intervalMs / 2, Math.max(leadMs, 300_000))
    const taken: ScheduleStep[] = []
    for (const step of steps) {
      const won = await callStore('take a key lease', () =>
        this.store.acquireLease(stepName(step), this.#instanceId, leaseMs),
      )
      if (!won) continue
      if (step.kind === 'publish') {
        await this.rotateKeys({ lead: this.options.keyPublishLead, actor: 'schedule' })
      } else {
        await this.retireKey(step.kid, {
          actor: 'schedule',
          reason: 'no token it signed can still be valid',
        })
      }
      taken.push(step)
    }
    return taken
  }

  /** @internal started by `createRevocable` */
  startKeyMaintenance(): void {
    const period = Math.max(1000, this.options.keyReloadInterval * 1000)
    this.#maintenance = setInterval(() => {
      // A failed round is retried on the next; the store's own errors are reported elsewhere.
      this.maintainKeys().catch(() => undefined)
    }, period)
    this.#maintenance.unref()
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
    this.#closed = true
    clearInterval(this.#maintenance)
    await this.#runtime?.follower.stop()
    await this.#reloading
    if (this.#ownsStore) await this.store.close()
  }

  #mint(
    session: Pick<SessionRecord, 'sub' | 'sid' | 'clientId' | 'scope' | 'claims'> &
      Partial<Pick<SessionRecord, 'createdAt' | 'authTime'>>,
    issuedAt: number,
    ttl: number,
  ): string {
    const key = this.#ring.signingKey()
    const iat = Math.floor(issuedAt / 1000)
    const audience = this.options.audience
    return signAccessToken(key, {
      iss: this.options.issuer,
      sub: session.sub,
      aud: audience.length === 1 ? (audience[0] as string) : [...audience],
      exp: iat + ttl,
      iat,
      iat_ms: issuedAt,
      // A session's tokens carry its start, so a cutoff that ends the session revokes them all.
      ...(session.createdAt !== undefined && {
        auth_time_ms: session.createdAt,
        // RFC 9068 §2.2.1: when the user authenticated (the login, or the last reauthenticate).
        auth_time: Math.floor((session.authTime ?? session.createdAt) / 1000),
      }),
      jti: randomId(),
      sid: session.sid,
      ...(session.clientId !== undefined && { client_id: session.clientId }),
      ...(session.scope !== undefined && { scope: session.scope }),
      ...session.claims,
    })
  }

  /** Allowlist mode: a token issued outside `startSession` still needs an active session. */
  async #recordBareSession(
    session: Pick<SessionRecord, 'sub' | 'sid' | 'clientId' | 'scope' | 'claims'>,
    now: number,
  ): Promise<void> {
    const absoluteExpiresAt = now + this.options.sessionMaxAge * 1000
    const record: SessionRecord = {
      ...session,
      device: undefined,
      createdAt: now,
      lastUsedAt: now,
      absoluteExpiresAt,
      // Nothing refreshes a bare session, so it lives as long as the access tokens it allows.
      ...sessionExpiry(now, absoluteExpiresAt, this.options.maxAccessTokenTtl * 1000, 0),
      refreshHash: undefined,
      rotatedAt: now,
      spentHashes: [],
    }
    const result = await callStore('record a session', () =>
      this.store.createSession(record, {
        max: this.options.maxSessionsPerUser,
        onLimit: this.options.sessionLimitAction,
        now,
        revocationExpiresAt: this.#revoker.sessionRevocationExpiry(),
      }),
    )
    if (result.revoked === true) throw new SessionRevoked()
    if (!result.created) throw new SessionNotFound('too many active sessions')
    this.#revoker.announceSessionsEnded(result.evicted)
    const { sid, sub, createdAt, expiresAt } = record
    this.#revoker.announce({ kind: 'session-active', sid, sub, createdAt, expiresAt })
  }

  #verifySignatureAndClaims(token: string, now = this.options.clock()): CachedToken {
    const { claims, key } = verifyAccessToken(token, {
      keys: this.#ring,
      rules: this.#rules,
      maxTokenSize: this.options.maxTokenSize,
      now,
      headers: this.#headers,
    })
    return { claims: Object.freeze(claims), kid: key.kid }
  }

  #keyReloadDue(): boolean {
    return this.options.clock() - this.#lastKeyReload >= this.options.keyReloadInterval * 1000
  }

  /** Everything but revocation. An unknown kid may be a key another instance just made. */
  async #verifyIgnoringRevocation(token: string): Promise<CachedToken> {
    try {
      return this.#verifySignatureAndClaims(token)
    } catch (error) {
      if (!(error instanceof KidUnknown) || !this.#keyReloadDue()) throw error
      await this.reloadKeys()
      return this.#verifySignatureAndClaims(token)
    }
  }

  async #verifySlowly(token: string): Promise<AccessTokenClaims> {
    return this.#verifyWithStore(token, await this.#verifyIgnoringRevocation(token))
  }

  #query(verified: CachedToken, now = this.options.clock()): RevocationQuery {
    const { claims, kid } = verified
    return { now, jti: claims.jti, sid: claims.sid, sub: claims.sub, kid }
  }

  /**
   * With `awaitReplicas` (the call's, else the option), waits until every live replica on the
   * store has applied what this instance wrote, at most maxStaleness (see awaitReplicas).
   */
  async #awaitReplicas(options: RevokeOptions | undefined): Promise<void> {
    if (!(options?.awaitReplicas ?? this.options.awaitReplicas)) return
    await awaitReplicas(this.store, { maxStalenessMs: this.#maxStalenessMs })
  }

  /** The replica's answer, or undefined when it is too stale or does not know enough. */
  #replicaStatus(verified: CachedToken, now: number): RevocationStatus | undefined {
    const runtime = this.#runtime
    if (runtime === undefined || !runtime.follower.isFresh(this.#maxStalenessMs, now)) {
      return undefined
    }
    const answer = runtime.replica.check(this.#query(verified, now))
    if (this.options.mode === 'allowlist' && !answer.sessionKnown) return undefined
    this.#counters.replicaLookups += 1
    return answer.status
  }

  async #verifyWithStore(token: string, verified: CachedToken): Promise<AccessTokenClaims> {
    let status: RevocationStatus
    try {
      this.#counters.directLookups += 1
      status = await this.#revoker.status(this.#query(verified))
    } catch (error) {
      // Fail-open still enforces signature and claims; it only skips revocation, and counts it.
      if (!(error instanceof StoreUnavailable) || this.options.onStoreError !== 'fail-open') {
        throw error
      }
      this.#counters.revocationChecksSkipped += 1
      return verified.claims
    }
    this.#enforce(verified, status)
    this.#cache.set(token, verified)
    return verified.claims
  }

  #enforce(verified: CachedToken, status: RevocationStatus): void {
    if (status.kidRetired) throw new KeyRetired('the key named by "kid" has been retired')
    const reason = revocationReason(revocationOriginMs(verified.claims), status, this.options.mode)
    if (reason !== undefined) throw new TokenRevoked(reason)
    if (status.userSuspended) throw new TokenRevoked('user-suspended')
    if (claimsChangedSince(issuedAtMs(verified.claims), status.claimsCutoff)) {
      throw new ClaimsChanged()
    }
  }
}

// How often an instance re-measures its offset from the store's clock.
const STORE_CLOCK_SYNC_INTERVAL_MS = 30_000

/**
 * Creates a Revocable: validates the options, opens the key ring (generating and storing a key
 * when none is configured or stored) and returns the object with every verb.
 *
 * @example
 * import { createRevocable } from 'revocable'
 *
 * const auth = await createRevocable({ issuer: 'https://auth.example.com', audience: 'api' })
 * const token = await auth.issue({ sub: 'user-42' })
 * const claims = await auth.verify(token) // { sub: 'user-42', sid, jti, … }
 * await auth.revokeSession(claims.sid)
 * await auth.verify(token) // throws ERR_TOKEN_REVOKED
 */
export async function createRevocable(options: RevocableOptions): Promise<Revocable> {
  let resolved = resolveOptions(options)
  const configured = await Promise.all(
    resolved.keys.map((key, index) => importConfiguredKey(key, `keys[${index}]`)),
  )
  const ownsStore = resolved.store === undefined
  const store: Store = resolved.store ?? new MemoryStore({ clock: resolved.clock })
  let storeClock: StoreClock | undefined
  if (resolved.timeAuthority === 'store' && store.time !== undefined) {
    // One time line for every instance: this one's clock, corrected to the store's.
    const clock = new StoreClock(resolved.clock, store.time.bind(store))
    await callStore('read the store clock', () => clock.sync())
    clock.start(STORE_CLOCK_SYNC_INTERVAL_MS)
    storeClock = clock
    resolved = Object.freeze({ ...resolved, clock: clock.now })
  }
  const kek = await keyEncryptionKeyFor(resolved, store, configured.length > 0)
  const ring = await callStore('open the key ring', () =>
    KeyRing.open({
      store,
      configured,
      algorithm: resolved.algorithm,
      clock: resolved.clock,
      kek,
      warn: resolved.warn,
    }),
  )
  let runtime: ReplicaRuntime | undefined
  if (resolved.replica === 'auto' && store.openChangeFeed !== undefined) {
    const openFeed = store.openChangeFeed.bind(store)
    const feed = await callStore('open the change feed', openFeed)
    const replica = new Replica()
    const follower = new FeedFollower(feed, replica, {
      clock: resolved.clock,
      // An idle read proves freshness as of its start and returns blockMs later, so staleness
      // peaks near twice blockMs (plus a round trip): a quarter of the allowance leaves room.
      blockMs: Math.min(250, (resolved.maxStaleness * 1000) / 4),
      sweepInterval: 60_000,
      onKeysChanged: () => keysChanged?.(),
      acknowledge: acknowledgeFor(store, resolved.maxStaleness * 1000),
    })
    await callStore('load the replica', () => follower.start())
    runtime = { replica, follower }
  }
  const auth = new Revocable(resolved, store, ownsStore, ring, runtime, storeClock)
  // Set after construction: a key change seen on the feed reloads this instance's ring.
  const keysChanged = () => auth.reloadKeysSoon()
  auth.startKeyMaintenance()
  return auth
}

/**
 * How a replica publishes its feed position, when the store takes acknowledgements. The
 * acknowledgement lives twice maxStaleness: never less than maxStaleness (a replica skipped as
 * gone must already have stopped answering from memory), and long enough to be renewed by reads
 * that return every quarter of it.
 */
function acknowledgeFor(store: Store, maxStalenessMs: number): FollowerOptions['acknowledge'] {
  if (store.acknowledgeFeed === undefined) return undefined
  const acknowledge = store.acknowledgeFeed.bind(store)
  const replicaId = randomId()
  const ttlMs = 2 * maxStalenessMs
  return {
    write: (position) => acknowledge(replicaId, position, ttlMs),
    ttlMs,
    // Expires at once (1 ms) and is then forgotten: closing an instance holds nobody up.
    withdraw: () => acknowledge(replicaId, '0-0', 1),
  }
}

/**
 * The key-encryption key: the option, else the store's own (SQLite: a 0600 file beside the
 * database). A store that is not process memory gets no private key in plaintext unless
 * `allowPlaintextKeys` says so; an instance with configured keys stores none.
 */
async function keyEncryptionKeyFor(
  resolved: ResolvedOptions,
  store: Store,
  hasConfiguredKeys: boolean,
): Promise<KeyEncryptionKey | undefined> {
  if (resolved.keyEncryptionKey !== undefined) {
    return parseKeyEncryptionKey(resolved.keyEncryptionKey, '"keyEncryptionKey"')
  }
  if (store instanceof MemoryStore) return undefined
  const local = await store.localKeyEncryptionKey?.()
  if (local !== undefined) return parseKeyEncryptionKey(local, "the store's key-encryption key")
  if (hasConfiguredKeys || resolved.allowPlaintextKeys) return undefined
  throw new TypeError(
    'generated private keys would be kept in the store in plaintext: give "keyEncryptionKey" ' +
      '(KEY_ENCRYPTION_KEY), configure "keys" (SIGNING_KEYS), or set "allowPlaintextKeys: true"',
  )
}
