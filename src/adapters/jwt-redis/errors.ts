/**
 * The errors revocable/jwt-redis throws: the names jwt-redis exports (its own two, and the three
 * it re-exports from jsonwebtoken), and the mapping from revocable's errors onto them.
 */
import { createRequire } from 'node:module'
import {
  AlgorithmNotAllowed,
  ClaimInvalid,
  RevocableError,
  StoreUnavailable,
  TokenExpired,
  TokenMalformed,
  TokenNotYetValid,
  TokenTooLarge,
  TokenUnsupported,
} from '../../errors.js'

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
export function own(target: object, key: string, value: unknown): void {
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
export function withCause<T extends Error>(error: T, cause: unknown): T {
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

/**
 * An error jsonwebtoken's `sign` throws, with its message word for word. A plain `Error`, as
 * jsonwebtoken's are (not the TypeError of revocable's own API), so that a jwt-redis app's
 * error handling sees what it saw before.
 */
export const signError = (message: string) => new Error(message)

/** An error that says the store (or the code) failed, not that a token was bad. */
export function isStoreFailure(error: unknown): boolean {
  return !(error instanceof RevocableError) || error instanceof StoreUnavailable
}
/**
 * Turns a revocable error that says nothing about time into the error jsonwebtoken (or
 * jwt-redis) throws in that case. Time (`exp`, `nbf`) and destruction are decided in `verify`.
 */
export function toJwtError(error: unknown): unknown {
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
