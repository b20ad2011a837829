import assert from 'node:assert/strict'
import { test } from 'node:test'
import express, { type ErrorRequestHandler } from 'express'
import request from 'supertest'
import { authenticate, requireScope } from '../../src/adapters/express.js'
import { TokenExpired, type Revocable } from '../../src/index.js'
import { expressSuiteApp } from './express-app.js'
import { adapterSuite } from './suite.js'

adapterSuite('Express', expressSuiteApp(express), { refresh: true })

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

test('when writing the answer throws, the fixed fallback answer is sent instead', async () => {
  const auth = { verify: () => Promise.reject(new TokenExpired('token has expired')) }
  const app = express()
  let failures = 1
  app.use((_req, res, next) => {
    // The first header write fails, as Node's does on a value it refuses.
    const set = res.set.bind(res)
    res.set = ((...args: Parameters<typeof set>) => {
      if (failures-- > 0) throw new TypeError('Invalid character in header content')
      return set(...args)
    }) as typeof res.set
    next()
  })
  app.get('/me', authenticate(auth as unknown as Revocable), (_req, res) => {
    res.json({})
  })
  const res = await request(app).get('/me').set('authorization', 'Bearer abc.def.ghi')
  assert.equal(res.status, 401)
  assert.equal(
    res.headers['www-authenticate'],
    'Bearer error="invalid_token", error_description="invalid token"',
  )
  assert.deepEqual(res.body, { error: 'invalid_token', error_description: 'invalid token' })
})

test('when no answer can be written at all, the error reaches next(), never an unhandled rejection', async () => {
  const auth = { verify: () => Promise.reject(new TokenExpired('token has expired')) }
  const app = express()
  app.use((_req, res, next) => {
    res.json = () => {
      throw new TypeError('broken response')
    }
    next()
  })
  app.get('/me', authenticate(auth as unknown as Revocable), (_req, res) => {
    res.json({})
  })
  const onError: ErrorRequestHandler = (error: Error, _req, res, _next) => {
    res.status(500).send(`seen: ${error.message}`)
  }
  app.use(onError)
  const unhandled: unknown[] = []
  const record = (error: unknown) => void unhandled.push(error)
  process.on('unhandledRejection', record)
  try {
    const res = await request(app).get('/me').set('authorization', 'Bearer abc.def.ghi')
    assert.equal(res.status, 500)
    assert.equal(res.text, 'seen: broken response')
  } finally {
    process.off('unhandledRejection', record)
  }
  assert.deepEqual(unhandled, [])
})
