import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { manualClock } from '../support/clock.js'
import {
  ROOT,
  call,
  revokedChallenge,
  revokedSession,
  startExample,
  type HttpAnswer,
  type RunningExample,
} from './process.js'

let app: RunningExample
before(async () => {
  app = await startExample('express-cookies/index.js')
})
after(() => app.stop())

/** The `name=value` pairs of the response's Set-Cookie headers, as a Cookie header. */
function cookiesOf(answer: HttpAnswer): string {
  return answer.headers
    .getSetCookie()
    .map((cookie) => cookie.split(';')[0])
    .join('; ')
}

const alice = { username: 'alice', password: 'wonderland' }

test('login sets the access and refresh tokens as httpOnly SameSite=Strict cookies', async () => {
  const login = await call(app.url, 'POST', '/auth/login', { body: alice })
  assert.equal(login.status, 200)
  assert.deepEqual(login.body, { sub: 'alice', expiresIn: 300 })
  const [access, refresh] = login.headers.getSetCookie()
  assert.match(
    access ?? '',
    /^access_token=[^;]+; Max-Age=300; Path=\/; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
  )
  assert.match(
    refresh ?? '',
    /^refresh_token=rvk_rt_[^;]+; Path=\/auth; HttpOnly; SameSite=Strict$/,
  )
})

test('wrong credentials are refused', async () => {
  const login = await call(app.url, 'POST', '/auth/login', { body: { ...alice, password: 'x' } })
  assert.equal(login.status, 401)
  assert.deepEqual(login.body, { error: 'invalid credentials' })
})

test('the profile is served for the access cookie and refused without it', async () => {
  const cookie = cookiesOf(await call(app.url, 'POST', '/auth/login', { body: alice }))
  const profile = await call(app.url, 'GET', '/profile', { cookie })
  assert.equal(profile.status, 200)
  assert.equal((profile.body as { sub: string }).sub, 'alice')
  const anonymous = await call(app.url, 'GET', '/profile')
  assert.equal(anonymous.status, 401)
  assert.equal(anonymous.headers.get('www-authenticate'), 'Bearer')
  assert.deepEqual(anonymous.body, { error: 'invalid_token', error_description: 'no access token' })
})

test('refresh rotates both cookies, and replaying the old refresh token ends the session', async () => {
  const first = cookiesOf(await call(app.url, 'POST', '/auth/login', { body: alice }))
  const refreshed = await call(app.url, 'POST', '/auth/refresh', { cookie: first })
  assert.equal(refreshed.status, 200)
  const second = cookiesOf(refreshed)
  assert.notEqual(second, first)
  assert.equal((await call(app.url, 'GET', '/profile', { cookie: second })).status, 200)
  // The heir is used too: the first refresh token is now spent for good (a replay, not a retry).
  const third = cookiesOf(await call(app.url, 'POST', '/auth/refresh', { cookie: second }))

  const replay = await call(app.url, 'POST', '/auth/refresh', { cookie: first })
  assert.equal(replay.status, 400)
  assert.deepEqual(replay.body, { error: 'ERR_REFRESH_TOKEN_REUSED' })
  const after = await call(app.url, 'GET', '/profile', { cookie: third })
  assert.equal(after.status, 401)
  assert.deepEqual(after.body, revokedSession)
})

test('logout clears the cookies and the old access token is rejected though unexpired', async () => {
  const cookie = cookiesOf(await call(app.url, 'POST', '/auth/login', { body: alice }))
  const logout = await call(app.url, 'POST', '/auth/logout', { cookie })
  assert.equal(logout.status, 204)
  assert.deepEqual(
    logout.headers.getSetCookie().map((c) => c.split(';')[0]),
    ['access_token=', 'refresh_token='],
  )
  const profile = await call(app.url, 'GET', '/profile', { cookie })
  assert.equal(profile.status, 401)
  assert.equal(profile.headers.get('www-authenticate'), revokedChallenge)
  assert.deepEqual(profile.body, revokedSession)
})

test('logout with only the refresh cookie (the access cookie expired) ends the session', async () => {
  const login = await call(app.url, 'POST', '/auth/login', { body: alice })
  const all = cookiesOf(login)
  // The browser drops the access cookie at its Max-Age; the refresh cookie lives on.
  const refreshOnly = all
    .split('; ')
    .filter((pair) => pair.startsWith('refresh_token='))
    .join('; ')
  const logout = await call(app.url, 'POST', '/auth/logout', { cookie: refreshOnly })
  assert.equal(logout.status, 204)
  const refreshed = await call(app.url, 'POST', '/auth/refresh', { cookie: refreshOnly })
  assert.equal(refreshed.status, 400)
  assert.deepEqual(refreshed.body, { error: 'ERR_REFRESH_TOKEN_INVALID' })
  const profile = await call(app.url, 'GET', '/profile', { cookie: all })
  assert.equal(profile.status, 401)
  assert.deepEqual(profile.body, revokedSession)
})

test('logout with an expired access cookie still sent ends the session (injected clock)', async () => {
  // The example's start() takes a Revocable: one on a clock the test moves, from the built package.
  const { createRevocable } = (await import(`${ROOT}dist/index.js`)) as {
    createRevocable: (options: object) => Promise<unknown>
  }
  const { start } = (await import(`${ROOT}examples/express-cookies/index.js`)) as {
    start: (options: { port: number; auth: unknown }) => Promise<RunningApp>
  }
  interface RunningApp {
    url: string
    close(): Promise<void>
  }
  const clock = manualClock(Date.now())
  const auth = await createRevocable({ issuer: 'http://localhost', audience: 'x', clock })
  const local = await start({ port: 0, auth })
  try {
    const cookie = cookiesOf(await call(local.url, 'POST', '/auth/login', { body: alice }))
    clock.advance(306_000) // past the 300 s access token and the 5 s clock tolerance
    const expired = await call(local.url, 'GET', '/profile', { cookie })
    assert.equal(expired.status, 401)
    assert.match(String(expired.headers.get('www-authenticate')), /token has expired/)

    const logout = await call(local.url, 'POST', '/auth/logout', { cookie })
    assert.equal(logout.status, 204)
    const refreshed = await call(local.url, 'POST', '/auth/refresh', { cookie })
    assert.equal(refreshed.status, 400)
    assert.deepEqual(refreshed.body, { error: 'ERR_REFRESH_TOKEN_INVALID' })
  } finally {
    await local.close()
  }
})
