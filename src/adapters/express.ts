/**
 * Express middleware (Express 4 and 5): `authenticate(auth)` verifies the access token and puts
 * its claims on `req.auth`; `requireScope('x')` guards a route by scope. Failures answer as
 * RFC 6750 says, through the same mapping the server uses.
 *
 * @example
 * import express from 'express'
 * import { authenticate, requireScope } from 'revocable/express'
 *
 * const app = express()
 * app.get('/me', authenticate(auth), (req, res) => res.json({ sub: req.auth?.sub }))
 * app.delete('/admin', authenticate(auth), requireScope('admin'), handler)
 */
import type { NextFunction, Request, RequestHandler, Response } from 'express'
import type { Revocable } from '../revocable.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import {
  authenticateRequest,
  checkRealm,
  checkRequiredScope,
  noteRealm,
  realmFor,
  resolveAuthenticateOptions,
  scopeFailure,
  type AuthenticateOptions,
} from './authenticate.js'
import { fallbackResponse, sendable, type HttpErrorResponse } from './http-error.js'

declare global {
  // Express's own way to extend its Request type (both v4 and v5 typings read it).
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** The verified access-token claims; undefined for an anonymous request (`optional`). */
      auth?: AccessTokenClaims
    }
  }
}

export type { AuthenticateOptions } from './authenticate.js'

function write(res: Response, answer: HttpErrorResponse): void {
  res.status(answer.status).set(answer.headers).json(answer.body)
}

/**
 * Writes an answer; if writing throws (a header Node refuses, a response already ended), tries
 * the fixed fallback, and hands what still fails to Express's error handling. Never throws: a
 * throw here would be an unhandled rejection, which ends the host process.
 */
function send(res: Response, answer: HttpErrorResponse, next: NextFunction): void {
  try {
    write(res, sendable(answer))
  } catch (error) {
    if (res.headersSent) return next(error)
    try {
      write(res, fallbackResponse(answer.status))
    } catch (again) {
      next(again)
    }
  }
}

/**
 * Middleware that verifies the request's access token (the `Authorization: Bearer` header, or
 * the `cookie` when configured) and sets `req.auth` to its claims. No token: 401 with a bare
 * `WWW-Authenticate: Bearer` (or, with `optional`, on to the next handler without claims). A bad,
 * expired or revoked token: 401 `invalid_token`. The store down: 503 with `Retry-After`. Other
 * errors go to Express's error handling through `next(error)`.
 With `refresh`, an expired or missing
 * access cookie is renewed from the refresh cookie and both cookies are set anew
 * (docs/adapters.md).
 *
 * @example
 * app.use('/api', authenticate(auth, { realm: 'api' }))
 */
export function authenticate(auth: Revocable, options?: AuthenticateOptions): RequestHandler {
  const resolved = resolveAuthenticateOptions(auth, options)
  return function revocableAuthenticate(req: Request, res: Response, next: NextFunction): void {
    // Express 4 ignores a returned promise, so the chain is finished here, never left dangling:
    // whatever throws, in the verify or after it, ends in `next(error)`, never in an unhandled
    // rejection (which would end the process).
    authenticateRequest(
      auth,
      { authorization: req.headers.authorization, cookie: req.headers.cookie },
      resolved,
    )
      .then((outcome) => {
        noteRealm(req, resolved.realm)
        if (outcome.kind !== 'anonymous' && outcome.cookies !== undefined) {
          res.append('Set-Cookie', [...outcome.cookies])
        }
        if (outcome.kind === 'rejected') return send(res, outcome.response, next)
        if (outcome.kind === 'authenticated') req.auth = outcome.claims
        next()
      })
      .catch((error: unknown) => {
        try {
          next(error)
        } catch {
          // next itself threw: nothing more can be done for this request, but the host lives.
        }
      })
  }
}

/**
 * Middleware that lets a request through only when `req.auth` carries every scope in `scope`
 * (space-separated): 403 `insufficient_scope` otherwise, 401 when there are no claims at all.
 * Put it after `authenticate`; it answers in the same realm unless given its own.
 *
 * @example
 * app.post('/orders', authenticate(auth), requireScope('orders:write'), createOrder)
 */
export function requireScope(scope: string, options: { realm?: string } = {}): RequestHandler {
  const required = checkRequiredScope(scope)
  const realm = checkRealm(options.realm)
  return function revocableRequireScope(req: Request, res: Response, next: NextFunction): void {
    const failure = scopeFailure(req.auth, required, realmFor(req, realm))
    if (failure === undefined) next()
    else send(res, failure, next)
  }
}
