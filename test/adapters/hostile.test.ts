// The adversarial suite of every framework adapter (issue 11): each hostile token of the corpus
// (valid ones included) and arbitrary Unicode in the header and payload, through the real
// request path of Express 5, Express 4, Fastify, Hono and NestJS. The verdict is the library's,
// a rejection is a 401 whose challenge parses back, and nothing kills the host process.
import 'reflect-metadata'
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { Controller, Get, type INestApplication } from '@nestjs/common'
import { Test } from '@nestjs/testing'
import express, { type Express, type Request, type Response } from 'express'
import express4 from 'express4'
import Fastify, { type FastifyRequest } from 'fastify'
import fc from 'fast-check'
import { Hono } from 'hono'
import request from 'supertest'
import { authenticate as expressAuthenticate } from '../../src/adapters/express.js'
import revocableFastify, {
  authenticate as fastifyAuthenticate,
} from '../../src/adapters/fastify.js'
import { authenticate as honoAuthenticate, type RevocableEnv } from '../../src/adapters/hono.js'
import { Auth, AuthOptions, RevocableModule } from '../../src/adapters/nest/index.js'
import type { Revocable } from '../../src/index.js'
import {
  assertInvalidToken,
  deliveries,
  hostileTokens,
  watchForCrashes,
  withDeadline,
  type HttpAnswer,
} from '../conformance/hostile-http.js'
import { TOKEN_CASES, openVerifier, type Verifier } from '../conformance/hostile-tokens.js'

/** An app serving `GET /me` (Authorization header) and `GET /cookie` (the `at` cookie). */
interface HostileApp {
  request(path: string, headers: Record<string, string>): Promise<HttpAnswer>
  close(): Promise<void>
}

function expressApp(create: () => Express) {
  return async (auth: Revocable): Promise<HostileApp> => {
    const app = create()
    const sub = (req: Request, res: Response) => void res.json({ sub: req.auth?.sub ?? null })
    app.get('/me', expressAuthenticate(auth), sub)
    app.get('/cookie', expressAuthenticate(auth, { cookie: 'at' }), sub)
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    return {
      async request(path, headers) {
        const res = await request(server).get(path).set(headers)
        return { status: res.status, headers: res.headers, body: res.body }
      },
      close: () =>
        new Promise((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    }
  }
}

async function fastifyApp(auth: Revocable): Promise<HostileApp> {
  const app = Fastify()
  await app.register(revocableFastify, { auth })
  const sub = async (req: FastifyRequest) => ({ sub: req.auth?.sub ?? null })
  app.get('/me', { preHandler: app.authenticate }, sub)
  app.get('/cookie', { preHandler: fastifyAuthenticate(auth, { cookie: 'at' }) }, sub)
  const base = await app.listen({ port: 0, host: '127.0.0.1' })
  return {
    async request(path, headers) {
      const res = await fetch(base + path, { headers })
      const text = await res.text()
      return { status: res.status, headers: Object.fromEntries(res.headers), body: parse(text) }
    },
    close: () => app.close(),
  }
}

async function honoApp(auth: Revocable): Promise<HostileApp> {
  const app = new Hono<RevocableEnv>()
  app.get('/me', honoAuthenticate(auth), (c) => c.json({ sub: c.get('auth')?.sub ?? null }))
  app.get('/cookie', honoAuthenticate(auth, { cookie: 'at' }), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  return {
    async request(path, headers) {
      const res = await app.request(path, { headers })
      const text = await res.text()
      return { status: res.status, headers: Object.fromEntries(res.headers), body: parse(text) }
    },
    async close() {},
  }
}

@Controller()
class HostileController {
  @Get('me')
  me(@Auth('sub') sub: string) {
    return { sub }
  }

  @Get('cookie')
  @AuthOptions({ cookie: 'at' })
  cookie(@Auth('sub') sub: string) {
    return { sub }
  }
}

async function nestApp(auth: Revocable): Promise<HostileApp> {
  const moduleRef = await Test.createTestingModule({
    imports: [RevocableModule.forRoot(auth, { globalGuard: true })],
    controllers: [HostileController],
  }).compile()
  const app: INestApplication = moduleRef.createNestApplication({ logger: false })
  await app.init()
  return {
    async request(path, headers) {
      const res = await request(app.getHttpServer()).get(path).set(headers)
      return { status: res.status, headers: res.headers, body: res.body }
    },
    close: () => app.close(),
  }
}

function parse(text: string): unknown {
  try {
    return text === '' ? undefined : JSON.parse(text)
  } catch {
    return text
  }
}

const ADAPTERS: ReadonlyArray<[string, (auth: Revocable) => Promise<HostileApp>]> = [
  ['Express 5', expressApp(express)],
  ['Express 4', expressApp(express4 as unknown as () => Express)],
  ['Fastify', fastifyApp],
  ['Hono', honoApp],
  ['NestJS', nestApp],
]

/** The subject the library accepts `token` for, or undefined when it refuses it. */
async function verdict(verifier: Verifier, token: string | undefined): Promise<string | undefined> {
  if (token === undefined || token === '') return undefined
  try {
    return (await verifier.auth.verify(token)).sub
  } catch {
    return undefined
  }
}

/** Sends one token every way it can travel; each answer must be the library's verdict. */
async function expectVerdict(verifier: Verifier, app: HostileApp, token: string): Promise<void> {
  for (const way of deliveries(token, 'at')) {
    const path = way.cookie ? '/cookie' : '/me'
    const expected = await verdict(verifier, way.received)
    const answer = await withDeadline(path, app.request(path, way.headers))
    if (expected === undefined) assertInvalidToken(answer)
    else assert.deepEqual([answer.status, answer.body], [200, { sub: expected }])
  }
}

for (const [framework, makeApp] of ADAPTERS) {
  describe(`${framework} adapter under hostile tokens`, () => {
    let verifier: Verifier
    let app: HostileApp
    before(async () => {
      verifier = await openVerifier()
      app = await makeApp(verifier.auth)
    })
    after(async () => {
      await app.close()
      await verifier.close()
    })

    test(`every token of the hostile corpus (${TOKEN_CASES.length}) gets the library's verdict as a well-formed answer, and the process survives`, async () => {
      const crashes = watchForCrashes()
      const failures: string[] = []
      try {
        for (const c of TOKEN_CASES) {
          try {
            await expectVerdict(verifier, app, c.build(verifier.context))
          } catch (error) {
            failures.push(`${c.name}: ${(error as Error).message.split('\n')[0]}`)
          }
        }
      } finally {
        crashes.stop()
      }
      assert.deepEqual(crashes.seen, [], 'the host process would have died')
      assert.deepEqual(failures, [])
    })

    test('arbitrary Unicode in alg, kid, typ, crit and the payload only ever gets a 401 with a valid challenge', async () => {
      const crashes = watchForCrashes()
      try {
        await fc.assert(
          fc.asyncProperty(hostileTokens(verifier.context), async (token) => {
            await assert.rejects(verifier.auth.verify(token))
            await expectVerdict(verifier, app, token)
          }),
          { seed: 11, numRuns: 60 },
        )
      } finally {
        crashes.stop()
      }
      assert.deepEqual(crashes.seen, [], 'the host process would have died')
    })
  })
}
