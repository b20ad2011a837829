// Over 300 lines on purpose: every option's JSDoc (what users read), the one frozen DEFAULTS
// object and the one validation pass, kept together so an option is added in one place.
import { systemClock, type Clock } from './clock.js'
import { ALGORITHMS, isAlgorithm, type Algorithm } from './keys/algorithms.js'
import type { KeyInput } from './keys/import.js'
import type { RevocationMode } from './records/revocation-reason.js'
import type { Store } from './stores/store.js'

/** What `resolveClaims` is told about the session it resolves claims for. */
export interface ClaimsContext {
  readonly sub: string
  readonly sid: string
  readonly clientId: string | undefined
  readonly scope: string | undefined
  /** The claims the session was started with (`startSession`'s `claims`). */
  readonly claims: Readonly<Record<string, unknown>> | undefined
  /** Which verb is minting: a login, a refresh, or a re-authentication. */
  readonly reason: 'start' | 'refresh' | 'reauthenticate'
}

/**
 * Resolves the claims (roles, permissions, tenant…) of a session's next access token; they are
 * merged over the session's own claims. Registered claims may not be set (TypeError).
 */
export type ResolveClaims = (
  context: ClaimsContext,
) => Record<string, unknown> | undefined | Promise<Record<string, unknown> | undefined>

/** `denylist`: a token is good unless revoked. `allowlist`: good only while its session is active. */
export type Mode = RevocationMode

export interface RevocableOptions {
  /** `iss` of issued tokens; verified tokens must carry exactly this value. Required. */
  issuer: string
  /** `aud` of issued tokens (all of them when an array); a verified token must name one. Required. */
  audience: string | readonly string[]
  /** Where revocation state, keys and sessions live. Default: a new `MemoryStore`. */
  store?: Store
  /** Default `denylist`. */
  mode?: Mode
  /** Keys to use (JWK, PEM or HMAC secret). Default: none; the ring generates and stores one. */
  keys?: readonly KeyInput[]
  /** Algorithm of generated keys. Default: the first configured key's, else `ES256`. */
  algorithm?: Algorithm
  /**
   * Key-encryption key (32 bytes, or base64/base64url/hex text of 32 bytes): every private key and
   * HMAC secret the library keeps in the store is sealed under it (AES-256-GCM envelope).
   * Without one, generated keys are only kept in a `MemoryStore` unless `allowPlaintextKeys`.
   */
  keyEncryptionKey?: string | Uint8Array
  /** Keep generated private keys in the store in plaintext when no `keyEncryptionKey` is given. Default false. */
  allowPlaintextKeys?: boolean
  /**
   * Seconds a new generated key is published (JWKS, every instance) before any instance signs
   * with it. Default 60.
   */
  keyPublishLead?: number
  /**
   * Seconds between scheduled rotations of generated keys (publish before use, then automatic
   * retirement once no token a key signed can still be valid); `false` turns it off. Ignored when
   * `keys` are configured. Default 2 592 000 (30 days).
   */
  keyRotationInterval?: number | false
  /** Where warnings go (a mixed fleet, lost retirements written back). Default `console.warn`. */
  warn?: (message: string) => void
  /** Default lifetime of access tokens, in seconds. Default 300. */
  accessTokenTtl?: number
  /**
   * Longest lifetime any access token may have, in seconds (`issue`'s `ttl` cannot exceed it, and
   * `verify` refuses tokens older than it). It bounds how long session and user revocation
   * entries must be kept. Default 86 400.
   */
  maxAccessTokenTtl?: number
  /** Clock skew tolerated on exp, nbf and iat, in seconds. Default 5. */
  clockTolerance?: number
  /** Longest token accepted, in characters, checked before any parsing. Default 8192. */
  maxTokenSize?: number
  /** Least seconds between key reloads triggered by an unknown `kid`. Default 10. */
  keyReloadInterval?: number
  /** Absolute lifetime of a session, in seconds. Default 7 776 000 (90 days). */
  sessionMaxAge?: number
  /** A session unused for this many seconds expires (sliding). Default 1 209 600 (14 days). */
  sessionIdleTtl?: number
  /**
   * Seconds after a rotation during which the immediately previous refresh token may be presented
   * again without counting as reuse (a client that lost the response). Default 0.
   */
  reuseGrace?: number
  /**
   * Seconds after a rotation during which a repeat of the same refresh (the client never got
   * the answer: a 503, a timeout, a crashed instance) is answered with the same new refresh
   * token instead of counting as reuse, as long as that token was not used yet. 0 turns it off.
   */
  refreshRetryWindow?: number
  /** Most active sessions per user. Default Infinity (no cap). */
  maxSessionsPerUser?: number
  /** At the cap: end the least recently used session (`evict`) or refuse the new one. Default `evict`. */
  sessionLimitAction?: 'evict' | 'refuse'
  /**
   * When the store cannot answer the revocation check: `fail-closed` (default) rejects with
   * ERR_STORE_UNAVAILABLE; `fail-open` accepts a token whose signature and claims are good,
   * and counts every skipped check (`stats().revocationChecksSkipped`).
   */
  onStoreError?: 'fail-closed' | 'fail-open'
  /**
   * Keep a local replica of the revocation state, fed by the store's change feed, so a verify
   * needs no network: `auto` (default) uses one when the store has a feed (Redis); `false` asks
   * the store on every verify.
   */
  replica?: 'auto' | false
  /**
   * Seconds the replica may lag behind before `verify` stops trusting it and asks the store
   * directly. Default 1.
   */
  maxStaleness?: number
  /**
   * Whether a revocation (revokeToken, revokeSession, revokeUser, revokeAll) resolves only once
   * every live replica on the store has applied it, at most maxStaleness later; each call can
   * say otherwise (`{ awaitReplicas }`). Stores without a change feed resolve at once.
   * Default false.
   */
  awaitReplicas?: boolean
  /**
   * Fully verified tokens remembered (LRU, keyed by the exact token string) so a repeat skips
   * the signature check; expiry and revocation are still checked every time. 0 turns it off.
   * Default 10 000.
   */
  tokenCacheSize?: number
  /** Time source in milliseconds. Default `Date.now`. Tests inject their own. */
  clock?: Clock
  /**
   * Whose clock stamps cutoffs, sessions and tokens. `store`: this instance's clock corrected by
   * its measured offset from the store's (Redis `TIME`), so skew between instances cannot reorder
   * revocations; `local`: `clock` as it is. Default `store` for a store that has a clock and no
   * injected `clock`, else `local`.
   */
  timeAuthority?: 'store' | 'local'
  /**
   * Resolves claims for a session's access tokens at `startSession`, every `refresh` and
   * `reauthenticate`, so a change of roles reaches the user at the next refresh
   * (`markClaimsChanged` forces one). Default: none (the session's own claims only).
   */
  resolveClaims?: ResolveClaims
}

/** Every default, in one place. */
export const DEFAULTS = Object.freeze({
  mode: 'denylist' as Mode,
  algorithm: 'ES256' as Algorithm,
  allowPlaintextKeys: false,
  keyPublishLead: 60,
  keyRotationInterval: 2_592_000 as number | false,
  accessTokenTtl: 300,
  maxAccessTokenTtl: 86_400,
  clockTolerance: 5,
  maxTokenSize: 8192,
  keyReloadInterval: 10,
  sessionMaxAge: 90 * 86_400,
  sessionIdleTtl: 14 * 86_400,
  reuseGrace: 0,
  refreshRetryWindow: 10,
  maxSessionsPerUser: Infinity,
  sessionLimitAction: 'evict' as 'evict' | 'refuse',
  onStoreError: 'fail-closed' as 'fail-closed' | 'fail-open',
  replica: 'auto' as 'auto' | false,
  maxStaleness: 1,
  awaitReplicas: false,
  tokenCacheSize: 10_000,
})

export interface ResolvedOptions {
  readonly issuer: string
  readonly audience: readonly string[]
  readonly store: Store | undefined
  readonly mode: Mode
  readonly keys: readonly KeyInput[]
  readonly algorithm: Algorithm
  readonly keyEncryptionKey: string | Uint8Array | undefined
  readonly allowPlaintextKeys: boolean
  readonly keyPublishLead: number
  readonly keyRotationInterval: number | false
  readonly warn: (message: string) => void
  readonly accessTokenTtl: number
  readonly maxAccessTokenTtl: number
  readonly clockTolerance: number
  readonly maxTokenSize: number
  readonly keyReloadInterval: number
  readonly sessionMaxAge: number
  readonly sessionIdleTtl: number
  readonly reuseGrace: number
  readonly refreshRetryWindow: number
  readonly maxSessionsPerUser: number
  readonly sessionLimitAction: 'evict' | 'refuse'
  readonly onStoreError: 'fail-closed' | 'fail-open'
  readonly replica: 'auto' | false
  readonly maxStaleness: number
  readonly awaitReplicas: boolean
  readonly tokenCacheSize: number
  readonly clock: Clock
  readonly timeAuthority: 'store' | 'local'
  readonly resolveClaims: ResolveClaims | undefined
}

function positiveSeconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive number of seconds`)
  }
  return value
}

// Token lifetimes become `exp` and `iat` offsets, which are whole seconds (RFC 7519 NumericDate
// as issued here), so a fraction is refused once, here, rather than at every issue().
function positiveWholeSeconds(name: string, value: unknown, fallback: number): number {
  const seconds = positiveSeconds(name, value, fallback)
  if (!Number.isSafeInteger(seconds)) {
    throw new TypeError(`"${name}" must be a positive whole number of seconds`)
  }
  return seconds
}

function nonNegativeSeconds(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`"${name}" must be a non-negative number of seconds`)
  }
  return value
}

function nonEmptyString(name: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`"${name}" must be a non-empty string`)
  }
  return value
}

/** Validates options once, at construction; nothing is re-checked per request. */
export function resolveOptions(options: RevocableOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new TypeError('options must be an object with at least "issuer" and "audience"')
  }
  const issuer = nonEmptyString('issuer', options.issuer)
  const audience =
    typeof options.audience === 'string'
      ? [options.audience]
      : Array.isArray(options.audience)
        ? options.audience
        : undefined
  if (
    audience === undefined ||
    audience.length === 0 ||
    !audience.every((a) => typeof a === 'string' && a !== '')
  ) {
    throw new TypeError('"audience" must be a non-empty string or array of non-empty strings')
  }

  const mode = options.mode ?? DEFAULTS.mode
  if (mode !== 'denylist' && mode !== 'allowlist') {
    throw new TypeError('"mode" must be "denylist" or "allowlist"')
  }
  const keys = options.keys ?? []
  if (!Array.isArray(keys)) throw new TypeError('"keys" must be an array')
  const algorithm = options.algorithm ?? firstConfiguredAlgorithm(keys) ?? DEFAULTS.algorithm
  if (!isAlgorithm(algorithm))
    throw new TypeError(`"algorithm" must be one of ${ALGORITHMS.join(', ')}`)

  const store = options.store
  if (store !== undefined && (store === null || typeof store.checkRevocation !== 'function')) {
    throw new TypeError('"store" must implement the Store interface')
  }
  const clock = options.clock ?? systemClock
  if (typeof clock !== 'function')
    throw new TypeError('"clock" must be a function returning milliseconds')
  const timeAuthority = options.timeAuthority ?? (options.clock === undefined ? 'store' : 'local')
  if (timeAuthority !== 'store' && timeAuthority !== 'local') {
    throw new TypeError('"timeAuthority" must be "store" or "local"')
  }

  const maxAccessTokenTtl = positiveWholeSeconds(
    'maxAccessTokenTtl',
    options.maxAccessTokenTtl,
    DEFAULTS.maxAccessTokenTtl,
  )
  const accessTokenTtl = positiveWholeSeconds(
    'accessTokenTtl',
    options.accessTokenTtl,
    DEFAULTS.accessTokenTtl,
  )
  if (accessTokenTtl > maxAccessTokenTtl) {
    throw new TypeError('"accessTokenTtl" must not exceed "maxAccessTokenTtl"')
  }
  const maxTokenSize = options.maxTokenSize ?? DEFAULTS.maxTokenSize
  if (!Number.isInteger(maxTokenSize) || maxTokenSize < 256) {
    throw new TypeError('"maxTokenSize" must be an integer of at least 256 characters')
  }

  const maxSessionsPerUser = options.maxSessionsPerUser ?? DEFAULTS.maxSessionsPerUser
  if (
    maxSessionsPerUser !== Infinity &&
    (!Number.isInteger(maxSessionsPerUser) || maxSessionsPerUser < 1)
  ) {
    throw new TypeError('"maxSessionsPerUser" must be a positive integer or Infinity')
  }
  const sessionLimitAction = options.sessionLimitAction ?? DEFAULTS.sessionLimitAction
  if (sessionLimitAction !== 'evict' && sessionLimitAction !== 'refuse') {
    throw new TypeError('"sessionLimitAction" must be "evict" or "refuse"')
  }

  const onStoreError = options.onStoreError ?? DEFAULTS.onStoreError
  if (onStoreError !== 'fail-closed' && onStoreError !== 'fail-open') {
    throw new TypeError('"onStoreError" must be "fail-closed" or "fail-open"')
  }

  const replica = options.replica ?? DEFAULTS.replica
  if (replica !== 'auto' && replica !== false)
    throw new TypeError('"replica" must be "auto" or false')
  const awaitReplicas = options.awaitReplicas ?? DEFAULTS.awaitReplicas
  if (typeof awaitReplicas !== 'boolean') throw new TypeError('"awaitReplicas" must be a boolean')
  const tokenCacheSize = options.tokenCacheSize ?? DEFAULTS.tokenCacheSize
  if (!Number.isInteger(tokenCacheSize) || tokenCacheSize < 0) {
    throw new TypeError('"tokenCacheSize" must be a non-negative integer')
  }

  const keyEncryptionKey = options.keyEncryptionKey
  if (
    keyEncryptionKey !== undefined &&
    typeof keyEncryptionKey !== 'string' &&
    !(keyEncryptionKey instanceof Uint8Array)
  ) {
    throw new TypeError('"keyEncryptionKey" must be a string or bytes')
  }
  const allowPlaintextKeys = options.allowPlaintextKeys ?? DEFAULTS.allowPlaintextKeys
  if (typeof allowPlaintextKeys !== 'boolean') {
    throw new TypeError('"allowPlaintextKeys" must be a boolean')
  }
  const keyRotationInterval =
    options.keyRotationInterval === false
      ? false
      : positiveSeconds(
          'keyRotationInterval',
          options.keyRotationInterval,
          DEFAULTS.keyRotationInterval as number,
        )
  const warn = options.warn ?? ((message: string) => console.warn(message))
  if (typeof warn !== 'function') throw new TypeError('"warn" must be a function')
  const resolveClaims = options.resolveClaims
  if (resolveClaims !== undefined && typeof resolveClaims !== 'function') {
    throw new TypeError('"resolveClaims" must be a function')
  }

  return Object.freeze({
    issuer,
    audience: Object.freeze([...audience]),
    store,
    mode,
    keys,
    algorithm,
    keyEncryptionKey,
    allowPlaintextKeys,
    keyPublishLead: nonNegativeSeconds(
      'keyPublishLead',
      options.keyPublishLead,
      DEFAULTS.keyPublishLead,
    ),
    keyRotationInterval,
    warn,
    accessTokenTtl,
    maxAccessTokenTtl,
    clockTolerance: nonNegativeSeconds(
      'clockTolerance',
      options.clockTolerance,
      DEFAULTS.clockTolerance,
    ),
    maxTokenSize,
    keyReloadInterval: nonNegativeSeconds(
      'keyReloadInterval',
      options.keyReloadInterval,
      DEFAULTS.keyReloadInterval,
    ),
    sessionMaxAge: positiveSeconds('sessionMaxAge', options.sessionMaxAge, DEFAULTS.sessionMaxAge),
    sessionIdleTtl: positiveSeconds(
      'sessionIdleTtl',
      options.sessionIdleTtl,
      DEFAULTS.sessionIdleTtl,
    ),
    reuseGrace: nonNegativeSeconds('reuseGrace', options.reuseGrace, DEFAULTS.reuseGrace),
    refreshRetryWindow: nonNegativeSeconds(
      'refreshRetryWindow',
      options.refreshRetryWindow,
      DEFAULTS.refreshRetryWindow,
    ),
    maxSessionsPerUser,
    sessionLimitAction,
    onStoreError,
    replica,
    maxStaleness: positiveSeconds('maxStaleness', options.maxStaleness, DEFAULTS.maxStaleness),
    awaitReplicas,
    tokenCacheSize,
    clock,
    timeAuthority,
    resolveClaims,
  })
}

function firstConfiguredAlgorithm(keys: readonly KeyInput[]): Algorithm | undefined {
  const first = keys[0] as
    Partial<{ alg: unknown; jwk: { alg?: unknown }; secret: unknown }> | undefined
  if (first === undefined) return undefined
  const alg = first.alg ?? first.jwk?.alg ?? (first.secret !== undefined ? 'HS256' : undefined)
  return isAlgorithm(alg) ? alg : undefined
}
