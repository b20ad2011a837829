// A NestJS app protected by revocable: a global guard, @Public() routes, @Auth() claims, scopes.
// Run: npm run build && node --import tsx examples/nest-app/main.ts
// (tsx compiles the decorators with the repository's tsconfig: experimentalDecorators on.)
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
import { RevocableError, type AccessTokenClaims, type TokenSet } from 'revocable'
import { Auth, Public, RequireScope, RevocableModule, RevocableService } from 'revocable/nest'

const USERS = new Map([
  ['alice', { password: 'wonderland', scope: 'read admin' }],
  ['bob', { password: 'builder', scope: 'read' }],
])

function tokenResponse(tokens: TokenSet) {
  return {
    access_token: tokens.accessToken,
    refresh_token: tokens.refreshToken,
    expires_in: tokens.expiresIn,
  }
}

@Controller('auth')
class AuthController {
  constructor(@Inject(RevocableService) private readonly revocable: RevocableService) {}

  @Public()
  @Post('login')
  @HttpCode(200)
  async login(@Body() body: { username?: string; password?: string }) {
    const user = USERS.get(body?.username ?? '')
    if (user === undefined || user.password !== body.password) {
      throw new HttpException({ error: 'invalid credentials' }, 401)
    }
    const sub = body.username as string
    return tokenResponse(await this.revocable.startSession({ sub, scope: user.scope }))
  }

  @Public()
  @Post('refresh')
  @HttpCode(200)
  async refresh(@Body('refresh_token') refreshToken: unknown) {
    try {
      return tokenResponse(await this.revocable.refresh(String(refreshToken)))
    } catch (error) {
      if (!(error instanceof RevocableError)) throw error
      throw new HttpException(
        { error: error.http.oauthError, error_description: error.message },
        error.http.status,
      )
    }
  }

  @Post('logout')
  @HttpCode(204)
  async logout(@Auth('sid') sid: string) {
    await this.revocable.revokeSession(sid)
  }
}

@Controller('me')
class ProfileController {
  @Get()
  me(@Auth() claims: AccessTokenClaims) {
    return { sub: claims.sub, scope: claims.scope }
  }

  @Get('admin')
  @RequireScope('admin')
  admin(@Auth('sub') sub: string) {
    return { admin: sub }
  }
}

@Module({
  imports: [
    // Every route needs a valid token unless marked @Public().
    RevocableModule.forRootAsync({
      useFactory: () => ({ issuer: 'http://localhost', audience: 'nest-app' }),
      globalGuard: true,
    }),
  ],
  controllers: [AuthController, ProfileController],
})
class AppModule {}

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
