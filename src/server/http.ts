/**
 * How the service answers when something goes wrong: OAuth-shaped JSON `{error,
 * error_description}` everywhere, statuses from `ERROR_TABLE` (through the adapters' shared
 * mapping), 4xx for every kind of bad input, and a 500 that says nothing about internals.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify'
import {
  bearerErrorResponse,
  safeDescription,
  sendable,
  STORE_RETRY_AFTER_SECONDS,
  type HttpErrorResponse,
} from '../adapters/http-error.js'
import { RevocableError } from '../errors.js'
import { HttpError } from '../service/errors.js'

export { HttpError }

/**
 * Sends an OAuth error body. The description passes the adapters' one gate (`safeDescription`):
 * only the characters RFC 6750 §3 allows, whatever message it came from.
 */
export function sendError(
  reply: FastifyReply,
  status: number,
  error: string,
  description: string,
  headers: Record<string, string> = {},
): FastifyReply {
  return reply
    .code(status)
    .headers({ 'cache-control': 'no-store', ...headers })
    .send({ error, error_description: safeDescription(description) })
}

/** Sends a framework-neutral answer built by src/adapters/http-error.ts. */
export function sendHttpError(reply: FastifyReply, given: HttpErrorResponse): FastifyReply {
  const response = sendable(given)
  return sendError(reply, response.status, response.body.error, response.body.error_description, {
    ...response.headers,
  })
}

/** The store is down: 503 with Retry-After, never a guess. */
export function sendUnavailable(reply: FastifyReply): FastifyReply {
  return sendError(reply, 503, 'temporarily_unavailable', 'the token store is unavailable', {
    'retry-after': String(STORE_RETRY_AFTER_SECONDS),
  })
}

/** True for the library's "store unavailable" (to be answered 503, never as a bad token). */
export function isStoreUnavailable(error: unknown): boolean {
  return error instanceof RevocableError && error.code === 'ERR_STORE_UNAVAILABLE'
}

/**
 * Maps a library error at the token endpoint (RFC 6749 §5.2): `ERROR_TABLE` gives status and
 * error; 5xx never carries the underlying message.
 */
export function sendGrantError(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof RevocableError) {
    const { status, oauthError } = error.http
    if (status === 503) return sendUnavailable(reply)
    if (status < 500) return sendError(reply, status, oauthError, error.message)
  }
  throw error
}

const MESSAGES: Record<number, [string, string]> = {
  413: ['invalid_request', 'request body is too large'],
  414: ['invalid_request', 'a path segment is too long'],
  415: ['invalid_request', 'unsupported content type'],
  429: ['too_many_requests', 'too many requests; try again later'],
}

/** Fastify's error handler for the whole service. */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (error instanceof HttpError) {
    return sendError(reply, error.statusCode, error.oauthError, error.message, error.headers)
  }
  if (error instanceof RevocableError) {
    if (error.http.status === 503) return sendUnavailable(reply)
    if (error.http.status < 500) return sendHttpError(reply, bearerErrorResponse(error))
  }
  const status = error.statusCode
  if (error.validation !== undefined) {
    return sendError(reply, 400, 'invalid_request', error.message)
  }
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const [code, description] = MESSAGES[status] ?? ['invalid_request', 'malformed request']
    return sendError(reply, status, code, description)
  }
  request.log.error({ err: error }, 'request failed')
  return sendError(reply, 500, 'server_error', 'internal error')
}
