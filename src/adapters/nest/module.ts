import {
  Global,
  Module,
  type DynamicModule,
  type FactoryProvider,
  type ModuleMetadata,
  type Provider,
} from '@nestjs/common'
import { APP_GUARD } from '@nestjs/core'
import type { RevocableOptions } from '../../options.js'
import { createRevocable } from '../../create-revocable.js'
import type { Revocable } from '../../revocable.js'
import { resolveAuthenticateOptions } from '../authenticate.js'
import { AuthGuard } from './guard.js'
import { RevocableService } from './service.js'
import {
  REVOCABLE,
  REVOCABLE_HOLDER,
  REVOCABLE_NEST_OPTIONS,
  type RevocableHolder,
  type RevocableNestOptions,
} from './tokens.js'

export interface RevocableModuleAsyncOptions extends RevocableNestOptions {
  imports?: ModuleMetadata['imports']
  /** Tokens whose providers are passed to `useFactory`. */
  inject?: FactoryProvider['inject']
  /** Resolves to a `Revocable`, or to the options to make one with (the module then closes it). */
  useFactory: (
    ...args: never[]
  ) => Revocable | RevocableOptions | Promise<Revocable | RevocableOptions>
}

function isRevocable(value: unknown): value is Revocable {
  return (
    value !== null &&
    typeof value === 'object' &&
    typeof (value as Revocable).verify === 'function' &&
    typeof (value as Revocable).revokeToken === 'function'
  )
}

async function hold(value: Revocable | RevocableOptions): Promise<RevocableHolder> {
  return isRevocable(value)
    ? { auth: value, owned: false }
    : { auth: await createRevocable(value), owned: true }
}

function checkNestOptions(options: RevocableNestOptions): RevocableNestOptions {
  if (options === null || typeof options !== 'object')
    throw new TypeError('options must be an object')
  if (options.globalGuard !== undefined && typeof options.globalGuard !== 'boolean') {
    throw new TypeError('"globalGuard" must be a boolean')
  }
  const { optional, cookie, realm } = options
  // Checked now, against a stand-in, so a bad cookie or realm fails at boot, not per request.
  resolveAuthenticateOptions({ verify() {} }, { optional, cookie, realm })
  return options
}

function build(
  holder: Provider,
  options: RevocableNestOptions,
  imports?: ModuleMetadata['imports'],
): DynamicModule {
  const providers: Provider[] = [
    holder,
    { provide: REVOCABLE_NEST_OPTIONS, useValue: options },
    {
      provide: REVOCABLE,
      useFactory: (held: RevocableHolder) => held.auth,
      inject: [REVOCABLE_HOLDER],
    },
    RevocableService,
    AuthGuard,
  ]
  if (options.globalGuard === true) providers.push({ provide: APP_GUARD, useExisting: AuthGuard })
  return {
    module: RevocableModule,
    global: true,
    ...(imports !== undefined && { imports }),
    providers,
    exports: [REVOCABLE, REVOCABLE_NEST_OPTIONS, REVOCABLE_HOLDER, RevocableService, AuthGuard],
  }
}

/**
 * The Nest module: provides `RevocableService`, the `Revocable` itself (`@Inject(REVOCABLE)`) and
 * `AuthGuard`, everywhere (a global module).
 *
 * @example
 * @Module({ imports: [RevocableModule.forRoot(auth, { globalGuard: true })] })
 * export class AppModule {}
 */
@Global()
@Module({})
export class RevocableModule {
  /**
   * With a `Revocable` (left open at shutdown) or the options of `createRevocable` (the module
   * makes the instance and closes it at shutdown).
   */
  static forRoot(
    revocableOrOptions: Revocable | RevocableOptions,
    options: RevocableNestOptions = {},
  ): DynamicModule {
    if (revocableOrOptions === null || typeof revocableOrOptions !== 'object') {
      throw new TypeError('forRoot() takes a Revocable or the options of createRevocable()')
    }
    return build(
      { provide: REVOCABLE_HOLDER, useFactory: () => hold(revocableOrOptions) },
      checkNestOptions(options),
    )
  }

  /**
   * With a factory, for configuration that comes from other providers.
   *
   * @example
   * RevocableModule.forRootAsync({
   *   inject: [ConfigService],
   *   useFactory: (config: ConfigService) => ({ issuer: config.get('ISSUER'), audience: 'api' }),
   * })
   */
  static forRootAsync(options: RevocableModuleAsyncOptions): DynamicModule {
    if (
      options === null ||
      typeof options !== 'object' ||
      typeof options.useFactory !== 'function'
    ) {
      throw new TypeError('forRootAsync() takes { useFactory, inject?, imports? }')
    }
    const { imports, inject, useFactory, ...nest } = options
    const factory = useFactory as (...args: unknown[]) => Promise<Revocable | RevocableOptions>
    return build(
      {
        provide: REVOCABLE_HOLDER,
        useFactory: async (...args: unknown[]) => hold(await factory(...args)),
        inject: inject ?? [],
      },
      checkNestOptions(nest),
      imports,
    )
  }
}
