/**
 * What every route needs, built once per app, and the bearer-token guard the protected routes
 * share. The guard is the adapters' decision path, so the service and the framework adapters
 * reject a token identically.
 */
import type { FastifyReply, FastifyRequest } from 'fastify'
import {
  authenticateRequest,
  resolveAuthenticateOptions,
  type AuthOutcome,
} from '../adapters/authenticate.js'
import { RevocableError } from '../errors.js'
import type { Revocable } from '../revocable.js'
import type { AccessTokenClaims } from '../tokens/claims.js'
import type { ServerConfig } from '../service/config.js'
import type { GuessGuard } from './guessing/guard.js'
import { sendHttpError } from './http.js'
import type { ServiceMetrics } from './metrics.js'
import type { PasswordHasher } from '../service/users/password.js'
import type { UserDirectory } from '../service/users/directory.js'
import type { WebhookSender } from '../service/webhooks/sender.js'

export interface ServiceContext {
  readonly config: ServerConfig
  readonly auth: Revocable
  readonly users: UserDirectory
  readonly hasher: PasswordHasher
  readonly metrics: ServiceMetrics
  /** Failed-attempt counting: login lockouts and credential throttles. */
  readonly guard: GuessGuard
  /** Signed notices (WEBHOOK_URL); undefined when off. */
  readonly webhooks?: WebhookSender | undefined
}

/** Verifies an access token and counts the outcome. */
export async function verifyCounted(
  context: ServiceContext,
  token: string,
  options?: Parameters<Revocable['verify']>[1],
): Promise<AccessTokenClaims> {
  try {
    const claims = await context.auth.verify(token, options)
    context.metrics.verifications.inc({ outcome: 'ok' })
    return claims
  } catch (error) {
    const outcome = error instanceof RevocableError ? error.code : 'error'
    context.metrics.verifications.inc({ outcome })
    throw error
  }
}

const claimsByRequest = new WeakMap<FastifyRequest, AccessTokenClaims>()

/** The claims the guard verified for this request. */
export function claimsOf(request: FastifyRequest): AccessTokenClaims {
  const claims = claimsByRequest.get(request)
  if (claims === undefined) throw new Error('route is missing the bearer guard')
  return claims
}

/**
 * Checks the request's bearer token the adapters' way (`authenticateRequest`), with a verify
 * that counts outcomes, and remembers the claims of a good one for `claimsOf`.
 */
export function bearerChecker(context: ServiceContext) {
  const verifier = { verify: (token: string) => verifyCounted(context, token) }
  const options = resolveAuthenticateOptions(verifier, {})
  return async (request: FastifyRequest): Promise<AuthOutcome> => {
    const outcome = await authenticateRequest(
      verifier,
      { authorization: request.headers.authorization, cookie: undefined },
      options,
    )
    if (outcome.kind === 'authenticated') claimsByRequest.set(request, outcome.claims)
    return outcome
  }
}

/** A preHandler that requires a valid access token (RFC 6750) and remembers its claims. */
export function requireBearer(context: ServiceContext) {
  const check = bearerChecker(context)
  return async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const outcome = await check(request)
    if (outcome.kind === 'rejected') await sendHttpError(reply, outcome.response)
  }
}
