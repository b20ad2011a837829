import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Hono } from 'hono'
import { authenticate, requireScope, type RevocableEnv } from '../../src/adapters/hono.js'
import type { Revocable } from '../../src/index.js'
import { adapterSuite, RECENT, REFRESHING, type AdapterApp } from './suite.js'

async function makeApp(auth: Revocable): Promise<AdapterApp> {
  const app = new Hono<RevocableEnv>()
  app.get('/me', authenticate(auth), (c) => c.json({ sub: c.get('auth')?.sub ?? null }))
  app.get('/maybe', authenticate(auth, { optional: true }), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/admin', authenticate(auth), requireScope('admin'), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/cookie', authenticate(auth, { cookie: 'access_token' }), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/refreshing', authenticate(auth, REFRESHING), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/recent', authenticate(auth, { maxAuthAge: RECENT }), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/realm', authenticate(auth, { realm: 'example' }), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  app.get('/realm-admin', authenticate(auth, { realm: 'example' }), requireScope('admin'), (c) =>
    c.json({ sub: c.get('auth')?.sub ?? null }),
  )
  return {
    async request(path, headers = {}) {
      const res = await app.request(path, { headers })
      const text = await res.text()
      return {
        status: res.status,
        headers: Object.fromEntries(res.headers),
        body: text === '' ? undefined : JSON.parse(text),
        cookies: res.headers.getSetCookie(),
      }
    },
    async close() {},
  }
}

adapterSuite('Hono', makeApp, { refresh: true })

test('an error that is not a token problem reaches app.onError', async () => {
  const broken = { verify: () => Promise.reject(new Error('bug')) } as unknown as Revocable
  const app = new Hono<RevocableEnv>()
  app.get('/me', authenticate(broken), (c) => c.json({}))
  app.onError((error, c) => c.json({ seen: error.message }, 500))
  const res = await app.request('/me', { headers: { authorization: 'Bearer abc.def.ghi' } })
  assert.equal(res.status, 500)
  assert.deepEqual(await res.json(), { seen: 'bug' })
})
