// A Fastify API protected by revocable: tokens, a guarded route, scopes and logout.
// Run: npm run build && node examples/fastify-api/index.js
import { pathToFileURL } from 'node:url'
import Fastify from 'fastify'
import { createRevocable } from 'revocable'
import revocable, { requireScope } from 'revocable/fastify'

// Demo users with their scopes; a real app checks a password hash.
const USERS = new Map([
  ['alice', { password: 'wonderland', scope: 'read admin' }],
  ['bob', { password: 'builder', scope: 'read' }],
])

/** Builds the API on a Revocable (memory store by default) and listens on `port`. */
export async function start({ port = 3000, auth } = {}) {
  auth ??= await createRevocable({ issuer: 'http://localhost', audience: 'fastify-api' })
  const app = Fastify()
  await app.register(revocable, { auth, realm: 'fastify-api' })

  app.post('/token', async (request, reply) => {
    const { username, password } = request.body ?? {}
    const user = USERS.get(username)
    if (user?.password !== password) return reply.code(401).send({ error: 'invalid credentials' })
    const { accessToken, refreshToken, expiresIn } = await auth.startSession({
      sub: username,
      scope: user.scope,
    })
    return {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: 'Bearer',
      expires_in: expiresIn,
    }
  })

  app.get('/me', { preHandler: app.authenticate }, async (request) => ({
    sub: request.auth.sub,
    scope: request.auth.scope,
  }))

  app.get('/admin/stats', { preHandler: [app.authenticate, requireScope('admin')] }, async () => ({
    users: USERS.size,
  }))

  // Log out this device: the session's tokens are rejected from now on.
  app.delete('/sessions/current', { preHandler: app.authenticate }, async (request, reply) => {
    await auth.revokeSession(request.auth.sid)
    return reply.code(204).send()
  })

  const url = await app.listen({ port, host: '127.0.0.1' })
  return {
    url,
    async close() {
      await app.close()
      await auth.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { url } = await start({ port: Number(process.env.PORT ?? 3000) })
  console.log(`listening on ${url}`)
}
