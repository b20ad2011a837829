/**
 * jwt-redis's API on top of revocable, so that moving off jwt-redis is a one-line import change:
 * `new JWTR(redisClient)` with `sign`, `verify`, `decode` and `destroy`, giving the answers
 * jwt-redis gives (its own test suite and a behaviour table run against both: destroy's boolean,
 * jsonwebtoken's error classes, messages and check order, short secrets, a numeric sub).
 * Underneath, tokens are revocable's (HS256 on the given secret, `typ: at+jwt`), and the state
 * lives in a `RedisStore` on the given node-redis v4 or v5 client, so `jwtr.auth(secret)` opens
 * sessions, user revocation and the rest. docs/migration-from-jwt-redis.md lists every difference.
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
import { createRequire } from 'node:module'
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
import { createRevocable } from '../create-revocable.js'
import type { Revocable } from '../revocable.js'
import { RedisStore } from '../stores/redis/index.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import { randomId } from '../tokens/ids.js'
import { signAccessToken } from '../tokens/issue.js'
import { decodeUnverified, type DecodedToken } from '../tokens/decode.js'

// ---------------------------------------------------------------------------------------------
// Errors: the names jwt-redis exports (its own two, and the three it re-exports from
// jsonwebtoken), with the same fields, messages and enumerable keys. `cause` (not enumerable)
// holds the revocable error behind each.

/** jsonwebtoken's `JsonWebTokenError`: a token that fails verification. */
export type JsonWebTokenError = Error & { inner?: Error }
/** jsonwebtoken's `TokenExpiredError`: the token's `exp` has passed. */
export type TokenExpiredError = JsonWebTokenError & { expiredAt: Date }
/** jsonwebtoken's `NotBeforeError`: the token's `nbf` lies in the future. */
export type NotBeforeError = JsonWebTokenError & { date: Date }

interface JsonWebTokenErrors {
  JsonWebTokenError: new (message: string, error?: Error) => JsonWebTokenError
  TokenExpiredError: new (message: string, expiredAt: Date) => TokenExpiredError
  NotBeforeError: new (message: string, date: Date) => NotBeforeError
}

/** Sets an own property as jsonwebtoken's constructors do (plain assignment: enumerable). */
function own(target: object, key: string, value: unknown): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  })
}

/** The same classes, for an application without jsonwebtoken installed. */
const lookalikes: JsonWebTokenErrors = (() => {
  class JsonWebTokenError extends Error {
    declare inner?: Error
    constructor(message: string, error?: Error) {
      super(message)
      own(this, 'name', 'JsonWebTokenError')
      own(this, 'message', message)
      if (error) own(this, 'inner', error)
    }
  }
  class TokenExpiredError extends JsonWebTokenError {
    declare expiredAt: Date
    constructor(message: string, expiredAt: Date) {
      super(message)
      own(this, 'name', 'TokenExpiredError')
      own(this, 'expiredAt', expiredAt)
    }
  }
  class NotBeforeError extends JsonWebTokenError {
    declare date: Date
    constructor(message: string, date: Date) {
      super(message)
      own(this, 'name', 'NotBeforeError')
      own(this, 'date', date)
    }
  }
  return { JsonWebTokenError, TokenExpiredError, NotBeforeError }
})()

/**
 * jsonwebtoken's own classes when the application has it (every jwt-redis app does: jwt-redis
 * depends on it), as jwt-redis re-exports them: `error instanceof TokenExpiredError` holds with
 * the class imported from 'jsonwebtoken' as well as with the one imported from here.
 */
const errorClasses: JsonWebTokenErrors = (() => {
  try {
    const loaded = createRequire(import.meta.url)('jsonwebtoken') as Partial<JsonWebTokenErrors>
    if (
      typeof loaded.JsonWebTokenError === 'function' &&
      typeof loaded.TokenExpiredError === 'function' &&
      typeof loaded.NotBeforeError === 'function'
    ) {
      return loaded as JsonWebTokenErrors
    }
  } catch {
    // not installed: the lookalikes serve
  }
  return lookalikes
})()

export const JsonWebTokenError = errorClasses.JsonWebTokenError
export const TokenExpiredError = errorClasses.TokenExpiredError
export const NotBeforeError = errorClasses.NotBeforeError

/** Attaches the revocable error behind a jsonwebtoken error, not enumerable. */
function withCause<T extends Error>(error: T, cause: unknown): T {
  if (cause !== undefined) {
    Object.defineProperty(error, 'cause', { value: cause, configurable: true, writable: true })
  }
  return error
}

/** The token has been destroyed (revoked), by `destroy` or any of revocable's revoke verbs. */
export class TokenDestroyedError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options)
    own(this, 'name', 'TokenDestroyedError')
  }
}

/** The token carries no `jti`. */
export class TokenInvalidError extends Error {
  constructor(message?: string, options?: { cause?: unknown }) {
    super(message, options)
    own(this, 'name', 'TokenInvalidError')
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
  /**
   * Clock skew tolerated on `exp` and `nbf`, in seconds: jsonwebtoken's `clockTolerance`, and
   * like it 0 by default (a token is expired from its `exp` second on).
   */
  clockTolerance?: number
  /**
   * What to do with an HS256 secret shorter than 32 bytes (jwt-redis and jsonwebtoken accept any
   * length; revocable's own API refuses them). `'warn'` (default): accept it and warn once per
   * process. `'refuse'`: reject it with a TypeError at sign and verify. `'allow'`: accept it
   * silently.
   */
  shortSecrets?: 'warn' | 'refuse' | 'allow'
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
  /** Where warnings (short secrets, the Redis configuration) go. Default `console.warn`. */
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
/** revocable's floor for HMAC secrets (STYLE §4); shorter ones are padded, see `hmacKey`. */
const MIN_SECRET_BYTES = 32
/**
 * Seconds of skew revocable itself allows underneath (its `iat` check: a signing process whose
 * clock runs ahead). `exp` and `nbf` are then checked here as jsonwebtoken checks them.
 */
const UNDERLYING_SKEW = 30
/**
 * The claim that lets `verify` and `decode` return the payload as the app signed it: the claims
 * revocable needs that the app did not give (`add`), and a `sub` that was not a string.
 */
const RESTORE_CLAIM = 'jwtr'
/** jsonwebtoken's default algorithms for a secret; a token of another alg is 'invalid algorithm'. */
const HS_ALGS = ['HS256', 'HS384', 'HS512']

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

/**
 * An error jsonwebtoken's `sign` throws, with its message word for word. A plain `Error`, as
 * jsonwebtoken's are (not the TypeError of revocable's own API), so that a jwt-redis app's
 * error handling sees what it saw before.
 */
const signError = (message: string) => new Error(message)

/** jsonwebtoken's `timespan`: seconds after `iat` (a number) or an `ms` string. */
function timespan(name: string, value: unknown, iat: number): number {
  if (typeof value === 'number' && Number.isInteger(value)) return iat + value
  const match = typeof value === 'string' ? TIMESPAN.exec(value) : null
  if (match === null) {
    throw signError(
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

/**
 * The key revocable signs with for a secret. HMAC pads a key shorter than its 64-byte block
 * with zeros (RFC 2104 §2), so a short secret padded with zeros to 32 bytes gives exactly the
 * MACs of the secret itself: tokens stay verifiable by jsonwebtoken with the app's secret, and
 * revocable's key import keeps its 32-byte floor for everyone else.
 */
function hmacKey(secret: Buffer): Buffer {
  if (secret.length >= MIN_SECRET_BYTES) return secret
  return Buffer.concat([secret, Buffer.alloc(MIN_SECRET_BYTES - secret.length)])
}

const SHORT_SECRET_RISK =
  'an HS256 secret shorter than 32 bytes can be brute-forced offline from any token it signed, ' +
  'letting an attacker forge tokens'
const SHORT_SECRET_FIX =
  'use a random secret of at least 32 bytes (e.g. `openssl rand -base64 32`); tokens signed ' +
  'with the old secret stop verifying, so users sign in again'

/** One warning per process, whatever the number of JWTR instances and secrets. */
let warnedShortSecret = false

const toDate = (seconds: unknown) => new Date(Number(seconds) * 1000)

/** An error that says the store (or the code) failed, not that a token was bad. */
function isStoreFailure(error: unknown): boolean {
  return !(error instanceof RevocableError) || error instanceof StoreUnavailable
}

/**
 * jws's `decode`, which jsonwebtoken's `decode` and `verify` use: the header must be JSON (any
 * truthy value), the payload is text unless it parses to an object. A header with `typ: "JWT"`
 * and a payload that is not JSON throws a SyntaxError, as it does there.
 */
function decodeLikeJsonwebtoken(token: unknown, json = false): DecodedToken | null {
  if (typeof token !== 'string') return null
  if (!/^[a-zA-Z0-9\-_]+?\.[a-zA-Z0-9\-_]+?\.([a-zA-Z0-9\-_]+)?$/.test(token)) return null
  const [h, p, signature] = token.split('.') as [string, string, string]
  let header: unknown
  try {
    header = JSON.parse(Buffer.from(h, 'base64').toString('binary'))
  } catch {
    return null
  }
  if (!header) return null
  const text = Buffer.from(p, 'base64').toString('utf8')
  let payload: unknown = text
  if ((header as { typ?: unknown }).typ === 'JWT' || json) payload = JSON.parse(text)
  if (typeof payload === 'string') {
    try {
      const parsed: unknown = JSON.parse(payload)
      if (parsed !== null && typeof parsed === 'object') payload = parsed
    } catch {
      // not JSON: jsonwebtoken returns the text
    }
  }
  return { header, payload, signature } as DecodedToken
}

/** The payload as the app signed it: without the claims this layer added for revocable. */
function restorePayload<T>(payload: T): T {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return payload
  const claims = payload as Record<string, unknown>
  const restore = claims[RESTORE_CLAIM] as { add?: unknown; sub?: unknown } | undefined
  if (restore === null || typeof restore !== 'object') return payload
  const out: Record<string, unknown> = { ...claims }
  delete out[RESTORE_CLAIM]
  if (Array.isArray(restore.add)) for (const claim of restore.add) delete out[String(claim)]
  if (typeof restore.sub === 'number' && out.sub === String(restore.sub)) out.sub = restore.sub
  return out as T
}

/**
 * jsonwebtoken's checks on the token as a string, in its order, before any signature: what it
 * answers to an empty, non-string, malformed or unsigned token.
 */
function checkTokenShape(token: unknown, algorithms: readonly string[]): void {
  if (!token) throw new JsonWebTokenError('jwt must be provided')
  if (typeof token !== 'string') throw new JsonWebTokenError('jwt must be a string')
  const parts = token.split('.')
  if (parts.length !== 3) throw new JsonWebTokenError('jwt malformed')
  const decoded = decodeLikeJsonwebtoken(token) // a SyntaxError propagates, as there
  if (decoded === null) throw new JsonWebTokenError('invalid token')
  if ((parts[2] as string).trim() === '') throw new JsonWebTokenError('jwt signature is required')
  if (!algorithms.includes(decoded.header.alg as string)) {
    throw new JsonWebTokenError('invalid algorithm')
  }
}

/** jsonwebtoken's time checks, in its order (`nbf`, then `exp`), with its tolerance. */
function checkTimes(claims: Record<string, unknown>, nowMs: number, tolerance: number): void {
  const now = Math.floor(nowMs / 1000)
  if (claims.nbf !== undefined) {
    if (typeof claims.nbf !== 'number') throw new JsonWebTokenError('invalid nbf value')
    if (claims.nbf > now + tolerance) {
      throw new NotBeforeError('jwt not active', toDate(claims.nbf))
    }
  }
  if (claims.exp !== undefined) {
    if (typeof claims.exp !== 'number') throw new JsonWebTokenError('invalid exp value')
    if (now >= claims.exp + tolerance) {
      throw new TokenExpiredError('jwt expired', toDate(claims.exp))
    }
  }
}

/**
 * Turns a revocable error that says nothing about time into the error jsonwebtoken (or
 * jwt-redis) throws in that case. Time (`exp`, `nbf`) and destruction are decided in `verify`.
 */
function toJwtError(error: unknown): unknown {
  if (!(error instanceof RevocableError) || error instanceof StoreUnavailable) return error
  if (error instanceof ClaimInvalid && error.claim === 'jti') {
    return new TokenInvalidError(undefined, { cause: error })
  }
  if (
    error instanceof TokenMalformed ||
    error instanceof TokenTooLarge ||
    error instanceof TokenUnsupported
  ) {
    return withCause(new JsonWebTokenError('jwt malformed'), error)
  }
  if (error instanceof AlgorithmNotAllowed) {
    return withCause(new JsonWebTokenError('invalid algorithm'), error)
  }
  if (error instanceof ClaimInvalid || error instanceof TokenNotYetValid) {
    return withCause(new JsonWebTokenError(error.message), error)
  }
  if (error instanceof TokenExpired) {
    return withCause(new JsonWebTokenError(error.message), error) // the age limit on `iat`
  }
  // A wrong signature, an unknown kid (another secret), a retired key, a foreign `typ`.
  return withCause(new JsonWebTokenError('invalid signature'), error)
}

/** The issued-token record: jwt-redis's label (when it expires) and the token's `exp`. */
interface IssuedRecord {
  /** When jwt-redis's label for the token would expire, in ms. */
  readonly until: number
  /** The token's `exp`, in seconds. */
  readonly exp: number
}

function parseIssued(text: string | null): IssuedRecord | undefined {
  if (text === null) return undefined
  try {
    const record = JSON.parse(text) as Partial<IssuedRecord>
    if (typeof record.until === 'number' && typeof record.exp === 'number') {
      return record as IssuedRecord
    }
  } catch {
    // an unreadable record counts as none
  }
  return undefined
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
  readonly #shortSecrets: 'warn' | 'refuse' | 'allow'
  readonly #replica: 'auto' | false
  readonly #commandTimeout: number | undefined
  readonly #clock: Clock
  readonly #warn: ((message: string) => void) | undefined
  #store: Promise<RedisStore> | undefined
  readonly #secrets = new Map<string, Promise<SecretEntry>>()

  /**
   * @param redisClient a node-redis v4 or v5 client (connected or not; give it
   *   `disableOfflineQueue: true` so an outage fails fast). It is not closed by `close()`.
   */
  constructor(redisClient: object, options: JWTROptions = {}) {
    if (redisClient === null || typeof redisClient !== 'object') {
      throw new TypeError('"redisClient" must be a node-redis v4 or v5 client')
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
    const tolerance = options.clockTolerance ?? 0
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 0) {
      throw new TypeError('"clockTolerance" must be a non-negative number of seconds')
    }
    this.#clockTolerance = tolerance
    const shortSecrets = options.shortSecrets ?? 'warn'
    if (!['warn', 'refuse', 'allow'].includes(shortSecrets)) {
      throw new TypeError('"shortSecrets" must be "warn", "refuse" or "allow"')
    }
    this.#shortSecrets = shortSecrets
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
   * Signs `payload` (a JSON object) with HS256 on `secret`. A missing `jti` is generated; `exp`
   * comes from the payload, `expiresIn`, or else `maxExpiresIn`. Records the token's jti in
   * Redis until it expires, as jwt-redis does, so that `destroy` can say whether it destroyed
   * something. Resolves to the token.
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
    if (!secretOrPrivateKey) throw signError('secretOrPrivateKey must have a value')
    const { key } = await this.#entry(secretOrPrivateKey)
    const now = this.#clock()
    const claims = this.#claims({ ...payload }, options ?? {}, now)
    const token = signAccessToken(key, claims)
    await this.#recordIssued(claims, now)
    return token
  }

  /**
   * Verifies a token signed by `sign` with the same secret: signature, claims, and that it has
   * not been destroyed. Resolves to its payload as it was signed; rejects with
   * `TokenExpiredError`, `NotBeforeError`, `JsonWebTokenError`, `TokenDestroyedError` or
   * `TokenInvalidError`, and with revocable's `StoreUnavailable` (`ERR_STORE_UNAVAILABLE`) when
   * Redis cannot answer.
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
    checkTokenShape(token, options?.algorithms ?? HS_ALGS)
    if (!secretOrPublicKey) throw new JsonWebTokenError('secret or public key must be provided')
    const { auth } = await this.#entry(secretOrPublicKey)
    let claims: Record<string, unknown>
    let destroyed: TokenRevoked | undefined
    try {
      claims = { ...(await auth.verify(token)) }
    } catch (error) {
      // These three come after the signature check: the payload is the signer's.
      const signed = error instanceof TokenRevoked || error instanceof TokenExpired
      if (!signed && !(error instanceof TokenNotYetValid)) throw toJwtError(error)
      const payload = decodeUnverified(token)?.payload
      claims = typeof payload === 'object' ? payload : {}
      checkTimes(claims, this.#clock(), this.#clockTolerance)
      if (!(error instanceof TokenRevoked)) throw toJwtError(error)
      destroyed = error
    }
    checkTimes(claims, this.#clock(), this.#clockTolerance)
    // The options are checked against the payload as signed, as jsonwebtoken checks them.
    const payload = restorePayload(claims)
    checkVerifyOptions(payload, options ?? {})
    if (destroyed !== undefined) throw new TokenDestroyedError(undefined, { cause: destroyed })
    return payload as T
  }

  /**
   * Decodes a token without verifying it (jsonwebtoken's `decode`): the payload, or
   * `{ header, payload, signature }` with `complete`, or null when it is not a JWS.
   *
   * @example
   * const { jti } = jwtr.decode(token)
   */
  decode<T = Record<string, unknown>>(token: string, options: DecodeOptions = {}): T {
    const decoded = decodeLikeJsonwebtoken(token, options?.json === true)
    if (decoded === null) return null as T
    const payload = restorePayload(decoded.payload)
    return (options?.complete === true ? { ...decoded, payload } : payload) as T
  }

  /**
   * Destroys a token, given its jti (or the token itself): it is rejected from now on, on every
   * process sharing the Redis, until it expires. Resolves to what jwt-redis resolves to: true
   * when a token signed here with that jti was live, false for a jti never issued, expired or
   * already destroyed. Either way the jti is denied from then on.
   *
   * @example
   * await jwtr.destroy(payload.jti) // true
   * await jwtr.destroy(payload.jti) // false: already destroyed
   */
  async destroy(jtiOrToken: string, _options?: unknown): Promise<boolean> {
    if (typeof jtiOrToken !== 'string' || jtiOrToken === '') {
      throw new TypeError('"jti" must be a non-empty string')
    }
    let jti = jtiOrToken
    const entries = await Promise.all(this.#secrets.values())
    const store = await this.#openStore()
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
        return this.#takeIssued(store, jti, await this.#readIssued(store, jti))
      }
    }
    const issued = await this.#readIssued(store, jti)
    if (this.#replica === 'auto' && entries.length > 0) {
      // Each instance's replica learns of it at once; the store write is the same each time.
      await Promise.all(entries.map(({ auth }) => auth.revokeToken(jti)))
    } else {
      // Without replicas every verify asks the store, so one store write is seen by all at once.
      // The issued record (written by `sign`, so trusted) bounds the entry by the token's exp;
      // without one, the jti is denied for as long as any token this layer signs can live.
      const now = this.#clock()
      const expiresAt =
        issued === undefined
          ? (Math.floor(now / 1000) + this.#maxExpiresIn + UNDERLYING_SKEW) * 1000
          : (Math.ceil(issued.exp) + UNDERLYING_SKEW) * 1000
      await this.#storeCall(() => store.revokeJti(jti, expiresAt))
    }
    return this.#takeIssued(store, jti, issued)
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

  /**
   * jwt-redis's label: written for as long as jwt-redis would keep it (whole seconds until
   * `exp`, none when less than one is left, so such a token is born destroyed there and here).
   */
  async #recordIssued(claims: AccessTokenClaims, now: number): Promise<void> {
    const store = await this.#openStore()
    const seconds = Math.floor(claims.exp - now / 1000)
    if (seconds > 0) {
      const until = now + seconds * 1000
      const record = JSON.stringify({ until, exp: claims.exp } satisfies IssuedRecord)
      await this.#storeCall(() => store.recordIssued(claims.jti, record, until))
    } else {
      const expiresAt = (Math.ceil(claims.exp) + UNDERLYING_SKEW) * 1000
      await this.#storeCall(() => store.revokeJti(claims.jti, expiresAt))
    }
  }

  async #readIssued(store: RedisStore, jti: string): Promise<IssuedRecord | undefined> {
    return parseIssued(await this.#storeCall(() => store.readIssued(jti)))
  }

  /** Deletes the label after the denial is written; true if it was live and this call took it. */
  async #takeIssued(store: RedisStore, jti: string, issued: IssuedRecord | undefined) {
    if (issued === undefined) return false
    const taken = await this.#storeCall(() => store.deleteIssued(jti))
    return taken && issued.until > this.#clock()
  }

  async #storeCall<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call()
    } catch (error) {
      if (error instanceof RevocableError) throw error
      throw new StoreUnavailable('store failed to answer', { cause: error })
    }
  }

  #openStore(): Promise<RedisStore> {
    if (this.#store === undefined) {
      const ttlMs = (this.#maxExpiresIn + UNDERLYING_SKEW) * 1000
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
    if (bytes.length < MIN_SECRET_BYTES) this.#shortSecret()
    // A kid derived from the secret: the same on every process, and it reveals nothing the
    // signature does not (an HMAC under the secret itself).
    const kid = createHmac('sha256', bytes).update(KID_LABEL).digest('base64url').slice(0, 16)
    let entry = this.#secrets.get(kid)
    if (entry === undefined) {
      entry = this.#open(hmacKey(bytes), kid)
      this.#secrets.set(kid, entry)
      entry.catch(() => this.#secrets.delete(kid))
    }
    return entry
  }

  /** Applies the `shortSecrets` option to a secret below 32 bytes. */
  #shortSecret(): void {
    if (this.#shortSecrets === 'refuse') {
      throw new TypeError(
        `revocable/jwt-redis: the HS256 secret is shorter than ${MIN_SECRET_BYTES} bytes and ` +
          `"shortSecrets" is "refuse": ${SHORT_SECRET_FIX}`,
      )
    }
    if (this.#shortSecrets === 'warn' && !warnedShortSecret) {
      warnedShortSecret = true
      ;(this.#warn ?? console.warn)(
        `revocable/jwt-redis: ${SHORT_SECRET_RISK}. Fix: ${SHORT_SECRET_FIX}. ` +
          'Set the "shortSecrets" option to "refuse" to reject short secrets, or to "allow" ' +
          'to silence this warning.',
      )
    }
  }

  async #open(secret: Buffer, kid: string): Promise<SecretEntry> {
    const input = { secret, kid }
    const key = await importConfiguredKey(input, 'secret')
    const auth = await createRevocable({
      issuer: this.#issuer,
      audience: this.#audience,
      keys: [input],
      store: await this.#openStore(),
      maxAccessTokenTtl: this.#maxExpiresIn,
      accessTokenTtl: Math.min(300, this.#maxExpiresIn),
      clockTolerance: UNDERLYING_SKEW + this.#clockTolerance,
      replica: this.#replica,
      clock: this.#clock,
    })
    return { auth, key }
  }

  /** Builds the claims jsonwebtoken would, plus what revocable requires. */
  #claims(payload: Record<string, unknown>, options: SignOptions, now: number): AccessTokenClaims {
    const fromOption = (claim: string, option: keyof SignOptions): unknown => {
      if (options[option] === undefined) return payload[claim]
      if (payload[claim] !== undefined) {
        const separator = option === 'expiresIn' || option === 'notBefore' ? '' : '.'
        throw signError(
          `Bad "options.${option}" option${separator} ${separator ? 'The' : 'the'} payload ` +
            `already has an "${claim}" property.`,
        )
      }
      return options[option]
    }
    if (payload[RESTORE_CLAIM] !== undefined) {
      throw new TypeError(`the "${RESTORE_CLAIM}" claim is reserved by revocable/jwt-redis`)
    }
    if (options.algorithm !== undefined && options.algorithm !== 'HS256') {
      throw new TypeError('"algorithm" must be HS256 (the secret is an HMAC key)')
    }
    const added: string[] = []
    const iatGiven = payload.iat
    if (iatGiven !== undefined && typeof iatGiven !== 'number') {
      throw signError('"iat" should be a number of seconds')
    }
    const iat = (iatGiven as number | undefined) ?? Math.floor(now / 1000)

    let exp = fromOption('exp', 'expiresIn')
    if (options.expiresIn !== undefined) exp = timespan('expiresIn', options.expiresIn, iat)
    exp ??= iat + this.#maxExpiresIn
    if (typeof exp !== 'number' || !Number.isFinite(exp)) {
      throw signError('"exp" should be a number of seconds')
    }
    if (exp - iat > this.#maxExpiresIn) {
      throw new TypeError(
        `"expiresIn" must be at most ${this.#maxExpiresIn} seconds (the "maxExpiresIn" option)`,
      )
    }
    let nbf = fromOption('nbf', 'notBefore')
    if (options.notBefore !== undefined) nbf = timespan('notBefore', options.notBefore, iat)
    if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
      throw signError('"nbf" should be a number of seconds')
    }

    const given = (claim: string, value: unknown) => {
      if (value === undefined) added.push(claim)
      return value
    }
    const iss = given('iss', fromOption('iss', 'issuer')) ?? this.#issuer
    if (iss !== this.#issuer) {
      throw new TypeError(`"iss" must be "${this.#issuer}" (the "issuer" option of new JWTR())`)
    }
    const aud = given('aud', fromOption('aud', 'audience')) ?? this.#audience
    const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
    if (!audiences.includes(this.#audience) || !audiences.every((a) => typeof a === 'string')) {
      throw new TypeError(
        `"aud" must name "${this.#audience}" (the "audience" option of new JWTR())`,
      )
    }
    const jti = fromOption('jti', 'jwtid') ?? randomId()
    if (typeof jti !== 'string' || jti === '')
      throw new TypeError('"jti" must be a non-empty string')
    // revocable needs a string subject and a session: without them each token is its own. A
    // numeric sub (a database id) is carried as its decimal string, and restored on the way out.
    const subGiven = given('sub', fromOption('sub', 'subject'))
    let sub: unknown = subGiven ?? jti
    const restore: { add?: string[]; sub?: number } = {}
    if (typeof sub === 'number' && Number.isFinite(sub)) {
      restore.sub = sub
      sub = String(sub)
    }
    if (typeof sub !== 'string' || sub === '') {
      throw new TypeError('"sub" must be a non-empty string or a number')
    }
    const sid = given('sid', payload.sid) ?? jti
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
    if (iatGiven === undefined) {
      claims.iat_ms = now
      added.push('iat_ms')
    }
    if (nbf !== undefined) claims.nbf = nbf
    if (added.length > 0) restore.add = added
    if (Object.keys(restore).length > 0) claims[RESTORE_CLAIM] = restore
    return claims as AccessTokenClaims
  }
}

export { JWTR }

function checkVerifyOptions(claims: Record<string, unknown>, options: VerifyOptions): void {
  if (options.audience !== undefined) {
    const wanted = Array.isArray(options.audience) ? options.audience : [options.audience]
    const have = Array.isArray(claims.aud) ? claims.aud : [claims.aud]
    if (!have.some((aud) => wanted.includes(aud as string))) {
      throw new JsonWebTokenError(`jwt audience invalid. expected: ${wanted.join(' or ')}`)
    }
  }
  if (options.issuer !== undefined) {
    const wanted = Array.isArray(options.issuer) ? options.issuer : [options.issuer]
    if (!wanted.includes(claims.iss as string)) {
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
