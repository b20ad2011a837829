import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify, { type FastifyInstance, type FastifyRequest } from 'fastify'
import revocable, { authenticate, requireScope } from '../../src/adapters/fastify.js'
import type { Revocable } from '../../src/index.js'
import { adapterSuite, RECENT, REFRESHING, type AdapterApp } from './suite.js'

const sub = async (request: FastifyRequest) => ({ sub: request.auth?.sub ?? null })

/** The plugin once; routes with other options take their own hook from `authenticate()`. */
async function buildApp(auth: Revocable): Promise<FastifyInstance> {
  const app = Fastify()
  await app.register(revocable, { auth })
  app.get('/me', { preHandler: app.authenticate }, sub)
  app.get('/admin', { preHandler: [app.authenticate, requireScope('admin')] }, sub)
  app.get('/maybe', { preHandler: authenticate(auth, { optional: true }) }, sub)
  app.get('/cookie', { preHandler: authenticate(auth, { cookie: 'access_token' }) }, sub)
  app.get('/refreshing', { preHandler: authenticate(auth, REFRESHING) }, sub)
  app.get('/recent', { preHandler: authenticate(auth, { maxAuthAge: RECENT }) }, sub)
  await app.register(async (child) => {
    // As an onRequest hook for every route of an encapsulated context.
    child.addHook('onRequest', authenticate(auth, { realm: 'example' }))
    child.get('/realm', sub)
    child.get('/realm-admin', { preHandler: requireScope('admin') }, sub)
  })
  await app.ready()
  return app
}

adapterSuite(
  'Fastify (inject)',
  async (auth) => {
    const app = await buildApp(auth)
    return {
      async request(path, headers = {}) {
        const res = await app.inject({ method: 'GET', url: path, headers })
        return {
          status: res.statusCode,
          headers: res.headers as Record<string, string>,
          body: res.body === '' ? undefined : JSON.parse(res.body),
          cookies: [res.headers['set-cookie'] ?? []].flat(),
        }
      },
      close: () => app.close(),
    }
  },
  { refresh: true },
)

adapterSuite(
  'Fastify (listening)',
  async (auth): Promise<AdapterApp> => {
    const app = await buildApp(auth)
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    return {
      async request(path, headers = {}) {
        const res = await fetch(base + path, { headers })
        const text = await res.text()
        return {
          status: res.status,
          headers: Object.fromEntries(res.headers),
          body: text === '' ? undefined : JSON.parse(text),
          cookies: res.headers.getSetCookie(),
        }
      },
      close: () => app.close(),
    }
  },
  { refresh: true },
)

test('registering the plugin without a Revocable fails with a TypeError', async () => {
  const app = Fastify()
  await assert.rejects(
    async () => {
      await app.register(revocable, {} as never)
      await app.ready()
    },
    { name: 'TypeError', message: '"auth" must be a Revocable made by createRevocable()' },
  )
  await app.close()
})

test('an error that is not a token problem reaches the Fastify error handler', async () => {
  const broken = { verify: () => Promise.reject(new Error('bug')) } as unknown as Revocable
  const app = Fastify()
  await app.register(revocable, { auth: broken })
  app.setErrorHandler((error: Error, _request, reply) =>
    reply.code(500).send({ seen: error.message }),
  )
  app.get('/me', { preHandler: app.authenticate }, sub)
  const res = await app.inject({ url: '/me', headers: { authorization: 'Bearer abc.def.ghi' } })
  assert.equal(res.statusCode, 500)
  assert.deepEqual(res.json(), { seen: 'bug' })
  await app.close()
})
