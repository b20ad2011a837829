// A Hono app on Node protected by revocable.
// Run: npm run build && node examples/hono-app/index.js
import { pathToFileURL } from 'node:url'
import { serve } from '@hono/node-server'
import { Hono } from 'hono'
import { createRevocable } from 'revocable'
import { authenticate, requireScope } from 'revocable/hono'

const USERS = new Map([['alice', { password: 'wonderland', scope: 'read write' }]])

/** Builds the app on a Revocable (memory store by default). */
export function createApp(auth) {
  const app = new Hono()

  app.post('/login', async (c) => {
    const { username, password } = await c.req.json().catch(() => ({}))
    const user = USERS.get(username)
    if (user?.password !== password) return c.json({ error: 'invalid credentials' }, 401)
    const { accessToken, expiresIn } = await auth.startSession({ sub: username, scope: user.scope })
    return c.json({ access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn })
  })

  app.use('/api/*', authenticate(auth))
  app.get('/api/me', (c) => c.json({ sub: c.get('auth').sub }))
  app.post('/api/notes', requireScope('write'), (c) => c.json({ saved: true }, 201))
  app.post('/api/logout', async (c) => {
    await auth.revokeSession(c.get('auth').sid)
    return c.body(null, 204)
  })
  return app
}

/** Listens on `port`. */
export async function start({ port = 3000, auth } = {}) {
  auth ??= await createRevocable({ issuer: 'http://localhost', audience: 'hono-app' })
  const app = createApp(auth)
  const server = await new Promise((resolve) => {
    const s = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' }, () => resolve(s))
  })
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      await auth.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ port: Number(process.env.PORT ?? 3000) })
  console.log(`listening on ${url}`)
}
