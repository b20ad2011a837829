import {
  HttpException,
  Inject,
  Injectable,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common'
import { Reflector } from '@nestjs/core'
import {
  authenticateRequest,
  resolveAuthenticateOptions,
  scopeFailure,
  type AuthenticateOptions,
  type ResolvedAuthenticateOptions,
} from '../authenticate.js'
import { sendable, type HttpErrorResponse } from '../http-error.js'
import type { AccessTokenClaims } from '../../tokens/claims.js'
import {
  AUTH_OPTIONS_KEY,
  MAX_AUTH_AGE_KEY,
  PUBLIC_KEY,
  REVOCABLE_HOLDER,
  REVOCABLE_NEST_OPTIONS,
  SCOPE_KEY,
  type RevocableHolder,
  type RevocableNestOptions,
} from './tokens.js'

type Targets = Parameters<Reflector['getAllAndOverride']>[1]

interface HttpRequest {
  headers: Record<string, string | string[] | undefined>
  auth?: AccessTokenClaims
}

interface HttpResponse {
  // Express's response and Fastify's reply both have it.
  header(name: string, value: string): unknown
}

/**
 * Verifies the request's access token and puts its claims on `request.auth` (read them with
 * `@Auth()`); honours `@Public()`, `@AuthOptions()` and `@RequireScope()`. Failures become an
 * `HttpException` with the RFC 6750 status and body, with `WWW-Authenticate` / `Retry-After` set
 * on the response. HTTP only: any other context is refused.
 *
 * @example
 * @UseGuards(AuthGuard) @Controller('orders') export class OrdersController {}
 */
@Injectable()
export class AuthGuard implements CanActivate {
  readonly #holder: RevocableHolder
  readonly #reflector: Reflector
  readonly #defaults: AuthenticateOptions
  readonly #resolved = new WeakMap<object, ResolvedAuthenticateOptions>()

  constructor(
    @Inject(REVOCABLE_HOLDER) holder: RevocableHolder,
    @Inject(REVOCABLE_NEST_OPTIONS) options: RevocableNestOptions,
    @Inject(Reflector) reflector: Reflector,
  ) {
    this.#holder = holder
    this.#reflector = reflector
    const { optional, cookie, realm, maxAuthAge } = options
    this.#defaults = { optional, cookie, realm, maxAuthAge }
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return false
    const targets: Targets = [context.getHandler(), context.getClass()]
    if (this.#reflector.getAllAndOverride<boolean | undefined>(PUBLIC_KEY, targets) === true) {
      return true
    }
    const options = this.#optionsFor(context.getHandler(), targets)
    const http = context.switchToHttp()
    const request = http.getRequest<HttpRequest>()
    const outcome = await authenticateRequest(
      this.#holder.auth,
      { authorization: request.headers.authorization, cookie: request.headers.cookie },
      options,
    )
    if (outcome.kind === 'rejected') fail(http.getResponse<HttpResponse>(), outcome.response)
    if (outcome.kind === 'authenticated') request.auth = outcome.claims
    const scope = this.#reflector.getAllAndOverride<readonly string[] | undefined>(
      SCOPE_KEY,
      targets,
    )
    if (scope !== undefined) {
      const failure = scopeFailure(request.auth, scope, options.realm)
      if (failure !== undefined) fail(http.getResponse<HttpResponse>(), failure)
    }
    return true
  }

  /** The module's options merged with the route's `@AuthOptions`, checked once per handler. */
  #optionsFor(handler: object, targets: Targets): ResolvedAuthenticateOptions {
    let resolved = this.#resolved.get(handler)
    if (resolved === undefined) {
      const route = this.#reflector.getAllAndOverride<AuthenticateOptions | undefined>(
        AUTH_OPTIONS_KEY,
        targets,
      )
      const maxAuthAge = this.#reflector.getAllAndOverride<number | undefined>(
        MAX_AUTH_AGE_KEY,
        targets,
      )
      resolved = resolveAuthenticateOptions(this.#holder.auth, {
        ...this.#defaults,
        ...route,
        ...(maxAuthAge !== undefined && { maxAuthAge }),
      })
      this.#resolved.set(handler, resolved)
    }
    return resolved
  }
}

function fail(response: HttpResponse, given: HttpErrorResponse): never {
  // A header value the platform refuses would throw here and become Nest's 500.
  const answer = sendable(given)
  for (const [name, value] of Object.entries(answer.headers)) response.header(name, value)
  throw new HttpException(answer.body, answer.status)
}
