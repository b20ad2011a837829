import assert from 'node:assert/strict'
import { test } from 'node:test'
import express, { type ErrorRequestHandler } from 'express'
import request from 'supertest'
import { authenticate, requireScope } from '../../src/adapters/express.js'
import type { Revocable } from '../../src/index.js'
import { adapterSuite, type AdapterApp } from './suite.js'

function buildApp(auth: Revocable): express.Express {
  const app = express()
  const sub = (req: express.Request, res: express.Response) => {
    res.json({ sub: req.auth?.sub ?? null })
  }
  app.get('/me', authenticate(auth), sub)
  app.get('/maybe', authenticate(auth, { optional: true }), sub)
  app.get('/admin', authenticate(auth), requireScope('admin'), sub)
  app.get('/cookie', authenticate(auth, { cookie: 'access_token' }), sub)
  app.get('/realm', authenticate(auth, { realm: 'example' }), sub)
  app.get('/realm-admin', authenticate(auth, { realm: 'example' }), requireScope('admin'), sub)
  return app
}

async function makeApp(auth: Revocable): Promise<AdapterApp> {
  const app = buildApp(auth)
  return {
    async request(path, headers = {}) {
      const res = await request(app).get(path).set(headers)
      return { status: res.status, headers: res.headers, body: res.body }
    },
    async close() {},
  }
}

adapterSuite('Express', makeApp)

test('an error that is not a token problem goes to the Express error handler', async () => {
  const broken = {
    verify: () => Promise.reject(new Error('bug')),
  } as unknown as Revocable
  const app = express()
  app.get('/me', authenticate(broken), (_req, res) => {
    res.json({})
  })
  const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
    res.status(500).json({ seen: error.message })
  }
  app.use(onError)
  const res = await request(app).get('/me').set('authorization', 'Bearer abc.def.ghi')
  assert.equal(res.status, 500)
  assert.deepEqual(res.body, { seen: 'bug' })
})

test('authenticate refuses a missing Revocable and bad options at construction', () => {
  assert.throws(() => authenticate(undefined as unknown as Revocable), {
    name: 'TypeError',
    message: '"auth" must be a Revocable made by createRevocable()',
  })
  const auth = { verify: () => Promise.resolve() } as unknown as Revocable
  assert.throws(() => authenticate(auth, { cookie: 'a b' }), {
    name: 'TypeError',
    message: '"cookie" must be a cookie name',
  })
  assert.throws(() => requireScope(''), {
    name: 'TypeError',
    message: '"scope" must be one or more space-separated scope tokens',
  })
})
