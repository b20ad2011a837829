/**
 * What an HTTP caller sees when a request fails: one mapping, shared by every adapter and the
 * server, read from `ERROR_TABLE`. Adapters only copy `status`, `headers` and `body` onto their
 * framework's response.
 */
import { InsufficientUserAuthentication, RevocableError, type OAuthErrorCode } from '../errors.js'

/** A framework-neutral HTTP answer. */
export interface HttpErrorResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: { readonly error: OAuthErrorCode; readonly error_description: string }
}

/** Seconds a client should wait before retrying when the revocation store is down. */
export const STORE_RETRY_AFTER_SECONDS = 1

/** The longest `error_description` we send; a message is cut there. */
export const MAX_DESCRIPTION_LENGTH = 200

// Everything outside `error_description = *( %x20-21 / %x23-5B / %x5D-7E )` (RFC 6750 §3):
// controls, DEL, `"`, `\` and every character above ASCII, lone surrogates included.
const OUTSIDE_RFC6750 = /[^\x20\x21\x23-\x5B\x5D-\x7E]/g

/**
 * The one gate every `error_description` and challenge parameter passes, in every adapter and
 * the service: `"` becomes `'`, any other character RFC 6750 §3 does not allow becomes `?`, and
 * the text is cut at 200 characters. Whatever a message holds, the result is a legal header value
 * (Node never throws ERR_INVALID_CHAR on it), a legal quoted-string, and plain ASCII in JSON.
 *
 * @example
 * safeDescription('"alg" header must be a string') // "'alg' header must be a string"
 * safeDescription('bad \u0100\n') // 'bad ??'
 */
export function safeDescription(text: string): string {
  const safe = text.replace(/"/g, "'").replace(OUTSIDE_RFC6750, '?')
  return safe.length > MAX_DESCRIPTION_LENGTH ? safe.slice(0, MAX_DESCRIPTION_LENGTH) : safe
}

/**
 * Builds an RFC 6750 §3 challenge. Every value passes `safeDescription`, so no parameter can
 * break out of its quotes or carry a character a header may not hold.
 *
 * @example
 * bearerChallenge({ error: 'invalid_token' }, 'api') // 'Bearer realm="api", error="invalid_token"'
 */
export function bearerChallenge(fields: Readonly<Record<string, string>>, realm?: string): string {
  const params = Object.entries(realm === undefined ? fields : { realm, ...fields }).map(
    ([name, value]) => `${name}="${safeDescription(value)}"`,
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
  if (error instanceof InsufficientUserAuthentication) return stepUpResponse(error, realm)
  // Every token problem at a resource server is invalid_token / 401 (RFC 6750 §3.1), whatever
  // the OAuth error of the same code at the token endpoint would be.
  const description = safeDescription(error.message)
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

/**
 * RFC 9470 §3: the token is good but its authentication is older than the route allows. The
 * challenge carries `max_age` (seconds) so the client asks the user to authenticate again.
 *
 * @example
 * stepUpResponse(new InsufficientUserAuthentication(300)).headers['www-authenticate']
 * // 'Bearer error="insufficient_user_authentication", error_description="…", max_age="300"'
 */
export function stepUpResponse(
  error: InsufficientUserAuthentication,
  realm?: string,
): HttpErrorResponse {
  const description = safeDescription(error.message)
  return {
    status: 401,
    headers: {
      'www-authenticate': bearerChallenge(
        {
          error: 'insufficient_user_authentication',
          error_description: description,
          max_age: String(error.maxAge),
        },
        realm,
      ),
    },
    body: { error: 'insufficient_user_authentication', error_description: description },
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

// What Node, undici and every framework accept in a header value without throwing: we only ever
// write printable ASCII, so anything else means a value escaped the gates above.
const SENDABLE_HEADER_VALUE = /^[\x20-\x7E]*$/

const FALLBACK_DESCRIPTION = 'invalid token'

/**
 * The answer as it can be written: itself when every header value and the description are
 * within what RFC 6750 §3 allows, else a fixed answer of the same kind (a 401 `invalid_token`,
 * or the 503 with `Retry-After`). Adapters send this, never a raw answer, so no text can make a
 * framework throw while the response is written.
 *
 * @example
 * res.status(sendable(answer).status)
 */
export function sendable(answer: HttpErrorResponse): HttpErrorResponse {
  const safe =
    Object.values(answer.headers).every((value) => SENDABLE_HEADER_VALUE.test(value)) &&
    safeDescription(answer.body.error_description) === answer.body.error_description
  return safe ? answer : fallbackResponse(answer.status)
}

/**
 * A fixed answer that is always writable: the 503 for a store outage (`status` 503), else a
 * 401 `invalid_token`. For an adapter whose first attempt to write an answer failed.
 *
 * @example
 * fallbackResponse(401).headers['www-authenticate'] // 'Bearer error="invalid_token", …'
 */
export function fallbackResponse(status: number): HttpErrorResponse {
  if (status === 503) {
    return {
      status: 503,
      headers: { 'retry-after': String(STORE_RETRY_AFTER_SECONDS) },
      body: {
        error: 'temporarily_unavailable',
        error_description: 'token state is temporarily unavailable',
      },
    }
  }
  return {
    status: 401,
    headers: {
      'www-authenticate': `Bearer error="invalid_token", error_description="${FALLBACK_DESCRIPTION}"`,
    },
    body: { error: 'invalid_token', error_description: FALLBACK_DESCRIPTION },
  }
}
