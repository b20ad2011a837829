// A NestJS app protected by revocable: a global guard, @Public() routes, @Auth() claims, scopes.
// Run: npm run build && node examples/nest-app/index.js
//
// Written in plain JavaScript so it runs with `node` alone; Node 20 has no decorator syntax, so
// `decorate()` below applies Nest's decorators exactly as TypeScript compiles `@Decorator`s.
// docs/adapters.md shows the same thing in TypeScript.
import 'reflect-metadata'
import { pathToFileURL } from 'node:url'
import {
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Module,
  Post,
} from '@nestjs/common'
import { NestFactory } from '@nestjs/core'
import { RevocableError } from 'revocable'
import { Auth, Public, RequireScope, RevocableModule, RevocableService } from 'revocable/nest'

function decorate(target, member, ...decorators) {
  const descriptor = member && Object.getOwnPropertyDescriptor(target.prototype, member)
  for (const decorator of decorators.reverse()) {
    if (member === undefined) target = decorator(target) ?? target
    else decorator(target.prototype, member, descriptor)
  }
  return target
}
const param = (index, decorator) => (target, member) => decorator(target, member, index)

const USERS = new Map([
  ['alice', { password: 'wonderland', scope: 'read admin' }],
  ['bob', { password: 'builder', scope: 'read' }],
])

// TypeScript: @Controller('auth') class AuthController { constructor(@Inject(RevocableService) …) }
class AuthController {
  constructor(revocable) {
    this.revocable = revocable
  }

  // @Public() @Post('login') @HttpCode(200) login(@Body() body)
  async login(body) {
    const user = USERS.get(body?.username)
    if (user?.password !== body?.password)
      throw new HttpException({ error: 'invalid credentials' }, 401)
    const tokens = await this.revocable.startSession({ sub: body.username, scope: user.scope })
    return {
      access_token: tokens.accessToken,
      refresh_token: tokens.refreshToken,
      expires_in: tokens.expiresIn,
    }
  }

  // @Public() @Post('refresh') @HttpCode(200) refresh(@Body('refresh_token') refreshToken)
  async refresh(refreshToken) {
    try {
      const tokens = await this.revocable.refresh(String(refreshToken))
      return {
        access_token: tokens.accessToken,
        refresh_token: tokens.refreshToken,
        expires_in: tokens.expiresIn,
      }
    } catch (error) {
      if (!(error instanceof RevocableError)) throw error
      throw new HttpException(
        { error: error.http.oauthError, error_description: error.message },
        error.http.status,
      )
    }
  }

  // @Post('logout') @HttpCode(204) logout(@Auth('sid') sid)
  async logout(sid) {
    await this.revocable.revokeSession(sid)
  }
}
decorate(AuthController, 'login', Public(), Post('login'), HttpCode(200), param(0, Body()))
decorate(
  AuthController,
  'refresh',
  Public(),
  Post('refresh'),
  HttpCode(200),
  param(0, Body('refresh_token')),
)
decorate(AuthController, 'logout', Post('logout'), HttpCode(204), param(0, Auth('sid')))
decorate(AuthController, undefined, Controller('auth'), param(0, Inject(RevocableService)))

class ProfileController {
  // @Get() me(@Auth() claims)
  me(claims) {
    return { sub: claims.sub, scope: claims.scope }
  }

  // @Get('admin') @RequireScope('admin') admin(@Auth('sub') sub)
  admin(sub) {
    return { admin: sub }
  }
}
decorate(ProfileController, 'me', Get(), param(0, Auth()))
decorate(ProfileController, 'admin', Get('admin'), RequireScope('admin'), param(0, Auth('sub')))
decorate(ProfileController, undefined, Controller('me'))

class AppModule {}
decorate(
  AppModule,
  undefined,
  Module({
    imports: [
      // Every route needs a valid token unless marked @Public().
      RevocableModule.forRootAsync({
        useFactory: () => ({ issuer: 'http://localhost', audience: 'nest-app' }),
        globalGuard: true,
      }),
    ],
    controllers: [AuthController, ProfileController],
  }),
)

/** Starts the app on `port`. */
export async function start({ port = 3000 } = {}) {
  const app = await NestFactory.create(AppModule, { logger: ['error', 'warn'] })
  app.enableShutdownHooks()
  await app.listen(port, '127.0.0.1')
  return { url: (await app.getUrl()).replace('[::1]', '127.0.0.1'), close: () => app.close() }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ port: Number(process.env.PORT ?? 3000) })
  console.log(`listening on ${url}`)
}
