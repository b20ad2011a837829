import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ADMIN_TOKEN, bearer, logIn, me, signUp, startService, type Service } from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

function admin(path: string, init: RequestInit = {}, token = ADMIN_TOKEN) {
  return fetch(service.url + path, {
    method: 'POST',
    ...init,
    headers: { ...bearer(token), ...(init.headers as Record<string, string> | undefined) },
  })
}

describe('with ADMIN_TOKEN', () => {
  test('POST /admin/users/:sub/revoke ends every session of the user', async () => {
    const { sub, username, tokens } = await signUp(service)
    const second = await logIn(service, username)
    const response = await admin(`/admin/users/${sub}/revoke`, {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'password reset' }),
    })
    assert.equal(response.status, 204)
    assert.equal((await me(service, tokens.access_token)).status, 401)
    assert.equal((await me(service, second.access_token)).status, 401)
    // A later login works: the cutoff covers only what was issued before it.
    const after = await logIn(service, username)
    assert.equal((await me(service, after.access_token)).status, 200)
  })

  test('GET /admin/users/:sub/sessions lists the sessions of any user', async () => {
    const { sub, username } = await signUp(service)
    await logIn(service, username)
    const response = await admin(`/admin/users/${sub}/sessions`, { method: 'GET' })
    assert.equal(response.status, 200)
    const { sessions } = (await response.json()) as { sessions: { current: boolean }[] }
    assert.equal(sessions.length, 2)
    assert.ok(sessions.every((session) => session.current === false))
  })

  test('POST /admin/keys/rotate adds a signing key; old tokens keep working', async () => {
    const { tokens } = await signUp(service)
    const before = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[]
    }
    const response = await admin('/admin/keys/rotate')
    assert.equal(response.status, 200)
    const { kid } = (await response.json()) as { kid: string }
    const afterKeys = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string }[]
    }
    assert.equal(afterKeys.keys.length, before.keys.length + 1)
    assert.ok(afterKeys.keys.some((key) => key.kid === kid))
    assert.equal((await me(service, tokens.access_token)).status, 200)
  })

  test('an unknown field in an admin body is a 400', async () => {
    const response = await admin('/admin/revoke-all', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'x', everything: true }),
    })
    assert.equal(response.status, 400)
  })

  test('a wrong admin token is 401 invalid_token', async () => {
    const response = await admin('/admin/revoke-all', {}, 'not-the-admin-token-at-all')
    assert.equal(response.status, 401)
    assert.equal(
      response.headers.get('www-authenticate'),
      'Bearer realm="admin", error="invalid_token"',
    )
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_token')
  })

  test('no admin token is 401 with a bare challenge', async () => {
    const response = await fetch(`${service.url}/admin/keys/rotate`, { method: 'POST' })
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer realm="admin"')
  })

  test("a user's access token is not an admin token", async () => {
    const { sub, tokens } = await signUp(service)
    const response = await admin(
      `/admin/users/${sub}/sessions`,
      { method: 'GET' },
      tokens.access_token,
    )
    assert.equal(response.status, 401)
  })

  test('POST /admin/revoke-all rejects every token issued until then', async () => {
    const { username, tokens } = await signUp(service)
    const response = await admin('/admin/revoke-all')
    assert.equal(response.status, 204)
    assert.equal((await me(service, tokens.access_token)).status, 401)
    const later = await logIn(service, username)
    assert.equal((await me(service, later.access_token)).status, 200)
  })
})

test('without ADMIN_TOKEN the admin API does not exist (404)', async () => {
  const open = await startService({ ADMIN_TOKEN: '' })
  try {
    for (const [method, path] of [
      ['POST', '/admin/revoke-all'],
      ['POST', '/admin/keys/rotate'],
      ['POST', '/admin/users/someone/revoke'],
      ['GET', '/admin/users/someone/sessions'],
    ] as const) {
      const response = await fetch(open.url + path, { method, headers: bearer(ADMIN_TOKEN) })
      assert.equal(response.status, 404, path)
    }
    const { tokens } = await signUp(open)
    assert.equal((await me(open, tokens.access_token)).status, 200)
  } finally {
    await open.close()
  }
})
