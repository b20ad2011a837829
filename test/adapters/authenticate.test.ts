import assert from 'node:assert/strict'
import { test } from 'node:test'
import {
  checkRequiredScope,
  readCookie,
  resolveAuthenticateOptions,
  scopeFailure,
} from '../../src/adapters/authenticate.js'
import type { AccessTokenClaims } from '../../src/index.js'

test('readCookie finds a cookie among others and decodes it', () => {
  assert.equal(readCookie('a=1; access_token=x%2Ey; b=2', 'access_token'), 'x.y')
  assert.equal(readCookie(['a=1', 'access_token="q"'], 'access_token'), 'q')
  assert.equal(readCookie('xaccess_token=1', 'access_token'), undefined)
  assert.equal(readCookie('access_token=', 'access_token'), undefined)
  assert.equal(readCookie(undefined, 'access_token'), undefined)
  assert.equal(readCookie('access_token=%E0%A4%A', 'access_token'), '%E0%A4%A')
})

test('a required scope list needs every scope it names', () => {
  const claims = { sub: 'u', scope: 'read write' } as AccessTokenClaims
  assert.equal(scopeFailure(claims, checkRequiredScope('read write')), undefined)
  assert.equal(scopeFailure(claims, checkRequiredScope('read admin'))?.status, 403)
  assert.equal(
    scopeFailure({ sub: 'u' } as AccessTokenClaims, checkRequiredScope('read'))?.status,
    403,
  )
  assert.equal(scopeFailure(undefined, checkRequiredScope('read'))?.status, 401)
})

test('adapter options are checked once and a bad one named in a TypeError', () => {
  const auth = { verify: () => Promise.resolve() }
  assert.throws(() => resolveAuthenticateOptions(auth, { optional: 'yes' as never }), {
    name: 'TypeError',
    message: '"optional" must be a boolean',
  })
  assert.throws(() => resolveAuthenticateOptions(auth, { realm: '' }), {
    name: 'TypeError',
    message: '"realm" must be a non-empty string',
  })
  assert.throws(() => checkRequiredScope('bad"scope'), { name: 'TypeError' })
  assert.deepEqual(resolveAuthenticateOptions(auth, undefined), {
    optional: false,
    cookie: undefined,
    realm: undefined,
    refresh: undefined,
    maxAuthAge: undefined,
  })
  assert.throws(() => resolveAuthenticateOptions(auth, { maxAuthAge: -1 }), {
    name: 'TypeError',
    message: '"maxAuthAge" must be a non-negative number of seconds',
  })
})

test('the refresh option is checked at construction, each bad field named', () => {
  const auth = { verify: () => Promise.resolve(), refresh: () => Promise.resolve() }
  const bad: [unknown, string][] = [
    [{ cookie: 'refresh_token', refresh: 'yes' }, '"refresh" must be an object'],
    [{ cookie: 'access_token', refresh: {} }, '"refresh.cookie" must be a cookie name'],
    [{ cookie: 'a', refresh: { cookie: 'r t' } }, '"refresh.cookie" must be a cookie name'],
    [{ refresh: { cookie: 'r' } }, '"refresh" needs "cookie" (the access-token cookie it renews)'],
    [{ cookie: 'a', refresh: { cookie: 'a' } }, '"refresh.cookie" must differ from "cookie"'],
    [
      { cookie: 'a', refresh: { cookie: 'r', path: 'auth' } },
      '"refresh.path" must be a cookie path starting with /',
    ],
    [
      { cookie: 'a', refresh: { cookie: 'r', path: '/; Domain=evil' } },
      '"refresh.path" must be a cookie path starting with /',
    ],
    [
      { cookie: 'a', refresh: { cookie: 'r', domain: 'a;b' } },
      '"refresh.domain" must be a cookie domain',
    ],
    [{ cookie: 'a', refresh: { cookie: 'r', secure: 'no' } }, '"refresh.secure" must be a boolean'],
    [
      { cookie: 'a', refresh: { cookie: 'r', sameSite: 'None' } },
      '"refresh.sameSite" must be "Lax" or "Strict"',
    ],
  ]
  for (const [options, message] of bad) {
    assert.throws(() => resolveAuthenticateOptions(auth, options as never), {
      name: 'TypeError',
      message,
    })
  }
  assert.throws(
    () =>
      resolveAuthenticateOptions(
        { verify: auth.verify },
        { cookie: 'a', refresh: { cookie: 'r' } },
      ),
    { name: 'TypeError', message: '"refresh" needs a Revocable with refresh()' },
  )
  const resolved = resolveAuthenticateOptions(auth, {
    cookie: 'a',
    refresh: { cookie: 'r', path: '/app', secure: false, sameSite: 'Strict' },
  })
  assert.deepEqual(resolved.refresh, {
    cookie: 'r',
    attributes: '; Path=/app; HttpOnly; SameSite=Strict',
  })
})
