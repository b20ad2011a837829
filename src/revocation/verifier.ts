// Over 300 lines on purpose: this is the whole hot path of `verify` (token cache, signature and
// claims, replica or store, the revocation rules, step-up age), kept in one file so that what a
// request pays for can be read top to bottom. The rules themselves live in records/ and tokens/.
import {
  ClaimsChanged,
  InsufficientUserAuthentication,
  KeyRetired,
  KidUnknown,
  StoreUnavailable,
  TokenRevoked,
} from '../errors.js'
import type { KeyLookup } from '../keys/key-material.js'
import type { ResolvedOptions } from '../options.js'
import {
  revocationReason,
  type RevocationQuery,
  type RevocationStatus,
} from '../records/revocation-reason.js'
import { claimsChangedSince } from '../records/user-state.js'
import {
  assertNotExpired,
  issuedAtMs,
  revocationOriginMs,
  type AccessTokenClaims,
  type ClaimRules,
} from '../tokens/claims.js'
import { HeaderCache } from '../tokens/header-cache.js'
import { verifyAccessToken, type VerifyContext } from '../tokens/verify.js'
import type { FeedFollower, FollowerStats } from './feed.js'
import type { Replica } from './replica.js'
import { TokenCache, type CachedToken } from './token-cache.js'

/** The replica and the follower that feeds it, when the store has a change feed. */
export interface ReplicaRuntime {
  readonly replica: Replica
  readonly follower: FeedFollower
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

/** The options the verify path reads (the resolved options fit). */
export type VerifierOptions = Pick<
  ResolvedOptions,
  | 'issuer'
  | 'audience'
  | 'clockTolerance'
  | 'maxAccessTokenTtl'
  | 'maxTokenSize'
  | 'mode'
  | 'onStoreError'
  | 'keyReloadInterval'
  | 'maxStaleness'
  | 'tokenCacheSize'
  | 'clock'
>

export interface VerifierDeps {
  /** The key ring (an exact lookup by kid). */
  readonly keys: KeyLookup
  readonly options: VerifierOptions
  /** A token's revocation status from the store (one round trip): `Revoker.status`. */
  readonly lookup: (query: RevocationQuery) => Promise<RevocationStatus>
  /** Re-reads the keys (an unknown kid may be a key another instance just made). */
  readonly reloadKeys: () => Promise<void>
  /** The local replica, when the store has a change feed. */
  readonly runtime?: ReplicaRuntime
}

/**
 * The verify hot path: signature and claims (tokens/verify.ts), the token cache, the revocation
 * status from the replica when it is fresh or else from the store, and the decision
 * (records/revocation-reason.ts). It holds no store: it asks `lookup`, so it is tested alone.
 */
export class Verifier {
  readonly #deps: VerifierDeps
  readonly #rules: ClaimRules
  readonly #cache: TokenCache
  readonly #headers = new HeaderCache()
  /** One context for every verify (its `now` set per call): no object built per token. */
  readonly #context: { -readonly [K in keyof VerifyContext]: VerifyContext[K] }
  readonly #maxStalenessMs: number
  readonly #counters = { revocationChecksSkipped: 0, directLookups: 0, replicaLookups: 0 }
  // -Infinity: the first unknown kid reloads at once. A sibling that started on the same empty
  // store at the same moment signs with the key it made, written after this ring loaded; later
  // unknown kids reload at most once per keyReloadInterval.
  #lastKeyReload = Number.NEGATIVE_INFINITY

  constructor(deps: VerifierDeps) {
    const { options } = deps
    this.#deps = deps
    this.#cache = new TokenCache(options.tokenCacheSize)
    this.#maxStalenessMs = options.maxStaleness * 1000
    this.#rules = Object.freeze({
      issuer: options.issuer,
      audience: options.audience,
      clockTolerance: options.clockTolerance,
      maxTokenAge: options.maxAccessTokenTtl,
    })
    this.#context = {
      keys: deps.keys,
      rules: this.#rules,
      maxTokenSize: options.maxTokenSize,
      now: 0,
      headers: this.#headers,
    }
  }

  /** Verifies a token completely (see `Revocable.verify`), then the authentication's age. */
  verify(token: string, options?: VerifyOptions): Promise<AccessTokenClaims> {
    const maxAuthAge = options?.maxAuthAge
    if (maxAuthAge === undefined) return this.#verify(token)
    const limit = checkMaxAuthAge(maxAuthAge)
    return this.#verify(token).then((claims) => {
      assertAuthAge(claims, limit, this.#deps.options.clock())
      return claims
    })
  }

  /** The replica, when it is fresh enough to answer at `now` (else undefined: ask the store). */
  freshReplica(now: number): Replica | undefined {
    const runtime = this.#deps.runtime
    return runtime !== undefined && runtime.follower.isFresh(this.#maxStalenessMs, now)
      ? runtime.replica
      : undefined
  }

  #verify(token: string): Promise<AccessTokenClaims> {
    let verified: CachedToken
    try {
      const now = this.#deps.options.clock()
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

  /** Everything but revocation. An unknown kid may be a key another instance just made. */
  async verifyIgnoringRevocation(token: string): Promise<CachedToken> {
    try {
      return this.#verifySignatureAndClaims(token)
    } catch (error) {
      if (!(error instanceof KidUnknown) || !this.#keyReloadDue()) throw error
      await this.#deps.reloadKeys()
      return this.#verifySignatureAndClaims(token)
    }
  }

  /** Whether verified claims have been revoked, by any of the four ways (one store round trip). */
  async isRevoked(claims: AccessTokenClaims): Promise<boolean> {
    const status = await this.#deps.lookup({
      now: this.#deps.options.clock(),
      jti: claims.jti,
      sid: claims.sid,
      sub: claims.sub,
      kid: '',
    })
    return (
      revocationReason(revocationOriginMs(claims), status, this.#deps.options.mode) !== undefined ||
      status.userSuspended
    )
  }

  stats(): RevocableStats {
    const runtime = this.#deps.runtime
    const follower = runtime?.follower.stats()
    const cache = this.#cache
    return {
      ...this.#counters,
      tokenCache: { size: cache.size, hits: cache.hits, misses: cache.misses },
      replica:
        follower === undefined || runtime === undefined
          ? undefined
          : { ...follower, entries: runtime.replica.size() },
    }
  }

  /** A reload of the keys starts now (an unknown kid waits `keyReloadInterval` for the next). */
  keysReloading(): void {
    this.#lastKeyReload = this.#deps.options.clock()
  }

  /** The ring changed: headers checked against the old ring are checked again. */
  keysChanged(): void {
    this.#headers.clear()
  }

  /** A key was retired: no cached token it signed is accepted again. */
  keyRetired(kid: string): void {
    this.#headers.clear()
    this.#cache.forgetKid(kid)
  }

  #verifySignatureAndClaims(token: string, now = this.#deps.options.clock()): CachedToken {
    const context = this.#context
    context.now = now // verifyAccessToken is synchronous: no other verify sees this value
    const { claims, key } = verifyAccessToken(token, context)
    return { claims: Object.freeze(claims), kid: key.kid }
  }

  #keyReloadDue(): boolean {
    const { clock, keyReloadInterval } = this.#deps.options
    return clock() - this.#lastKeyReload >= keyReloadInterval * 1000
  }

  async #verifySlowly(token: string): Promise<AccessTokenClaims> {
    return this.#verifyWithStore(token, await this.verifyIgnoringRevocation(token))
  }

  #query(verified: CachedToken, now = this.#deps.options.clock()): RevocationQuery {
    const { claims, kid } = verified
    return { now, jti: claims.jti, sid: claims.sid, sub: claims.sub, kid }
  }

  /** The replica's answer, or undefined when it is too stale or does not know enough. */
  #replicaStatus(verified: CachedToken, now: number): RevocationStatus | undefined {
    const runtime = this.#deps.runtime
    if (runtime === undefined || !runtime.follower.isFresh(this.#maxStalenessMs, now)) {
      return undefined
    }
    const answer = runtime.replica.check(this.#query(verified, now))
    if (this.#deps.options.mode === 'allowlist' && !answer.sessionKnown) return undefined
    this.#counters.replicaLookups += 1
    return answer.status
  }

  async #verifyWithStore(token: string, verified: CachedToken): Promise<AccessTokenClaims> {
    let status: RevocationStatus
    try {
      this.#counters.directLookups += 1
      status = await this.#deps.lookup(this.#query(verified))
    } catch (error) {
      // Fail-open still enforces signature and claims; it only skips revocation, and counts it.
      if (!(error instanceof StoreUnavailable) || this.#deps.options.onStoreError !== 'fail-open') {
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
    const reason = revocationReason(
      revocationOriginMs(verified.claims),
      status,
      this.#deps.options.mode,
    )
    if (reason !== undefined) throw new TokenRevoked(reason)
    if (status.userSuspended) throw new TokenRevoked('user-suspended')
    if (claimsChangedSince(issuedAtMs(verified.claims), status.claimsCutoff)) {
      throw new ClaimsChanged()
    }
  }
}
