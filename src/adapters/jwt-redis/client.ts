/**
 * jwt-redis's `JWTR` class on top of revocable: one RedisStore on the given client, one
 * Revocable per secret. Near 400 lines because it is jwt-redis's whole public class (sign,
 * verify, decode, destroy) kept in one piece, so that jsonwebtoken's check order reads top to
 * bottom; the rules it applies live beside it (claims.ts, sign-claims.ts, validators.ts).
 */
import { createHmac } from 'node:crypto'
import type { Clock } from '../../clock.js'
import {
  RevocableError,
  StoreUnavailable,
  TokenExpired,
  TokenNotYetValid,
  TokenRevoked,
} from '../../errors.js'
import { importConfiguredKey } from '../../keys/import.js'
import type { RingKey } from '../../keys/key-material.js'
import { createRevocable } from '../../create-revocable.js'
import type { Revocable } from '../../revocable.js'
import { RedisStore } from '../../stores/redis/index.js'
import type { AccessTokenClaims } from '../../tokens/claims.js'
import { signAccessToken } from '../../tokens/issue.js'
import { decodeUnverified } from '../../tokens/decode.js'
import {
  checkTimes,
  checkTokenShape,
  checkVerifyOptions,
  decodeLikeJsonwebtoken,
  parseIssued,
  restorePayload,
  type IssuedRecord,
} from './claims.js'
import {
  isStoreFailure,
  JsonWebTokenError,
  signError,
  TokenDestroyedError,
  TokenInvalidError,
  toJwtError,
} from './errors.js'
import {
  DEFAULT_MAX_EXPIRES_IN,
  HS_ALGS,
  KID_LABEL,
  MIN_SECRET_BYTES,
  SIGN_OPTIONS,
  UNDERLYING_SKEW,
  VERIFY_OPTIONS,
  type DecodeOptions,
  type JWTROptions,
  type SignOptions,
  type VerifyOptions,
} from './options.js'
import { buildClaims } from './sign-claims.js'
import {
  checkKnown,
  hmacKey,
  nonEmpty,
  positive,
  secretBytes,
  SHORT_SECRET_FIX,
  SHORT_SECRET_RISK,
} from './validators.js'

/** One warning per process, whatever the number of JWTR instances and secrets. */
let warnedShortSecret = false
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
    const claims = buildClaims({ ...payload }, options ?? {}, now, {
      issuer: this.#issuer,
      audience: this.#audience,
      maxExpiresIn: this.#maxExpiresIn,
    })
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
}

export { JWTR }
