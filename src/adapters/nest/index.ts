/**
 * NestJS integration (`revocable/nest`): `RevocableModule.forRoot/forRootAsync`, the injectable
 * `RevocableService`, `AuthGuard` (per controller or global) and the `@Auth()`, `@Public()`,
 * `@AuthOptions()`, `@RequireScope()` and `@MaxAuthAge()` decorators. Needs `reflect-metadata` loaded once, as Nest
 * itself does.
 *
 * @example
 * @Module({ imports: [RevocableModule.forRoot(auth, { globalGuard: true })], controllers: [Me] })
 * class AppModule {}
 *
 * @Controller('me')
 * class Me {
 *   @Get() me(@Auth('sub') sub: string) { return { sub } }
 * }
 */
export { Auth, AuthOptions, MaxAuthAge, Public, RequireScope } from './decorators.js'
export { AuthGuard } from './guard.js'
export { RevocableModule, type RevocableModuleAsyncOptions } from './module.js'
export { RevocableService } from './service.js'
export { REVOCABLE, REVOCABLE_NEST_OPTIONS, type RevocableNestOptions } from './tokens.js'
export type { AuthenticateOptions } from '../authenticate.js'
