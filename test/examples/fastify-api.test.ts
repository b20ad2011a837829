import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { call, revokedSession, startExample, type RunningExample } from './process.js'

let app: RunningExample
before(async () => {
  app = await startExample('fastify-api/index.js')
})
after(() => app.stop())

async function tokenFor(username: string, password: string): Promise<string> {
  const answer = await call(app.url, 'POST', '/token', { body: { username, password } })
  assert.equal(answer.status, 200)
  return (answer.body as { access_token: string }).access_token
}

test('a token from /token opens /me', async () => {
  const token = await tokenFor('alice', 'wonderland')
  const me = await call(app.url, 'GET', '/me', { token })
  assert.equal(me.status, 200)
  assert.deepEqual(me.body, { sub: 'alice', scope: 'read admin' })
})

test('/me without a token is a 401 with the realm in the challenge', async () => {
  const me = await call(app.url, 'GET', '/me')
  assert.equal(me.status, 401)
  assert.equal(me.headers.get('www-authenticate'), 'Bearer realm="fastify-api"')
  assert.deepEqual(me.body, { error: 'invalid_token', error_description: 'no access token' })
})

test('the admin route needs the admin scope', async () => {
  assert.equal(
    (await call(app.url, 'GET', '/admin/stats', { token: await tokenFor('alice', 'wonderland') }))
      .status,
    200,
  )
  const bob = await call(app.url, 'GET', '/admin/stats', {
    token: await tokenFor('bob', 'builder'),
  })
  assert.equal(bob.status, 403)
  assert.equal(
    bob.headers.get('www-authenticate'),
    'Bearer realm="fastify-api", error="insufficient_scope", error_description="the token lacks the scope admin", scope="admin"',
  )
  assert.deepEqual(bob.body, {
    error: 'insufficient_scope',
    error_description: 'the token lacks the scope admin',
  })
})

test('deleting the current session rejects its token from then on', async () => {
  const token = await tokenFor('alice', 'wonderland')
  assert.equal((await call(app.url, 'DELETE', '/sessions/current', { token })).status, 204)
  const me = await call(app.url, 'GET', '/me', { token })
  assert.equal(me.status, 401)
  assert.equal(
    me.headers.get('www-authenticate'),
    'Bearer realm="fastify-api", error="invalid_token", error_description="token has been revoked (session)"',
  )
  assert.deepEqual(me.body, revokedSession)
})
