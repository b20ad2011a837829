/**
 * What an HTTP caller sees when a request fails: one mapping, shared by every adapter and the
 * server, read from `ERROR_TABLE`. Adapters only copy `status`, `headers` and `body` onto their
 * framework's response.
 */
import { RevocableError, type OAuthErrorCode } from '../errors.js'

/** A framework-neutral HTTP answer. */
export interface HttpErrorResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: { readonly error: OAuthErrorCode; readonly error_description: string }
}

/** Seconds a client should wait before retrying when the revocation store is down. */
export const STORE_RETRY_AFTER_SECONDS = 1

/** Builds an RFC 6750 §3 challenge; quotes and backslashes never reach the header unescaped. */
export function bearerChallenge(fields: Readonly<Record<string, string>>, realm?: string): string {
  const params = Object.entries(realm === undefined ? fields : { realm, ...fields }).map(
    ([name, value]) => `${name}="${value.replace(/["\\]/g, '')}"`,
  )
  return params.length === 0 ? 'Bearer' : `Bearer ${params.join(', ')}`
}

/**
 * Maps a failure of a protected-resource request (RFC 6750) to an HTTP answer.
 * A `RevocableError` maps through `ERROR_TABLE`; anything else is a 500 with no details, since
 * internals must not leak. 5xx descriptions never carry the underlying message either.
 */
export function bearerErrorResponse(error: unknown, realm?: string): HttpErrorResponse {
  if (!(error instanceof RevocableError)) {
    return {
      status: 500,
      headers: {},
      body: { error: 'server_error', error_description: 'internal error' },
    }
  }
  const { status, oauthError } = error.http
  if (status === 503) {
    return {
      status,
      headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
      body: { error: oauthError, error_description: 'token state is temporarily unavailable' },
    }
  }
  if (status >= 500) {
    return {
      status,
      headers: {},
      body: { error: oauthError, error_description: 'internal error' },
    }
  }
  // Every token problem at a resource server is invalid_token / 401 (RFC 6750 §3.1), whatever
  // the OAuth error of the same code at the token endpoint would be.
  const description = error.message
  return {
    status: 401,
    headers: {
      'www-authenticate': bearerChallenge(
        { error: 'invalid_token', error_description: description },
        realm,
      ),
    },
    body: { error: 'invalid_token', error_description: description },
  }
}

/** The answer for a request that carries no token at all (RFC 6750 §3.1: no error code). */
export function missingTokenResponse(realm?: string): HttpErrorResponse {
  return {
    status: 401,
    headers: { 'www-authenticate': bearerChallenge({}, realm) },
    body: { error: 'invalid_token', error_description: 'no access token' },
  }
}

/** The answer for a valid token that lacks a required scope (RFC 6750 §3.1). */
export function insufficientScopeResponse(scope: string, realm?: string): HttpErrorResponse {
  const description = `the token lacks the scope ${scope}`
  return {
    status: 403,
    headers: {
      'www-authenticate': bearerChallenge(
        { error: 'insufficient_scope', error_description: description, scope },
        realm,
      ),
    },
    body: { error: 'insufficient_scope', error_description: description },
  }
}
