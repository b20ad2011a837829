import 'reflect-metadata'
import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  UseGuards,
  type INestApplication,
} from '@nestjs/common'
import { Test } from '@nestjs/testing'
import request from 'supertest'
import {
  Auth,
  AuthGuard,
  AuthOptions,
  MaxAuthAge,
  Public,
  REVOCABLE,
  RequireScope,
  RevocableModule,
  RevocableService,
} from '../../src/adapters/nest/index.js'
import type { AccessTokenClaims, Revocable } from '../../src/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER, makeAuth } from '../support/auth.js'
import { adapterSuite, assertAnswer, RECENT, type AdapterApp } from './suite.js'

@Controller()
class SuiteController {
  @Get('me')
  me(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('maybe')
  @AuthOptions({ optional: true })
  maybe(@Auth() claims: AccessTokenClaims | undefined) {
    return { sub: claims?.sub ?? null }
  }

  @Get('admin')
  @RequireScope('admin')
  admin(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('cookie')
  @AuthOptions({ cookie: 'access_token' })
  cookie(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('realm')
  @AuthOptions({ realm: 'example' })
  realm(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('realm-admin')
  @AuthOptions({ realm: 'example' })
  @RequireScope('admin')
  realmAdmin(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('recent')
  @MaxAuthAge(RECENT)
  recent(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('health')
  @Public()
  health() {
    return { ok: true }
  }
}

async function listen(app: INestApplication): Promise<AdapterApp> {
  await app.init()
  return {
    async request(path, headers = {}) {
      const res = await request(app.getHttpServer()).get(path).set(headers)
      return { status: res.status, headers: res.headers, body: res.body }
    },
    close: () => app.close(),
  }
}

async function makeApp(auth: Revocable): Promise<AdapterApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [RevocableModule.forRoot(auth, { globalGuard: true })],
    controllers: [SuiteController],
  }).compile()
  return listen(moduleRef.createNestApplication({ logger: false }))
}

adapterSuite('NestJS', makeApp)

test('a @Public() route needs no token under the global guard', async () => {
  const { auth } = await makeAuth()
  const app = await makeApp(auth)
  try {
    assertAnswer(await app.request('/health'), { status: 200, headers: {}, body: { ok: true } })
  } finally {
    await app.close()
  }
})

@Injectable()
class Logout {
  constructor(@Inject(RevocableService) readonly revocable: RevocableService) {}
}

@Controller('account')
@UseGuards(AuthGuard)
class AccountController {
  constructor(@Inject(Logout) private readonly logout: Logout) {}

  @Get('logout')
  async out(@Auth('sid') sid: string) {
    await this.logout.revocable.revokeSession(sid)
    return { loggedOut: true }
  }
}

@Module({ providers: [Logout], controllers: [AccountController] })
class AccountModule {}

@Module({ providers: [{ provide: 'ISSUER', useValue: ISSUER }], exports: ['ISSUER'] })
class ConfigModule {}

test('forRootAsync builds the instance from a factory, and the module closes it at shutdown', async () => {
  const moduleRef = await Test.createTestingModule({
    imports: [
      RevocableModule.forRootAsync({
        imports: [ConfigModule],
        inject: ['ISSUER'],
        useFactory: (issuer: string) => ({
          issuer,
          audience: AUDIENCE,
          keys: [{ secret: HMAC_SECRET, kid: 'nest' }],
        }),
      }),
      AccountModule,
    ],
  }).compile()
  const app = moduleRef.createNestApplication({ logger: false })
  app.enableShutdownHooks()
  await app.init()
  const auth = app.get<Revocable>(REVOCABLE)
  let closed = 0
  const close = auth.close.bind(auth)
  auth.close = async () => {
    closed += 1
    await close()
  }
  const { accessToken } = await auth.startSession({ sub: 'user-42' })
  const server = app.getHttpServer()
  try {
    const first = await request(server)
      .get('/account/logout')
      .set('authorization', `Bearer ${accessToken}`)
    assert.equal(first.status, 200)
    assert.deepEqual(first.body, { loggedOut: true })
    // RevocableService.revokeSession ended the session: the same token is now rejected.
    const again = await request(server)
      .get('/account/logout')
      .set('authorization', `Bearer ${accessToken}`)
    assert.equal(again.status, 401)
    assert.deepEqual(again.body, {
      error: 'invalid_token',
      error_description: 'token has been revoked (session)',
    })
  } finally {
    await app.close()
  }
  assert.equal(closed, 1)
})

test('AuthGuard on a controller protects it without the global guard', async () => {
  const { auth } = await makeAuth()
  const moduleRef = await Test.createTestingModule({
    imports: [RevocableModule.forRoot(auth), AccountModule],
  }).compile()
  const app = await listen(moduleRef.createNestApplication({ logger: false }))
  try {
    const answer = await app.request('/account/logout')
    assertAnswer(answer, {
      status: 401,
      headers: { 'www-authenticate': 'Bearer' },
      body: { error: 'invalid_token', error_description: 'no access token' },
    })
  } finally {
    await app.close()
  }
})

test('forRoot refuses bad adapter options at boot with a TypeError', () => {
  assert.throws(() => RevocableModule.forRoot({} as Revocable, { cookie: 'bad name' }), {
    name: 'TypeError',
    message: '"cookie" must be a cookie name',
  })
})
