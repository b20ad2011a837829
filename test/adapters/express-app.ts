/** The routes the adapter suite drives, on an Express app from `create` (Express 4 or 5). */
import type { Express, Request, Response } from 'express'
import request from 'supertest'
import { authenticate, requireScope } from '../../src/adapters/express.js'
import type { Revocable } from '../../src/index.js'
import { RECENT, REFRESHING, type AdapterApp } from './suite.js'

export function expressSuiteApp(create: () => Express) {
  return async (auth: Revocable): Promise<AdapterApp> => {
    const app = create()
    const sub = (req: Request, res: Response) => {
      res.json({ sub: req.auth?.sub ?? null })
    }
    app.get('/me', authenticate(auth), sub)
    app.get('/maybe', authenticate(auth, { optional: true }), sub)
    app.get('/admin', authenticate(auth), requireScope('admin'), sub)
    app.get('/cookie', authenticate(auth, { cookie: 'access_token' }), sub)
    app.get('/realm', authenticate(auth, { realm: 'example' }), sub)
    app.get('/refreshing', authenticate(auth, REFRESHING), sub)
    app.get('/realm-admin', authenticate(auth, { realm: 'example' }), requireScope('admin'), sub)
    app.get('/recent', authenticate(auth, { maxAuthAge: RECENT }), sub)
    return {
      async request(path, headers = {}) {
        const res = await request(app).get(path).set(headers)
        const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? []
        return { status: res.status, headers: res.headers, body: res.body, cookies }
      },
      async close() {},
    }
  }
}
