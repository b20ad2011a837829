// The same adapter suite on Express 4 (installed as the alias `express4`): the middleware only
// uses what both majors have, and Express 4 ignores a returned promise, so a rejection that the
// middleware did not handle itself would hang the request here instead of failing it.
import type { Request, Response } from 'express'
import express4 from 'express4'
import request from 'supertest'
import { authenticate, requireScope } from '../../src/adapters/express.js'
import type { Revocable } from '../../src/index.js'
import { adapterSuite, type AdapterApp } from './suite.js'

async function makeApp(auth: Revocable): Promise<AdapterApp> {
  const app = express4()
  const sub = (req: Request, res: Response) => {
    res.json({ sub: req.auth?.sub ?? null })
  }
  app.get('/me', authenticate(auth), sub)
  app.get('/maybe', authenticate(auth, { optional: true }), sub)
  app.get('/admin', authenticate(auth), requireScope('admin'), sub)
  app.get('/cookie', authenticate(auth, { cookie: 'access_token' }), sub)
  app.get('/realm', authenticate(auth, { realm: 'example' }), sub)
  app.get('/realm-admin', authenticate(auth, { realm: 'example' }), requireScope('admin'), sub)
  return {
    async request(path, headers = {}) {
      const res = await request(app).get(path).set(headers)
      return { status: res.status, headers: res.headers, body: res.body }
    },
    async close() {},
  }
}

adapterSuite('Express 4', makeApp)
