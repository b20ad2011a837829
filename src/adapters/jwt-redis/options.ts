/** The options of revocable/jwt-redis (jsonwebtoken's, as far as honoured) and its constants. */
import type { Clock } from '../../clock.js'

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
export type { DecodedToken } from '../../tokens/decode.js'

export const SIGN_OPTIONS = new Set([
  'expiresIn',
  'notBefore',
  'audience',
  'issuer',
  'subject',
  'jwtid',
  'algorithm',
])
export const VERIFY_OPTIONS = new Set(['algorithms', 'audience', 'issuer', 'subject', 'jwtid'])

export const DEFAULT_MAX_EXPIRES_IN = 30 * 86_400
export const KID_LABEL = 'revocable/jwt-redis kid'
/** revocable's floor for HMAC secrets (STYLE §4); shorter ones are padded, see `hmacKey`. */
export const MIN_SECRET_BYTES = 32
/**
 * Seconds of skew revocable itself allows underneath (its `iat` check: a signing process whose
 * clock runs ahead). `exp` and `nbf` are then checked here as jsonwebtoken checks them.
 */
export const UNDERLYING_SKEW = 30
/**
 * The claim that lets `verify` and `decode` return the payload as the app signed it: the claims
 * revocable needs that the app did not give (`add`), and a `sub` that was not a string.
 */
export const RESTORE_CLAIM = 'jwtr'
/** jsonwebtoken's default algorithms for a secret; a token of another alg is 'invalid algorithm'. */
export const HS_ALGS = ['HS256', 'HS384', 'HS512']
