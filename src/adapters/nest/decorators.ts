import { SetMetadata, createParamDecorator, type ExecutionContext } from '@nestjs/common'
import type { AccessTokenClaims } from '../../tokens/claims.js'
import type { AuthenticateOptions } from '../authenticate.js'
import { checkRequiredScope } from '../authenticate.js'
import { AUTH_OPTIONS_KEY, MAX_AUTH_AGE_KEY, PUBLIC_KEY, SCOPE_KEY } from './tokens.js'

/**
 * Marks a route (or a whole controller) as needing no token: `AuthGuard` lets it through
 * untouched.
 *
 * @example
 * @Public() @Get('health') health() { return 'ok' }
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_KEY, true)

/**
 * Overrides the module's options for a route or controller, e.g. `@AuthOptions({ optional: true })`
 * for a route anonymous callers may use too.
 */
export const AuthOptions = (options: AuthenticateOptions): MethodDecorator & ClassDecorator =>
  SetMetadata(AUTH_OPTIONS_KEY, options)

/**
 * Requires every scope in `scope` (space-separated) on the token: 403 `insufficient_scope`
 * otherwise. Checked by `AuthGuard`.
 *
 * @example
 * @RequireScope('admin') @Delete(':id') remove() {}
 */
export const RequireScope = (scope: string): MethodDecorator & ClassDecorator =>
  SetMetadata(SCOPE_KEY, checkRequiredScope(scope))

/**
 * Requires the user to have authenticated at most `seconds` ago (`auth_time`): an older
 * authentication answers RFC 9470's step-up challenge (401, `WWW-Authenticate: Bearer
 * error="insufficient_user_authentication", …, max_age="N"`). Checked by `AuthGuard`; the same as
 * `@AuthOptions({ maxAuthAge })`, and it wins over it.
 *
 * @example
 * @MaxAuthAge(300) @Post('payout') payout() {}
 */
export const MaxAuthAge = (seconds: number): MethodDecorator & ClassDecorator => {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) {
    throw new TypeError('"maxAuthAge" must be a non-negative number of seconds')
  }
  return SetMetadata(MAX_AUTH_AGE_KEY, seconds)
}

/**
 * The verified claims of the request (undefined when anonymous), or one claim of them.
 *
 * @example
 * @Get('me') me(@Auth() claims: AccessTokenClaims, @Auth('sub') sub: string) {}
 */
export const Auth = createParamDecorator(
  (claim: keyof AccessTokenClaims | undefined, context: ExecutionContext): unknown => {
    const claims = context.switchToHttp().getRequest<{ auth?: AccessTokenClaims }>().auth
    return claim === undefined ? claims : claims?.[claim]
  },
)
