/**
 * Errors a token, a client or the store can cause. Each class carries a stable `code` (on the
 * class and on the instance) that callers branch on; messages are for humans and may change.
 * Misuse of the API (a bad option, a wrong argument type) throws a plain `TypeError` instead.
 *
 * `ERROR_TABLE` is the one place that maps a code to what HTTP and OAuth callers should see;
 * adapters and the server read it, nothing else decides a status code.
 *
 * Over 300 lines on purpose: one small class per stable code and the table beside them, so that
 * docs/errors.md and this file can be compared as a whole (test/unit/errors.test.ts does).
 */

export type OAuthErrorCode =
  | 'invalid_token'
  | 'invalid_grant'
  | 'invalid_request'
  | 'invalid_client'
  | 'insufficient_scope'
  | 'insufficient_user_authentication'
  | 'access_denied'
  | 'temporarily_unavailable'
  | 'server_error'

export interface HttpMapping {
  /** HTTP status for a request that failed with this code. */
  readonly status: number
  /** OAuth 2.0 / RFC 6750 `error` value. */
  readonly oauthError: OAuthErrorCode
}

const invalidToken: HttpMapping = { status: 401, oauthError: 'invalid_token' }
const invalidGrant: HttpMapping = { status: 400, oauthError: 'invalid_grant' }

/** Every code this library throws, with its HTTP mapping. `docs/errors.md` documents each. */
export const ERROR_TABLE = Object.freeze({
  ERR_TOKEN_MALFORMED: invalidToken,
  ERR_TOKEN_TOO_LARGE: invalidToken,
  ERR_TOKEN_UNSUPPORTED: invalidToken,
  ERR_HEADER_REJECTED: invalidToken,
  ERR_ALG_NOT_ALLOWED: invalidToken,
  ERR_KID_UNKNOWN: invalidToken,
  ERR_KEY_RETIRED: invalidToken,
  ERR_TYP_INVALID: invalidToken,
  ERR_SIGNATURE_INVALID: invalidToken,
  ERR_CLAIM_INVALID: invalidToken,
  ERR_TOKEN_EXPIRED: invalidToken,
  ERR_TOKEN_NOT_YET_VALID: invalidToken,
  ERR_TOKEN_REVOKED: invalidToken,
  ERR_CLAIMS_CHANGED: invalidToken,
  ERR_INSUFFICIENT_USER_AUTHENTICATION: {
    status: 401,
    oauthError: 'insufficient_user_authentication',
  },
  ERR_SESSION_REVOKED: invalidGrant,
  ERR_SESSION_NOT_FOUND: invalidGrant,
  ERR_SESSION_EXPIRED: invalidGrant,
  ERR_SESSION_LIMIT: { status: 403, oauthError: 'access_denied' },
  ERR_USER_SUSPENDED: { status: 403, oauthError: 'access_denied' },
  ERR_REFRESH_TOKEN_INVALID: invalidGrant,
  ERR_REFRESH_TOKEN_REUSED: invalidGrant,
  ERR_CLIENT_MISMATCH: invalidGrant,
  ERR_NO_SIGNING_KEY: { status: 500, oauthError: 'server_error' },
  ERR_KEY_DECRYPTION_FAILED: { status: 500, oauthError: 'server_error' },
  ERR_STORE_UNAVAILABLE: { status: 503, oauthError: 'temporarily_unavailable' },
} satisfies Record<string, HttpMapping>)

export type ErrorCode = keyof typeof ERROR_TABLE

/** Base class of every error with a stable code. */
export class RevocableError extends Error {
  static readonly code: ErrorCode | 'ERR_REVOCABLE' = 'ERR_REVOCABLE'
  readonly code: ErrorCode

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }

  /** The HTTP status and OAuth error for this error, from `ERROR_TABLE`. */
  get http(): HttpMapping {
    return ERROR_TABLE[this.code]
  }
}

/** The token string is not a well-formed compact JWS (segments, base64url, JSON). */
export class TokenMalformed extends RevocableError {
  static override readonly code = 'ERR_TOKEN_MALFORMED'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_TOKEN_MALFORMED', message, options)
  }
}

/** The token is longer than `maxTokenSize`; it was refused before any parsing or crypto. */
export class TokenTooLarge extends RevocableError {
  static override readonly code = 'ERR_TOKEN_TOO_LARGE'
  constructor(message: string) {
    super('ERR_TOKEN_TOO_LARGE', message)
  }
}

/** A JWE, a compressed (`zip`) or an unencoded-payload (`b64: false`) token. */
export class TokenUnsupported extends RevocableError {
  static override readonly code = 'ERR_TOKEN_UNSUPPORTED'
  constructor(message: string) {
    super('ERR_TOKEN_UNSUPPORTED', message)
  }
}

/** A header parameter this verifier refuses: `jku`, `x5u`, `jwk`, `x5c`, or an unknown `crit`. */
export class HeaderRejected extends RevocableError {
  static override readonly code = 'ERR_HEADER_REJECTED'
  constructor(message: string) {
    super('ERR_HEADER_REJECTED', message)
  }
}

/** `alg: none`, or a header `alg` that differs from the algorithm of the key named by `kid`. */
export class AlgorithmNotAllowed extends RevocableError {
  static override readonly code = 'ERR_ALG_NOT_ALLOWED'
  constructor(message: string) {
    super('ERR_ALG_NOT_ALLOWED', message)
  }
}

/** No key in the ring has the token's `kid` (or the token has none). */
export class KidUnknown extends RevocableError {
  static override readonly code = 'ERR_KID_UNKNOWN'
  constructor(message: string) {
    super('ERR_KID_UNKNOWN', message)
  }
}

/** The token was signed with a key that has been retired. */
export class KeyRetired extends RevocableError {
  static override readonly code = 'ERR_KEY_RETIRED'
  constructor(message: string) {
    super('ERR_KEY_RETIRED', message)
  }
}

/** The `typ` header is not `at+jwt` (RFC 9068). */
export class TypInvalid extends RevocableError {
  static override readonly code = 'ERR_TYP_INVALID'
  constructor(message: string) {
    super('ERR_TYP_INVALID', message)
  }
}

/** The signature does not verify with the key named by `kid`. */
export class SignatureInvalid extends RevocableError {
  static override readonly code = 'ERR_SIGNATURE_INVALID'
  constructor(message = 'signature verification failed') {
    super('ERR_SIGNATURE_INVALID', message)
  }
}

/** A claim is missing, of the wrong type, or has the wrong value. `claim` names it. */
export class ClaimInvalid extends RevocableError {
  static override readonly code = 'ERR_CLAIM_INVALID'
  readonly claim: string
  constructor(claim: string, message: string) {
    super('ERR_CLAIM_INVALID', message)
    this.claim = claim
  }
}

/** `exp` has passed (beyond `clockTolerance`). */
export class TokenExpired extends RevocableError {
  static override readonly code = 'ERR_TOKEN_EXPIRED'
  constructor(message = 'token has expired') {
    super('ERR_TOKEN_EXPIRED', message)
  }
}

/** `nbf` or `iat` lies in the future (beyond `clockTolerance`). */
export class TokenNotYetValid extends RevocableError {
  static override readonly code = 'ERR_TOKEN_NOT_YET_VALID'
  readonly claim: string
  constructor(claim: string, message: string) {
    super('ERR_TOKEN_NOT_YET_VALID', message)
    this.claim = claim
  }
}

/** Why a token counts as revoked. */
export type RevocationReason =
  'token' | 'session' | 'user' | 'global' | 'session-inactive' | 'user-suspended'

/** The token is well formed, signed and in date, but has been revoked. `reason` says how. */
export class TokenRevoked extends RevocableError {
  static override readonly code = 'ERR_TOKEN_REVOKED'
  readonly reason: RevocationReason
  constructor(reason: RevocationReason) {
    super('ERR_TOKEN_REVOKED', `token has been revoked (${reason})`)
    this.reason = reason
  }
}

/**
 * The token was issued before its user's claims (roles, permissions…) changed
 * (`markClaimsChanged`). Its session and refresh token still work: refreshing yields a token
 * with the new claims.
 */
export class ClaimsChanged extends RevocableError {
  static override readonly code = 'ERR_CLAIMS_CHANGED'
  constructor(
    message = "the user's claims have changed since the token was issued; refresh the access token",
  ) {
    super('ERR_CLAIMS_CHANGED', message)
  }
}

/**
 * The user authenticated longer ago than the route allows (`maxAuthAge`), or the token does not
 * say when (`auth_time`). RFC 9470: the client must have the user authenticate again.
 */
export class InsufficientUserAuthentication extends RevocableError {
  static override readonly code = 'ERR_INSUFFICIENT_USER_AUTHENTICATION'
  /** The largest authentication age (seconds) the route accepts: RFC 9470's `max_age`. */
  readonly maxAge: number
  constructor(maxAge: number, message = 'a more recent authentication is required') {
    super('ERR_INSUFFICIENT_USER_AUTHENTICATION', message)
    this.maxAge = maxAge
  }
}

/** The user is suspended (`suspendUser`): no session, refresh or token until lifted. */
export class UserSuspended extends RevocableError {
  static override readonly code = 'ERR_USER_SUSPENDED'
  /** When the suspension ends by itself; undefined: until `reinstateUser`. */
  readonly until: Date | undefined
  constructor(until?: Date, message = 'account suspended') {
    super('ERR_USER_SUSPENDED', message)
    this.until = until
  }
}

/** A token was to be issued for a session that has been revoked. */
export class SessionRevoked extends RevocableError {
  static override readonly code = 'ERR_SESSION_REVOKED'
  constructor(message = 'session has been revoked') {
    super('ERR_SESSION_REVOKED', message)
  }
}

/** A token was to be issued for a session the store does not hold (allowlist mode). */
export class SessionNotFound extends RevocableError {
  static override readonly code = 'ERR_SESSION_NOT_FOUND'
  constructor(message = 'session not found or no longer active') {
    super('ERR_SESSION_NOT_FOUND', message)
  }
}

/** The session is past its idle timeout or absolute lifetime. */
export class SessionExpired extends RevocableError {
  static override readonly code = 'ERR_SESSION_EXPIRED'
  constructor(message = 'session has expired') {
    super('ERR_SESSION_EXPIRED', message)
  }
}

/** The user has `maxSessionsPerUser` active sessions and the cap is set to refuse new ones. */
export class SessionLimitReached extends RevocableError {
  static override readonly code = 'ERR_SESSION_LIMIT'
  constructor(message = 'too many active sessions') {
    super('ERR_SESSION_LIMIT', message)
  }
}

/** Not a refresh token this service issued, or one of a session that has ended. */
export class RefreshTokenInvalid extends RevocableError {
  static override readonly code = 'ERR_REFRESH_TOKEN_INVALID'
  constructor(message = 'refresh token is invalid') {
    super('ERR_REFRESH_TOKEN_INVALID', message)
  }
}

/** A spent refresh token was presented again: the whole session has been revoked. */
export class RefreshTokenReused extends RevocableError {
  static override readonly code = 'ERR_REFRESH_TOKEN_REUSED'
  constructor(message = 'refresh token was already used; the session has been revoked') {
    super('ERR_REFRESH_TOKEN_REUSED', message)
  }
}

/** A refresh token was presented by a client other than the one its session belongs to. */
export class ClientMismatch extends RevocableError {
  static override readonly code = 'ERR_CLIENT_MISMATCH'
  constructor(message = 'refresh token was issued to another client') {
    super('ERR_CLIENT_MISMATCH', message)
  }
}

/** The key ring holds no private key to sign with (a verify-only configuration). */
export class NoSigningKey extends RevocableError {
  static override readonly code = 'ERR_NO_SIGNING_KEY'
  constructor(message = 'the key ring has no key to sign with') {
    super('ERR_NO_SIGNING_KEY', message)
  }
}

/**
 * A stored key does not open: sealed under another key-encryption key, altered, or encrypted with
 * no KEK configured. Start-up stops; the ring never replaces such a key with a new one.
 */
export class KeyDecryptionFailed extends RevocableError {
  static override readonly code = 'ERR_KEY_DECRYPTION_FAILED'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_KEY_DECRYPTION_FAILED', message, options)
  }
}

/** The store could not be reached or failed; `cause` holds the underlying error. */
export class StoreUnavailable extends RevocableError {
  static override readonly code = 'ERR_STORE_UNAVAILABLE'
  constructor(message: string, options?: { cause?: unknown }) {
    super('ERR_STORE_UNAVAILABLE', message, options)
  }
}
