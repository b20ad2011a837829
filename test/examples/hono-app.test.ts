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
  app = await startExample('hono-app/index.js')
})
after(() => app.stop())

async function login(): Promise<string> {
  const answer = await call(app.url, 'POST', '/login', {
    body: { username: 'alice', password: 'wonderland' },
  })
  assert.equal(answer.status, 200)
  return (answer.body as { access_token: string }).access_token
}

test('a logged-in user reaches /api/me and may write notes', async () => {
  const token = await login()
  const me = await call(app.url, 'GET', '/api/me', { token })
  assert.equal(me.status, 200)
  assert.deepEqual(me.body, { sub: 'alice' })
  const note = await call(app.url, 'POST', '/api/notes', { token })
  assert.equal(note.status, 201)
  assert.deepEqual(note.body, { saved: true })
})

test('everything under /api needs a token', async () => {
  const me = await call(app.url, 'GET', '/api/me')
  assert.equal(me.status, 401)
  assert.equal(me.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(me.body, { error: 'invalid_token', error_description: 'no access token' })
})

test('after logout the same token is rejected', async () => {
  const token = await login()
  assert.equal((await call(app.url, 'POST', '/api/logout', { token })).status, 204)
  const me = await call(app.url, 'GET', '/api/me', { token })
  assert.equal(me.status, 401)
  assert.equal(me.headers.get('www-authenticate'), revokedChallenge)
  assert.deepEqual(me.body, revokedSession)
})
