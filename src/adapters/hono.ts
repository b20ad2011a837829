/**
 * Hono middleware: `authenticate(auth)` verifies the access token and sets `c.get('auth')` to its
 * claims; `requireScope('x')` guards by scope. Runs wherever Hono runs on Node.
 *
 * @example
 * import { Hono } from 'hono'
 * import { authenticate, type RevocableEnv } from 'revocable/hono'
 *
 * const app = new Hono<RevocableEnv>()
 * app.use('/api/*', authenticate(auth))
 * app.get('/api/me', (c) => c.json({ sub: c.get('auth')?.sub }))
 */
import type { Context, MiddlewareHandler } from 'hono'
import type { ContentfulStatusCode } from 'hono/utils/http-status'
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
import { sendable, type HttpErrorResponse } from './http-error.js'

export type { AuthenticateOptions } from './authenticate.js'

/** The context variables the middleware sets. */
export interface RevocableVariables {
  /** The verified access-token claims; undefined for an anonymous request (`optional`). */
  auth: AccessTokenClaims | undefined
}

/** The Hono `Env` to type an app or a route with: `new Hono<RevocableEnv>()`. */
export interface RevocableEnv {
  Variables: RevocableVariables
}

function send(c: Context, answer: HttpErrorResponse): Response {
  // `Headers` throws on a value outside Latin-1, which Hono would answer with a 500.
  const { status, headers, body } = sendable(answer)
  return c.json(body, status as ContentfulStatusCode, headers)
}

/**
 * Middleware that verifies the request's access token (the `Authorization: Bearer` header, or
 * the `cookie` when configured) and sets the `auth` variable to its claims. The same answers as
 * every adapter: 401 (no token, or a bad, expired or revoked one), 503 with `Retry-After` when
 * the store is down; other errors are thrown to `app.onError`.
 With `refresh`, an expired or missing
 * access cookie is renewed from the refresh cookie and both cookies are set anew
 * (docs/adapters.md).
 *
 * @example
 * app.get('/me', authenticate(auth), (c) => c.json(c.get('auth')))
 */
export function authenticate(
  auth: Revocable,
  options?: AuthenticateOptions,
): MiddlewareHandler<RevocableEnv> {
  const resolved = resolveAuthenticateOptions(auth, options)
  return async function revocableAuthenticate(c, next) {
    const outcome = await authenticateRequest(
      auth,
      { authorization: c.req.header('authorization'), cookie: c.req.header('cookie') },
      resolved,
    )
    noteRealm(c, resolved.realm)
    if (outcome.kind !== 'anonymous') {
      for (const cookie of outcome.cookies ?? []) c.header('Set-Cookie', cookie, { append: true })
    }
    if (outcome.kind === 'rejected') return send(c, outcome.response)
    c.set('auth', outcome.kind === 'authenticated' ? outcome.claims : undefined)
    await next()
    return undefined
  }
}

/**
 * Middleware that lets a request through only when `c.get('auth')` carries every scope in
 * `scope` (space-separated): 403 `insufficient_scope` otherwise, 401 when there are no claims.
 *
 * @example
 * app.post('/orders', authenticate(auth), requireScope('orders:write'), createOrder)
 */
export function requireScope(
  scope: string,
  options: { realm?: string } = {},
): MiddlewareHandler<RevocableEnv> {
  const required = checkRequiredScope(scope)
  const realm = checkRealm(options.realm)
  return async function revocableRequireScope(c, next) {
    const failure = scopeFailure(c.get('auth'), required, realmFor(c, realm))
    if (failure !== undefined) return send(c, failure)
    await next()
    return undefined
  }
}
