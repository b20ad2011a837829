import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  call,
  revokedChallenge,
  revokedSession,
  startExample,
  type RunningExample,
} from './process.js'

let app: RunningExample
before(async () => {
  app = await startExample('nest-app/main.ts')
})
after(() => app.stop())

interface Tokens {
  access_token: string
  refresh_token: string
}

async function login(username: string, password: string): Promise<Tokens> {
  const answer = await call(app.url, 'POST', '/auth/login', { body: { username, password } })
  assert.equal(answer.status, 200)
  return answer.body as Tokens
}

test('the public login route issues tokens that open /me', async () => {
  const { access_token: token } = await login('alice', 'wonderland')
  const me = await call(app.url, 'GET', '/me', { token })
  assert.equal(me.status, 200)
  assert.deepEqual(me.body, { sub: 'alice', scope: 'read admin' })
})

test('the global guard answers 401 with a bare challenge without a token', async () => {
  const me = await call(app.url, 'GET', '/me')
  assert.equal(me.status, 401)
  assert.equal(me.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(me.body, { error: 'invalid_token', error_description: 'no access token' })
})

test('@RequireScope turns away a token without the scope with 403', async () => {
  const { access_token: token } = await login('bob', 'builder')
  const admin = await call(app.url, 'GET', '/me/admin', { token })
  assert.equal(admin.status, 403)
  assert.deepEqual(admin.body, {
    error: 'insufficient_scope',
    error_description: 'the token lacks the scope admin',
  })
})

test('refresh rotates the tokens through the public refresh route', async () => {
  const first = await login('alice', 'wonderland')
  const next = await call(app.url, 'POST', '/auth/refresh', {
    body: { refresh_token: first.refresh_token },
  })
  assert.equal(next.status, 200)
  // The new refresh token is used: the first one is now spent for good (a replay, not a retry).
  const third = await call(app.url, 'POST', '/auth/refresh', {
    body: { refresh_token: (next.body as { refresh_token: string }).refresh_token },
  })
  assert.equal(third.status, 200)
  const replay = await call(app.url, 'POST', '/auth/refresh', {
    body: { refresh_token: first.refresh_token },
  })
  assert.equal(replay.status, 400)
  assert.equal((replay.body as { error: string }).error, 'invalid_grant')
})

test('logout revokes the session and its token is rejected', async () => {
  const { access_token: token } = await login('alice', 'wonderland')
  assert.equal((await call(app.url, 'POST', '/auth/logout', { token })).status, 204)
  const me = await call(app.url, 'GET', '/me', { token })
  assert.equal(me.status, 401)
  assert.equal(me.headers.get('www-authenticate'), revokedChallenge)
  assert.deepEqual(me.body, revokedSession)
})
