import assert from 'node:assert/strict'
import { test } from 'node:test'
import express, { type ErrorRequestHandler } from 'express'
import request from 'supertest'
import { authenticate, requireScope } from '../../src/adapters/express.js'
import type { Revocable } from '../../src/index.js'
import { expressSuiteApp } from './express-app.js'
import { adapterSuite } from './suite.js'

adapterSuite('Express', expressSuiteApp(express))

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
