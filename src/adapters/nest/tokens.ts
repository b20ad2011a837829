import type { Revocable } from '../../revocable.js'
import type { AuthenticateOptions } from '../authenticate.js'

/** Injection token of the `Revocable` instance itself: `@Inject(REVOCABLE) auth: Revocable`. */
export const REVOCABLE = Symbol.for('revocable:instance')

/** Injection token of the module's adapter options (`RevocableNestOptions`). */
export const REVOCABLE_NEST_OPTIONS = Symbol.for('revocable:nest-options')

/** @internal the instance and whether the module made it (and so must close it). */
export const REVOCABLE_HOLDER = Symbol.for('revocable:holder')

/** @internal */
export interface RevocableHolder {
  readonly auth: Revocable
  readonly owned: boolean
}

/** Metadata keys the guard reads. */
export const PUBLIC_KEY = 'revocable:public'
export const AUTH_OPTIONS_KEY = 'revocable:auth-options'
export const SCOPE_KEY = 'revocable:scope'
export const MAX_AUTH_AGE_KEY = 'revocable:max-auth-age'

/** How the guard reads tokens and answers, for the whole app (routes may override). */
export interface RevocableNestOptions extends AuthenticateOptions {
  /** Register `AuthGuard` as a global guard (APP_GUARD), so every route needs a token unless `@Public()`. Default false. */
  globalGuard?: boolean
}
