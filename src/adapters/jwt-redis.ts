/**
 * jwt-redis's API on top of revocable, so that moving off jwt-redis is a one-line import change:
 * `new JWTR(redisClient)` with `sign`, `verify`, `decode` and `destroy`, the same semantics (a jti
 * is generated when the payload has none, a destroyed token is rejected until it expires,
 * `expiresIn` is honoured) and errors of the same names. Underneath, tokens are revocable's
 * (HS256 on the given secret, `typ: at+jwt`), and the state lives in a `RedisStore` on the given
 * node-redis v5 client, so `jwtr.auth(secret)` opens sessions, user revocation and the rest.
 * docs/migration-from-jwt-redis.md says what is the same and what differs.
 *
 * @example
 * import JWTR from 'revocable/jwt-redis' // was: import JWTR from 'jwt-redis'
 *
 * const jwtr = new JWTR(redisClient)
 * const token = await jwtr.sign({ sub: 'user-42' }, secret, { expiresIn: '1h' })
 * const payload = await jwtr.verify(token, secret)
 * await jwtr.destroy(payload.jti)
 */
import { createHmac } from 'node:crypto'
import type { Clock } from '../clock.js'
import {
  AlgorithmNotAllowed,
  ClaimInvalid,
  RevocableError,
  StoreUnavailable,
  TokenExpired,
  TokenMalformed,
  TokenNotYetValid,
  TokenRevoked,
  TokenTooLarge,
  TokenUnsupported,
} from '../errors.js'
import { importConfiguredKey } from '../keys/import.js'
import type { RingKey } from '../keys/key-material.js'
import { createRevocable, type Revocable } from '../revocable.js'
import { RedisStore } from '../stores/redis/index.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import { randomId } from '../tokens/ids.js'
import { signAccessToken } from '../tokens/issue.js'
import { decodeUnverified } from '../tokens/decode.js'

// ---------------------------------------------------------------------------------------------
// Errors: the names jwt-redis exports (its own two, and the three it re-exports from
// jsonwebtoken), with the same fields. `cause` holds the revocable error behind each.

/** A token that fails verification (jsonwebtoken's base error). `inner` as jsonwebtoken has it. */
export class JsonWebTokenError extends Error {
  readonly inner: Error | undefined
  constructor(message: string, inner?: Error) {
    super(message, inner === undefined ? undefined : { cause: inner })
    this.name = 'JsonWebTokenError'
    this.inner = inner
  }
}

/** The token's `exp` has passed. */
export class TokenExpiredError extends JsonWebTokenError {
  readonly expiredAt: Date
  constructor(message: string, expiredAt: Date, inner?: Error) {
    super(message, inner)
    this.name = 'TokenExpiredError'
    this.expiredAt = expiredAt
  }
}

/** The token's `nbf` lies in the future. */
export class NotBeforeError extends JsonWebTokenError {
  readonly date: Date
  constructor(message: string, date: Date, inner?: Error) {
    super(message, inner)
    this.name = 'NotBeforeError'
    this.date = date
  }
}

/** The token has been destroyed (revoked), by `destroy` or any of revocable's revoke verbs. */
export class TokenDestroyedError extends Error {
  constructor(message = 'token has been destroyed', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenDestroyedError'
  }
}

/** The token carries no `jti`. */
export class TokenInvalidError extends Error {
  constructor(message = 'token has no jti', options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'TokenInvalidError'
  }
}

// ---------------------------------------------------------------------------------------------
// Options

export interface JWTROptions {
  /**
   * Prefix of every Redis key (revocable's layout, not jwt-redis's labels). Default
   * `rvk:jwtr:`. No braces.
   */
  prefix?: string
  /** `iss` of the tokens (revocable requires one). Default `jwt-redis`. */
  issuer?: string
  /** `aud` of the tokens (revocable requires one). Default `jwt-redis`. */
  audience?: string
  /**
   * Longest lifetime of a token, in seconds; also the lifetime of a token signed without
   * `expiresIn` or `exp` (jwt-redis lets such a token live for ever). Default 2 592 000 (30 days).
   */
  maxExpiresIn?: number
  /** Clock skew tolerated on `exp`, `nbf` and `iat`, in seconds. Default 5. */
  clockTolerance?: number
  /**
   * `false` (default) checks Redis on every verify, as jwt-redis does, so a destroy on one
   * process is seen at once by every other. `'auto'` keeps revocable's local replica: verifies
   * without I/O, and other processes see a destroy within `maxStaleness` (1 s).
   */
  replica?: 'auto' | false
  /** A Redis command slower than this (ms) counts as a failure. Default 250. */
  commandTimeout?: number
  /** Time source in milliseconds. Default `Date.now`. */
  clock?: Clock
  /** Where warnings about the Redis configuration go. Default `console.warn`. */
  warn?: (message: string) => void
}

/** jsonwebtoken's sign options that this layer honours. Any other option is refused. */
export interface SignOptions {
  /** Seconds (a number) or a timespan string (`"2h"`, `"7d"`, as jsonwebtoken reads it). */
  expiresIn?: number | string
  /** Seconds (a number) or a timespan string, from `iat`. */
  notBefore?: number | string
  /** Must name the JWTR's audience (the option or `jwt-redis`), if given. */
  audience?: string | string[]
  /** Must equal the JWTR's issuer, if given. */
  issuer?: string
  subject?: string
  jwtid?: string
  /** Only `HS256` is available. */
  algorithm?: 'HS256'
}

/** jsonwebtoken's verify options that this layer honours. Any other option is refused. */
export interface VerifyOptions {
  /** Must include `HS256`. */
  algorithms?: string[]
  audience?: string | string[]
  issuer?: string | string[]
  subject?: string
  jwtid?: string
}

export interface DecodeOptions {
  /** Return `{ header, payload, signature }`. */
  complete?: boolean
  json?: boolean
}

/** What `decode(token, { complete: true })` returns. */
export type { DecodedToken } from '../tokens/decode.js'

const SIGN_OPTIONS = new Set([
  'expiresIn',
  'notBefore',
  'audience',
  'issuer',
  'subject',
  'jwtid',
  'algorithm',
])
const VERIFY_OPTIONS = new Set(['algorithms', 'audience', 'issuer', 'subject', 'jwtid'])

const DEFAULT_MAX_EXPIRES_IN = 30 * 86_400
const KID_LABEL = 'revocable/jwt-redis kid'

// The `ms` package's grammar, which jsonwebtoken's timespans use (a bare number is milliseconds).
const TIMESPAN =
  /^(-?(?:\d+)?\.?\d+) *(milliseconds?|msecs?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?|w|years?|yrs?|y)?$/i
const SECOND = 1000
const UNIT_MS: Readonly<Record<string, number>> = {
  y: 365.25 * 86_400 * SECOND,
  w: 7 * 86_400 * SECOND,
  d: 86_400 * SECOND,
  h: 3600 * SECOND,
  m: 60 * SECOND,
  s: SECOND,
}

function unitMs(unit: string | undefined): number {
  if (unit === undefined) return 1
  const lower = unit.toLowerCase()
  if (lower.startsWith('ms') || lower.startsWith('milli')) return 1
  return UNIT_MS[lower[0] as string] as number
}

/** jsonwebtoken's `timespan`: seconds after `iat` (a number) or an `ms` string. */
function timespan(name: string, value: unknown, iat: number): number {
  if (typeof value === 'number' && Number.isInteger(value)) return iat + value
  const match = typeof value === 'string' ? TIMESPAN.exec(value) : null
  if (match === null) {
    throw new TypeError(
      `"${name}" should be a number of seconds or string representing a timespan eg: "1d", "20h", 60`,
    )
  }
  return Math.floor(iat + (Number(match[1]) * unitMs(match[2])) / 1000)
}

function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive integer`)
  }
  return value
}

function nonEmpty(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`"${name}" must be a non-empty string`)
  }
  return value
}

function checkKnown(options: unknown, known: ReadonlySet<string>, verb: string): void {
  if (options === undefined) return
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${verb}() options must be an object`)
  }
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !known.has(name)) {
      throw new TypeError(`"${name}" is not supported by revocable/jwt-redis ${verb}()`)
    }
  }
}

function secretBytes(secret: unknown): Buffer {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof Uint8Array) return Buffer.from(secret)
  throw new TypeError(
    'the secret must be a string or a Buffer (HS256; keys and callbacks are not supported)',
  )
}

const toDate = (seconds: unknown) => new Date(Number(seconds) * 1000)

/** An error that says the store (or the code) failed, not that a token was bad. */
function isStoreFailure(error: unknown): boolean {
  return !(error instanceof RevocableError) || error instanceof StoreUnavailable
}

/** Turns a revocable error into the error jwt-redis (or jsonwebtoken) throws in that case. */
function toJwtError(error: unknown, token: string): unknown {
  if (!(error instanceof RevocableError) || error instanceof StoreUnavailable) return error
  const payload = decodeUnverified(token)?.payload
  const claims = typeof payload === 'object' ? payload : {}
  if (error instanceof TokenRevoked) return new TokenDestroyedError(undefined, { cause: error })
  if (error instanceof TokenExpired) {
    return new TokenExpiredError('jwt expired', toDate(claims.exp), error)
  }
  if (error instanceof TokenNotYetValid && error.claim === 'nbf') {
    return new NotBeforeError('jwt not active', toDate(claims.nbf), error)
  }
  if (error instanceof ClaimInvalid && error.claim === 'jti') {
    return new TokenInvalidError(undefined, { cause: error })
  }
  if (
    error instanceof TokenMalformed ||
    error instanceof TokenTooLarge ||
    error instanceof TokenUnsupported
  ) {
    return new JsonWebTokenError('jwt malformed', error)
  }
  if (error instanceof AlgorithmNotAllowed) return new JsonWebTokenError('invalid algorithm', error)
  if (error instanceof ClaimInvalid || error instanceof TokenNotYetValid) {
    return new JsonWebTokenError(error.message, error)
  }
  // A wrong signature, an unknown kid (another secret), a retired key, a foreign `typ`.
  return new JsonWebTokenError('invalid signature', error)
}

interface SecretEntry {
  readonly auth: Revocable
  readonly key: RingKey
}

/**
 * jwt-redis's `JWTR`, backed by revocable. One instance per Redis client; each secret gets its
 * own revocable instance (made on first use), all sharing one store.
 */
export default class JWTR {
  readonly #client: object
  readonly #prefix: string
  readonly #issuer: string
  readonly #audience: string
  readonly #maxExpiresIn: number
  readonly #clockTolerance: number
  readonly #replica: 'auto' | false
  readonly #commandTimeout: number | undefined
  readonly #clock: Clock
  readonly #warn: ((message: string) => void) | undefined
  #store: Promise<RedisStore> | undefined
  readonly #secrets = new Map<string, Promise<SecretEntry>>()

  /**
   * @param redisClient a node-redis v5 client (connected or not; give it
   *   `disableOfflineQueue: true` so an outage fails fast). It is not closed by `close()`.
   */
  constructor(redisClient: object, options: JWTROptions = {}) {
    if (redisClient === null || typeof redisClient !== 'object') {
      throw new TypeError('"redisClient" must be a node-redis v5 client')
    }
    if (options === null || typeof options !== 'object') {
      throw new TypeError('options must be an object')
    }
    this.#client = redisClient
    this.#prefix = nonEmpty('prefix', options.prefix, 'rvk:jwtr:')
    if (/[{}]/.test(this.#prefix))
      throw new TypeError('"prefix" must be a string without "{" or "}"')
    this.#issuer = nonEmpty('issuer', options.issuer, 'jwt-redis')
    this.#audience = nonEmpty('audience', options.audience, 'jwt-redis')
    this.#maxExpiresIn = positive('maxExpiresIn', options.maxExpiresIn, DEFAULT_MAX_EXPIRES_IN)
    const tolerance = options.clockTolerance ?? 5
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
      throw new TypeError('"clockTolerance" must be a non-negative number of seconds')
    }
    this.#clockTolerance = tolerance
    if (options.replica !== undefined && options.replica !== 'auto' && options.replica !== false) {
      throw new TypeError('"replica" must be "auto" or false')
    }
    this.#replica = options.replica ?? false
    this.#commandTimeout = options.commandTimeout
    this.#clock = options.clock ?? Date.now
    if (typeof this.#clock !== 'function') throw new TypeError('"clock" must be a function')
    this.#warn = options.warn
  }

  /**
   * Signs `payload` (a JSON object) with HS256 on `secret` (at least 32 bytes). A missing `jti`
   * is generated; `exp` comes from the payload, `expiresIn`, or else `maxExpiresIn`. Resolves to
   * the token. Unlike jwt-redis, nothing is written to Redis: a token is valid until destroyed.
   *
   * @example
   * const token = await jwtr.sign({ sub: user.id, role: 'admin' }, secret, { expiresIn: '1h' })
   */
  async sign<T extends object & { jti?: string }>(
    payload: T,
    secretOrPrivateKey: string | Buffer,
    options?: SignOptions,
  ): Promise<string> {
    if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) {
      throw new TypeError('payload must be a plain object')
    }
    checkKnown(options, SIGN_OPTIONS, 'sign')
    const { key } = await this.#entry(secretOrPrivateKey)
    return signAccessToken(key, this.#claims({ ...payload }, options ?? {}))
  }

  /**
   * Verifies a token signed by `sign` with the same secret: signature, claims, and that it has
   * not been destroyed. Resolves to its payload; rejects with `TokenExpiredError`,
   * `NotBeforeError`, `JsonWebTokenError`, `TokenDestroyedError` or `TokenInvalidError`, and with
   * revocable's `StoreUnavailable` (`ERR_STORE_UNAVAILABLE`) when Redis cannot answer.
   *
   * @example
   * const payload = await jwtr.verify(token, secret)
   */
  async verify<T extends object & { jti?: string } = Record<string, unknown> & { jti: string }>(
    token: string,
    secretOrPublicKey: string | Buffer,
    options?: VerifyOptions,
  ): Promise<T> {
    checkKnown(options, VERIFY_OPTIONS, 'verify')
    const { auth } = await this.#entry(secretOrPublicKey)
    let claims: AccessTokenClaims
    try {
      claims = await auth.verify(token)
    } catch (error) {
      throw toJwtError(error, token)
    }
    checkVerifyOptions(claims, options ?? {})
    return { ...claims } as unknown as T
  }

  /**
   * Decodes a token without verifying it (jsonwebtoken's `decode`): the payload, or
   * `{ header, payload, signature }` with `complete`, or null when it is not a JWS.
   */
  decode<T = Record<string, unknown>>(token: string, options: DecodeOptions = {}): T {
    const decoded = decodeUnverified(token)
    if (decoded === null) return null as T
    return (options.complete === true ? decoded : decoded.payload) as T
  }

  /**
   * Destroys a token, given its jti or the token itself: it is rejected from now on, on every
   * process sharing the Redis, until it expires. Resolves to true (revocable does not keep a
   * record of live tokens, so it cannot say whether one existed).
   *
   * @example
   * await jwtr.destroy(payload.jti)
   */
  async destroy(jtiOrToken: string): Promise<boolean> {
    if (typeof jtiOrToken !== 'string' || jtiOrToken === '') {
      throw new TypeError('"jti" must be a non-empty string')
    }
    let jti = jtiOrToken
    const entries = await Promise.all(this.#secrets.values())
    if (jtiOrToken.includes('.')) {
      const payload = decodeUnverified(jtiOrToken)?.payload
      if (typeof payload !== 'object' || typeof payload.jti !== 'string' || payload.jti === '') {
        throw new TokenInvalidError('not a token with a jti')
      }
      jti = payload.jti
      // The token's exp bounds the entry only once its signature is proven: a forged token
      // naming a real jti with an early exp would otherwise make the entry die early, or not
      // be written at all. The instance of the secret that signed it revokes it by its own exp.
      for (const { auth } of entries) {
        try {
          await auth.revokeToken(jtiOrToken)
        } catch (error) {
          if (isStoreFailure(error)) throw error
          continue // not signed with this secret (or not a token of ours): try the next
        }
        if (this.#replica === 'auto') await Promise.all(entries.map((e) => e.auth.revokeToken(jti)))
        return true
      }
    }
    if (this.#replica === 'auto' && entries.length > 0) {
      // Each instance's replica learns of it at once; the store write is the same each time.
      await Promise.all(entries.map(({ auth }) => auth.revokeToken(jti)))
      return true
    }
    // Without replicas every verify asks the store, so one store write is seen by all at once.
    const now = this.#clock()
    // An unproven jti: deny it for as long as any token this layer signs can live.
    const expiresAt = (Math.floor(now / 1000) + this.#maxExpiresIn + this.#clockTolerance) * 1000
    const store = await this.#openStore()
    try {
      await store.revokeJti(jti, expiresAt)
    } catch (error) {
      if (error instanceof RevocableError) throw error
      throw new StoreUnavailable('store failed to revoke a token', { cause: error })
    }
    return true
  }

  /**
   * The revocable instance behind a secret, with every verb jwt-redis lacks: `startSession`,
   * `refresh`, `revokeUser`, `revokeSession`, `revokeAll`, `listSessions`...
   *
   * @example
   * await (await jwtr.auth(secret)).revokeUser('user-42') // every token of the user
   */
  async auth(secret: string | Buffer): Promise<Revocable> {
    return (await this.#entry(secret)).auth
  }

  /** Stops the revocable instances and the store's timers. The Redis client stays open. */
  async close(): Promise<void> {
    const entries = await Promise.allSettled(this.#secrets.values())
    this.#secrets.clear()
    for (const entry of entries) if (entry.status === 'fulfilled') await entry.value.auth.close()
    const store = this.#store
    this.#store = undefined
    if (store !== undefined) await (await store.catch(() => undefined))?.close()
  }

  #openStore(): Promise<RedisStore> {
    if (this.#store === undefined) {
      const ttlMs = (this.#maxExpiresIn + this.#clockTolerance) * 1000
      const opening = RedisStore.connect({
        client: this.#client,
        prefix: this.#prefix,
        clock: this.#clock,
        // Replicas must be able to rebuild every entry that can still deny a token.
        feedRetention: Math.max(86_700_000, ttlMs + 60_000),
        ...(this.#commandTimeout !== undefined && { commandTimeout: this.#commandTimeout }),
        ...(this.#warn !== undefined && { warn: this.#warn }),
      })
      this.#store = opening
      opening.catch(() => {
        if (this.#store === opening) this.#store = undefined // let the next call retry
      })
    }
    return this.#store
  }

  #entry(secret: unknown): Promise<SecretEntry> {
    const bytes = secretBytes(secret)
    // A kid derived from the secret: the same on every process, and it reveals nothing the
    // signature does not (an HMAC under the secret itself).
    const kid = createHmac('sha256', bytes).update(KID_LABEL).digest('base64url').slice(0, 16)
    let entry = this.#secrets.get(kid)
    if (entry === undefined) {
      entry = this.#open(bytes, kid)
      this.#secrets.set(kid, entry)
      entry.catch(() => this.#secrets.delete(kid))
    }
    return entry
  }

  async #open(secret: Buffer, kid: string): Promise<SecretEntry> {
    const input = { secret, kid }
    const key = await importConfiguredKey(input, 'secret') // a TypeError for a short secret
    const auth = await createRevocable({
      issuer: this.#issuer,
      audience: this.#audience,
      keys: [input],
      store: await this.#openStore(),
      maxAccessTokenTtl: this.#maxExpiresIn,
      accessTokenTtl: Math.min(300, this.#maxExpiresIn),
      clockTolerance: this.#clockTolerance,
      replica: this.#replica,
      clock: this.#clock,
    })
    return { auth, key }
  }

  /** Builds the claims jsonwebtoken would, plus what revocable requires. */
  #claims(payload: Record<string, unknown>, options: SignOptions): AccessTokenClaims {
    const fromOption = (claim: string, option: keyof SignOptions): unknown => {
      if (options[option] === undefined) return payload[claim]
      if (payload[claim] !== undefined) {
        throw new TypeError(
          `Bad "options.${option}" option. The payload already has an "${claim}" property.`,
        )
      }
      return options[option]
    }
    if (options.algorithm !== undefined && options.algorithm !== 'HS256') {
      throw new TypeError('"algorithm" must be HS256 (the secret is an HMAC key)')
    }
    const now = this.#clock()
    const iatGiven = payload.iat
    if (iatGiven !== undefined && (typeof iatGiven !== 'number' || !Number.isInteger(iatGiven))) {
      throw new TypeError('"iat" should be a number of seconds')
    }
    const iat = (iatGiven as number | undefined) ?? Math.floor(now / 1000)

    let exp = fromOption('exp', 'expiresIn')
    if (options.expiresIn !== undefined) exp = timespan('expiresIn', options.expiresIn, iat)
    exp ??= iat + this.#maxExpiresIn
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw new TypeError('"exp" should be a number of seconds')
    }
    if (exp - iat > this.#maxExpiresIn) {
      throw new TypeError(
        `"expiresIn" must be at most ${this.#maxExpiresIn} seconds (the "maxExpiresIn" option)`,
      )
    }
    let nbf = fromOption('nbf', 'notBefore')
    if (options.notBefore !== undefined) nbf = timespan('notBefore', options.notBefore, iat)
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
      throw new TypeError('"nbf" should be a number of seconds')
    }

    const iss = fromOption('iss', 'issuer') ?? this.#issuer
    if (iss !== this.#issuer) {
      throw new TypeError(`"iss" must be "${this.#issuer}" (the "issuer" option of new JWTR())`)
    }
    const aud = fromOption('aud', 'audience') ?? this.#audience
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
    if (!audiences.includes(this.#audience) || !audiences.every((a) => typeof a === 'string')) {
      throw new TypeError(
        `"aud" must name "${this.#audience}" (the "audience" option of new JWTR())`,
      )
    }
    const jti = fromOption('jti', 'jwtid') ?? randomId()
    if (typeof jti !== 'string' || jti === '')
      throw new TypeError('"jti" must be a non-empty string')
    // revocable needs a subject and a session: without them each token is its own.
    const sub = fromOption('sub', 'subject') ?? jti
    if (typeof sub !== 'string' || sub === '')
      throw new TypeError('"sub" must be a non-empty string')
    const sid = payload.sid ?? jti
    if (typeof sid !== 'string' || sid === '')
      throw new TypeError('"sid" must be a non-empty string')
    for (const claim of ['scope', 'client_id']) {
      if (payload[claim] !== undefined && typeof payload[claim] !== 'string') {
        throw new TypeError(`"${claim}" must be a string`)
      }
    }

    const claims: Record<string, unknown> = { ...payload, iss, aud, sub, jti, sid, iat, exp }
    delete claims.iat_ms
    // The millisecond issue instant orders the token against revocation cutoffs.
    if (iatGiven === undefined) claims.iat_ms = now
    if (nbf !== undefined) claims.nbf = nbf
    return claims as AccessTokenClaims
  }
}

export { JWTR }

function checkVerifyOptions(claims: AccessTokenClaims, options: VerifyOptions): void {
  if (options.algorithms !== undefined && !options.algorithms.includes('HS256')) {
    throw new JsonWebTokenError('invalid algorithm')
  }
  if (options.audience !== undefined) {
    const wanted = Array.isArray(options.audience) ? options.audience : [options.audience]
    const have = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (!have.some((aud) => wanted.includes(aud))) {
      throw new JsonWebTokenError(`jwt audience invalid. expected: ${wanted.join(' or ')}`)
    }
  }
  if (options.issuer !== undefined) {
    const wanted = Array.isArray(options.issuer) ? options.issuer : [options.issuer]
    if (!wanted.includes(claims.iss)) {
      throw new JsonWebTokenError(`jwt issuer invalid. expected: ${wanted.join(',')}`)
    }
  }
  if (options.subject !== undefined && claims.sub !== options.subject) {
    throw new JsonWebTokenError(`jwt subject invalid. expected: ${options.subject}`)
  }
  if (options.jwtid !== undefined && claims.jti !== options.jwtid) {
    throw new JsonWebTokenError(`jwt jwtid invalid. expected: ${options.jwtid}`)
  }
}
