/**
 * A Fastify plugin (wrapped with fastify-plugin, so its decorators reach the whole app):
 * `request.auth` holds the verified claims and `fastify.authenticate` is the hook that sets them,
 * to use as a route's `preHandler` (or an `onRequest` hook). `authenticate(auth, options)` makes
 * another such hook for routes with other options; `requireScope('x')` guards by scope.
 *
 * @example
 * import Fastify from 'fastify'
 * import revocable from 'revocable/fastify'
 *
 * const app = Fastify()
 * await app.register(revocable, { auth })
 * app.get('/me', { preHandler: app.authenticate }, async (request) => ({ sub: request.auth?.sub }))
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import type fastifyPlugin from 'fastify-plugin'
import { requirePeer } from '../peer.js'
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

export type { AuthenticateOptions } from './authenticate.js'
import { sendable, type HttpErrorResponse } from './http-error.js'

/** A hook that authenticates (or rejects) a request; usable as `preHandler` or `onRequest`. */
export type RevocableHook = (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access-token claims; undefined until `authenticate` ran, or when anonymous. */
    auth: AccessTokenClaims | undefined
  }
  interface FastifyInstance {
    /** Verifies the request's token and sets `request.auth`; answers 401/503 itself. */
    authenticate: RevocableHook
  }
}

export interface RevocableFastifyOptions extends AuthenticateOptions {
  /** The instance made by `createRevocable`. */
  auth: Revocable
}

function send(reply: FastifyReply, answer: HttpErrorResponse): FastifyReply {
  // Fastify writes headers after the hook returns, where a bad value would become its generic
  // error answer; `sendable` makes sure there is none.
  const { status, headers, body } = sendable(answer)
  return reply.code(status).headers(headers).send(body)
}

/**
 * A hook that verifies the request's token (the `Authorization: Bearer` header, or the `cookie`
 * when configured) and sets `request.auth`: for a route whose options differ from the plugin's
 * (say `optional`), without registering the plugin again. No token: 401 with a bare
 * `WWW-Authenticate: Bearer` (with `optional`, on without claims); a bad, expired or revoked
 * token: 401 `invalid_token`; the store down: 503 with `Retry-After`. Other errors are thrown to
 * Fastify's error handler.
 With `refresh`, an expired or missing
 * access cookie is renewed from the refresh cookie and both cookies are set anew
 * (docs/adapters.md).
 *
 * @example
 * app.get('/feed', { preHandler: authenticate(auth, { optional: true }) }, handler)
 */
export function authenticate(auth: Revocable, options?: AuthenticateOptions): RevocableHook {
  const resolved = resolveAuthenticateOptions(auth, options)
  return async function revocableAuthenticate(request, reply) {
    const outcome = await authenticateRequest(
      auth,
      { authorization: request.headers.authorization, cookie: request.headers.cookie },
      resolved,
    )
    noteRealm(request, resolved.realm)
    // Fastify adds each `set-cookie` value as its own header.
    if (outcome.kind !== 'anonymous') {
      for (const cookie of outcome.cookies ?? []) void reply.header('set-cookie', cookie)
    }
    // An async hook that has answered returns the reply, so Fastify stops the chain there.
    if (outcome.kind === 'rejected') return send(reply, outcome.response)
    if (outcome.kind === 'authenticated') request.auth = outcome.claims
    return undefined
  }
}

const plugin: FastifyPluginAsync<RevocableFastifyOptions> = async (fastify, options) => {
  const { auth, ...rest } = options
  const hook = authenticate(auth, rest)
  // Declared up front so every request object has the same shape (Fastify's advice).
  fastify.decorateRequest('auth', undefined)
  fastify.decorate('authenticate', hook)
}

/**
 * The plugin. Register it with `{ auth, optional?, cookie?, realm? }`; it refuses a missing or
 * wrong `auth` with a TypeError at registration.
 */
const fp = requirePeer<typeof fastifyPlugin>('fastify-plugin', 'revocable/fastify')
export const revocable = fp(plugin, { fastify: '5.x', name: 'revocable' })
export default revocable

/**
 * A `preHandler` that lets a request through only when `request.auth` carries every scope in
 * `scope` (space-separated): 403 `insufficient_scope` otherwise, 401 when there are no claims.
 * List it after `fastify.authenticate`.
 *
 * @example
 * app.post('/orders', { preHandler: [app.authenticate, requireScope('orders:write')] }, handler)
 */
export function requireScope(scope: string, options: { realm?: string } = {}): RevocableHook {
  const required = checkRequiredScope(scope)
  const realm = checkRealm(options.realm)
  return async function revocableRequireScope(request, reply) {
    const failure = scopeFailure(request.auth, required, realmFor(request, realm))
    return failure === undefined ? undefined : send(reply, failure)
  }
}
