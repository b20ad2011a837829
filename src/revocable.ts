import {
  KeyRetired,
  KidUnknown,
  SessionNotFound,
  SessionRevoked,
  TokenExpired,
  TokenRevoked,
} from './errors.js'
import { importConfiguredKey } from './keys/import.js'
import type { JSONWebKeySet } from './keys/jwks.js'
import { KeyRing, type KeyInfo } from './keys/key-ring.js'
import { resolveOptions, type ResolvedOptions, type RevocableOptions } from './options.js'
import { Revoker } from './revocation/revoker.js'
import { revocationReason } from './revocation/rules.js'
import { MemoryStore } from './stores/memory.js'
import type { Store } from './stores/store.js'
import { RESERVED_CLAIMS, type AccessTokenClaims, type ClaimRules } from './tokens/claims.js'
import { randomId } from './tokens/ids.js'
import { signAccessToken } from './tokens/issue.js'
import { verifyAccessToken, type VerifiedAccessToken } from './tokens/verify.js'

export interface IssueInput {
  /** The subject (user id). */
  sub: string
  /** The session the token belongs to. Default: a new session id. */
  sid?: string
  /** `client_id` claim: the OAuth client the token was issued to. */
  clientId?: string
  /** `scope` claim: a space-separated string or a list of scopes. */
  scope?: string | readonly string[]
  /** Extra claims. They may not replace a registered claim (iss, sub, aud, exp, iat, jti, …). */
  claims?: Record<string, unknown>
  /** Lifetime in seconds (a positive integer, at most `maxAccessTokenTtl`). Default `accessTokenTtl`. */
  ttl?: number
}

export interface RevokeUserOptions {
  /** Revoke tokens issued at or before this instant (a Date or ms). Default: now. */
  before?: Date | number
}

/**
 * Issues, verifies and revokes access tokens. Make one with `createRevocable`.
 */
export class Revocable {
  readonly options: ResolvedOptions
  readonly store: Store
  readonly #ownsStore: boolean
  readonly #ring: KeyRing
  readonly #revoker: Revoker
  readonly #rules: ClaimRules
  #lastKeyReload: number

  /** @internal use `createRevocable` */
  constructor(options: ResolvedOptions, store: Store, ownsStore: boolean, ring: KeyRing) {
    this.options = options
    this.store = store
    this.#ownsStore = ownsStore
    this.#ring = ring
    this.#revoker = new Revoker(store, options)
    this.#rules = Object.freeze({
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance,
      maxTokenAge: options.maxAccessTokenTtl,
    })
    this.#lastKeyReload = options.clock()
  }

  /**
   * Issues an access token (a compact JWS, `typ: at+jwt`) signed with the ring's signing key.
   *
   * @example
   * const token = await auth.issue({ sub: 'user-42', scope: 'read write' })
   */
  async issue(input: IssueInput): Promise<string> {
    const { sub, sid, clientId, scope, claims, ttl } = checkIssueInput(input, this.options)
    const key = this.#ring.signingKey()
    const issuedAt = this.#revoker.issueInstant()
    const jti = randomId()
    const sessionId = sid ?? randomId()

    if (sid !== undefined) {
      const status = await this.#revoker.status({ jti, sid, sub, kid: key.kid })
      if (status.sessionRevoked) throw new SessionRevoked()
      if (this.options.mode === 'allowlist' && !status.sessionActive) throw new SessionNotFound()
    } else if (this.options.mode === 'allowlist') {
      await this.store.putSession({
        sid: sessionId,
        sub,
        clientId,
        createdAt: issuedAt,
        expiresAt: issuedAt + this.options.sessionMaxAge * 1000,
      })
    }

    const iat = Math.floor(issuedAt / 1000)
    const audience = this.options.audience
    const tokenClaims: AccessTokenClaims = {
      iss: this.options.issuer,
      sub,
      aud: audience.length === 1 ? (audience[0] as string) : [...audience],
      exp: iat + ttl,
      iat,
      iat_ms: issuedAt,
      jti,
      sid: sessionId,
      ...(clientId !== undefined && { client_id: clientId }),
      ...(scope !== undefined && { scope }),
      ...claims,
    }
    return signAccessToken(key, tokenClaims)
  }

  /**
   * Verifies a token completely: shape, header, signature, claims, then revocation (one store
   * round trip). Resolves to the claims; rejects with a `RevocableError` whose `code` says why.
   *
   * @example
   * try {
   *   const claims = await auth.verify(token)
   * } catch (error) {
   *   if (error.code === 'ERR_TOKEN_REVOKED') // …
   * }
   */
  async verify(token: string): Promise<AccessTokenClaims> {
    const { claims, key } = await this.#verifyIgnoringRevocation(token)
    const status = await this.#revoker.status({
      jti: claims.jti,
      sid: claims.sid,
      sub: claims.sub,
      kid: key.kid,
    })
    if (status.kidRetired) throw new KeyRetired(`key "${key.kid}" has been retired`)
    const reason = revocationReason(claims, status, this.options.mode)
    if (reason !== undefined) throw new TokenRevoked(reason)
    return claims
  }

  /** Whether verified claims have been revoked, by any of the four ways (one store round trip). */
  async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const status = await this.#revoker.status({
      jti: claims.jti,
      sid: claims.sid,
      sub: claims.sub,
      kid: '',
    })
    return revocationReason(claims, status, this.options.mode) !== undefined
  }

  /**
   * Revokes one token, given the token itself or its jti. The entry lasts until the token would
   * have expired (for a bare jti, the longest token lifetime). A token must carry a valid
   * signature; an already expired one needs no entry and is left alone.
   *
   * @example
   * await auth.revokeToken(token)
   */
  async revokeToken(tokenOrJti: string): Promise<void> {
    if (typeof tokenOrJti !== 'string' || tokenOrJti === '') {
      throw new TypeError('revokeToken() takes a token or a jti (a non-empty string)')
    }
    if (!tokenOrJti.includes('.')) return this.#revoker.revokeJti(tokenOrJti)
    let claims: AccessTokenClaims
    try {
      claims = (await this.#verifyIgnoringRevocation(tokenOrJti)).claims
    } catch (error) {
      if (error instanceof TokenExpired) return
      throw error
    }
    await this.#revoker.revokeJti(claims.jti, claims.exp)
  }

  /**
   * Revokes every access token carrying this session id; in allowlist mode the session stops
   * being active.
   *
   * @example
   * await auth.revokeSession(claims.sid)
   */
  async revokeSession(sid: string): Promise<void> {
    if (typeof sid !== 'string' || sid === '')
      throw new TypeError('"sid" must be a non-empty string')
    await this.#revoker.revokeSession(sid)
  }

  /**
   * Revokes every token of a user issued at or before `before` (default now): password change,
   * ban, "log out everywhere". Tokens issued afterwards work.
   *
   * @example
   * await auth.revokeUser('user-42')
   */
  async revokeUser(sub: string, options: RevokeUserOptions = {}): Promise<void> {
    if (typeof sub !== 'string' || sub === '')
      throw new TypeError('"sub" must be a non-empty string')
    const now = this.options.clock()
    const before =
      options.before instanceof Date ? options.before.getTime() : (options.before ?? now)
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      throw new TypeError('"before" must be a Date or a number of milliseconds')
    }
    if (before > now) throw new TypeError('"before" must not lie in the future')
    await this.#revoker.revokeUser(sub, before)
  }

  /**
   * Revokes every token issued until now (a global epoch), without retiring keys.
   *
   * @example
   * await auth.revokeAll()
   */
  async revokeAll(): Promise<void> {
    await this.#revoker.revokeAll()
  }

  /** The public keys that verify this issuer's tokens (never private or secret members). */
  jwks(): JSONWebKeySet {
    return this.#ring.jwks()
  }

  /** Every key that still verifies, with which one signs. */
  listKeys(): KeyInfo[] {
    return this.#ring.list()
  }

  /** Generates a new signing key (stored for every instance); old keys still verify. Returns its kid. */
  rotateKeys(): Promise<string> {
    return this.#ring.rotate()
  }

  /** Retires a key: every token signed with it is rejected from now on, on every instance. */
  retireKey(kid: string): Promise<void> {
    return this.#ring.retire(kid)
  }

  /** Re-reads keys and retirements from the store (done by itself when an unknown kid shows up). */
  async reloadKeys(): Promise<void> {
    this.#lastKeyReload = this.options.clock()
    await this.#ring.reload()
  }

  /** Closes the store if `createRevocable` made it. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.store.close()
  }

  #verifyLocally(token: string): VerifiedAccessToken {
    return verifyAccessToken(token, {
      keys: this.#ring,
      rules: this.#rules,
      maxTokenSize: this.options.maxTokenSize,
      now: this.options.clock(),
    })
  }

  /** Everything but revocation. An unknown kid may be a key another instance just made. */
  async #verifyIgnoringRevocation(token: string): Promise<VerifiedAccessToken> {
    try {
      return this.#verifyLocally(token)
    } catch (error) {
      const due =
        this.options.clock() - this.#lastKeyReload >= this.options.keyReloadInterval * 1000
      if (!(error instanceof KidUnknown) || !due) throw error
      await this.reloadKeys()
      return this.#verifyLocally(token)
    }
  }
}

function checkIssueInput(input: IssueInput, options: ResolvedOptions) {
  if (input === null || typeof input !== 'object') throw new TypeError('issue() takes an object')
  const { sub, sid, clientId, scope, claims } = input
  if (typeof sub !== 'string' || sub === '') throw new TypeError('"sub" must be a non-empty string')
  if (sid !== undefined && (typeof sid !== 'string' || sid === '')) {
    throw new TypeError('"sid" must be a non-empty string')
  }
  if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
    throw new TypeError('"clientId" must be a non-empty string')
  }
  let scopeString: string | undefined
  if (typeof scope === 'string') scopeString = scope
  else if (Array.isArray(scope) && scope.every((s) => typeof s === 'string' && !s.includes(' '))) {
    scopeString = scope.join(' ')
  } else if (scope !== undefined) {
    throw new TypeError('"scope" must be a string or an array of scope tokens')
  }
  if (claims !== undefined) {
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new TypeError('"claims" must be a plain object')
    }
    for (const name of Object.keys(claims)) {
      if (RESERVED_CLAIMS.has(name))
        throw new TypeError(`"claims" may not set the registered claim "${name}"`)
    }
  }
  const ttl = input.ttl ?? options.accessTokenTtl
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > options.maxAccessTokenTtl) {
    throw new TypeError('"ttl" must be a positive integer of seconds, at most "maxAccessTokenTtl"')
  }
  return { sub, sid, clientId, scope: scopeString, claims, ttl }
}

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
  const resolved = resolveOptions(options)
  const configured = await Promise.all(
    resolved.keys.map((key, index) => importConfiguredKey(key, `keys[${index}]`)),
  )
  const ownsStore = resolved.store === undefined
  const store = resolved.store ?? new MemoryStore({ clock: resolved.clock })
  const ring = await KeyRing.open({
    store,
    configured,
    algorithm: resolved.algorithm,
    clock: resolved.clock,
  })
  return new Revocable(resolved, store, ownsStore, ring)
}
