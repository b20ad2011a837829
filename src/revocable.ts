import { EventEmitter } from 'node:events'
import { SessionNotFound, SessionRevoked, TokenExpired } from './errors.js'
import type { AuditContext, RevocableEvents } from './events.js'
import type { KeyInput } from './keys/import.js'
import type { ScheduleStep } from './keys/key-schedule.js'
import type { JSONWebKeySet } from './keys/jwks.js'
import { KeyManager } from './keys/key-manager.js'
import type { KeyInfo, KeyRing } from './keys/key-ring.js'
import type { ResolvedOptions } from './options.js'
import { awaitReplicas } from './revocation/await-replicas.js'
import { Revoker } from './revocation/revoker.js'
import type { StoreClock } from './revocation/store-clock.js'
import { Verifier, type ReplicaRuntime, type RevocableStats } from './revocation/verifier.js'
import {
  findSessionOfRefreshToken,
  Sessions,
  type RefreshOptions,
  type SessionInfo,
  type StartSessionInput,
  type TokenSet,
} from './sessions/sessions.js'
import type { SessionRecord } from './records/session.js'
import type { Store } from './stores/store.js'
import type { AccessTokenClaims } from './tokens/claims.js'
import { randomId } from './tokens/ids.js'
import { signAccessToken } from './tokens/issue.js'
import { checkTokenInput, checkTtl, type TokenInput } from './tokens/token-input.js'

export type { ReplicaRuntime, RevocableStats }

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
  readonly #verifier: Verifier
  readonly #sessions: Sessions
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
    this.#sessions = new Sessions({
      store,
      options,
      revoker,
      mint: (session, issuedAt) => this.#mint(session, issuedAt, options.accessTokenTtl),
      clockUncertainty: () => storeClock?.uncertainty ?? 0,
      emit,
    })
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
    const checked = checkTokenInput(input, 'issue')
    const ttl = checkTtl(input.ttl, this.options)
    const sid = input.sid === undefined ? undefined : checkSessionId(input.sid)
    const issuedAt = this.#revoker.issueInstant(checked.sub)
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
      await this.#sessions.recordBare(session, issuedAt)
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
   */
  verify(token: string): Promise<AccessTokenClaims> {
    return this.#verifier.verify(token)
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
    const context = checkAudit(audit)
    let jti = tokenOrJti
    let exp: number | undefined
    let sub: string | undefined
    if (tokenOrJti.includes('.')) {
      try {
        ;({ jti, exp, sub } = (await this.#verifier.verifyIgnoringRevocation(tokenOrJti)).claims)
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
  rotateKeys(options: { lead?: number; actor?: string; reason?: string } = {}): Promise<string> {
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
  importKey(input: KeyInput, options: { lead?: number } = {}): Promise<string> {
    return this.#keys.import(input, options.lead)
  }

  /** Retires a key: every token signed with it is rejected from now on, on every instance. */
  retireKey(kid: string, audit?: AuditContext): Promise<void> {
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

  #mint(
    session: Pick<SessionRecord, 'sub' | 'sid' | 'clientId' | 'scope' | 'claims'> &
      Partial<Pick<SessionRecord, 'createdAt'>>,
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
      ...(session.createdAt !== undefined && { auth_time_ms: session.createdAt }),
      jti: randomId(),
      sid: session.sid,
      ...(session.clientId !== undefined && { client_id: session.clientId }),
      ...(session.scope !== undefined && { scope: session.scope }),
      ...session.claims,
    })
  }

  /**
   * With `awaitReplicas` (the call's, else the option), waits until every live replica on the
   * store has applied what this instance wrote, at most maxStaleness (see awaitReplicas).
   */
  async #awaitReplicas(options: RevokeOptions | undefined): Promise<void> {
    if (!(options?.awaitReplicas ?? this.options.awaitReplicas)) return
    await awaitReplicas(this.store, { maxStalenessMs: this.options.maxStaleness * 1000 })
  }
}
