import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  bearer,
  logIn,
  me,
  PASSWORD,
  postJson,
  signUp,
  startService,
  uniqueName,
  type Service,
} from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

describe('POST /auth/register', () => {
  test('a new username is registered with 201 and a sub', async () => {
    const response = await postJson(service, '/auth/register', {
      username: uniqueName(),
      password: PASSWORD,
    })
    assert.equal(response.status, 201)
    const body = (await response.json()) as { sub: string }
    assert.deepEqual(Object.keys(body), ['sub'])
    assert.match(body.sub, /^[0-9a-f-]{36}$/)
  })

  test('a taken username is refused with 409, whatever its case', async () => {
    const username = uniqueName('Taken')
    await postJson(service, '/auth/register', { username, password: PASSWORD })
    const response = await postJson(service, '/auth/register', {
      username: username.toLowerCase(),
      password: 'another password',
    })
    assert.equal(response.status, 409)
    assert.deepEqual(await response.json(), {
      error: 'username_taken',
      error_description: 'the username is taken',
    })
  })

  test('a short password, a bad username, a missing field or an unknown field is a 400', async () => {
    const bodies = [
      { username: uniqueName(), password: 'short' },
      { username: 'has space', password: PASSWORD },
      { username: uniqueName() },
      { username: uniqueName(), password: PASSWORD, admin: true },
      { username: 42, password: PASSWORD },
    ]
    for (const body of bodies) {
      const response = await postJson(service, '/auth/register', body)
      assert.equal(response.status, 400, JSON.stringify(body))
      const answer = (await response.json()) as { error: string }
      // The password rules answer with their own error (test/server/passwords.test.ts).
      assert.equal(answer.error, body.password === 'short' ? 'invalid_password' : 'invalid_request')
    }
  })
})

describe('POST /auth/login', () => {
  test('good credentials get an RFC 6749 token response', async () => {
    const username = uniqueName()
    await postJson(service, '/auth/register', { username, password: PASSWORD })
    const response = await postJson(service, '/auth/login', { username, password: PASSWORD })
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    assert.equal(response.headers.get('pragma'), 'no-cache')
    const body = (await response.json()) as Record<string, unknown>
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'token_type',
    ])
    assert.equal(body.token_type, 'Bearer')
    assert.equal(body.expires_in, 300)
    assert.match(body.access_token as string, /^[\w-]+\.[\w-]+\.[\w-]+$/)
    assert.match(body.refresh_token as string, /^rvk_rt_/)
  })

  test('a wrong password and an unknown user get the same 401 invalid_grant', async () => {
    const { username } = await signUp(service)
    const wrong = await postJson(service, '/auth/login', { username, password: 'not the password' })
    const unknown = await postJson(service, '/auth/login', {
      username: uniqueName('ghost'),
      password: PASSWORD,
    })
    const expected = { error: 'invalid_grant', error_description: 'invalid username or password' }
    assert.equal(wrong.status, 401)
    assert.equal(unknown.status, 401)
    assert.deepEqual(await wrong.json(), expected)
    assert.deepEqual(await unknown.json(), expected)
  })

  test('a client_id given at login is carried in the access token', async () => {
    const { username } = await signUp(service)
    const response = await postJson(service, '/auth/login', {
      username,
      password: PASSWORD,
      client_id: 'web-app',
    })
    const { access_token } = (await response.json()) as { access_token: string }
    const claims = (await (await me(service, access_token)).json()) as Record<string, unknown>
    assert.equal(claims.client_id, 'web-app')
  })

  test('logins beyond the rate limit get 429 with Retry-After', async () => {
    const limited = await startService({ LOGIN_RATE_LIMIT: '2' })
    try {
      const statuses: number[] = []
      for (let i = 0; i < 3; i += 1) {
        const response = await postJson(limited, '/auth/login', {
          username: 'nobody',
          password: PASSWORD,
        })
        statuses.push(response.status)
        if (response.status === 429) {
          assert.notEqual(response.headers.get('retry-after'), null)
          assert.equal(((await response.json()) as { error: string }).error, 'too_many_requests')
        }
      }
      assert.deepEqual(statuses, [401, 401, 429])
    } finally {
      await limited.close()
    }
  })
})

describe('GET /auth/me', () => {
  test('a valid access token gets 200 with its claims', async () => {
    const { sub, tokens } = await signUp(service)
    const response = await me(service, tokens.access_token)
    assert.equal(response.status, 200)
    const claims = (await response.json()) as Record<string, unknown>
    assert.equal(claims.sub, sub)
    assert.equal(claims.iss, 'http://auth.test')
    assert.equal(claims.aud, 'http://auth.test')
    assert.equal(typeof claims.sid, 'string')
    assert.equal(typeof claims.jti, 'string')
  })

  test('no token gets 401 with a bare Bearer challenge', async () => {
    const response = await fetch(`${service.url}/auth/me`)
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), 'Bearer')
    assert.deepEqual(await response.json(), {
      error: 'invalid_token',
      error_description: 'no access token',
    })
  })

  test('a bad token gets 401 with WWW-Authenticate Bearer error="invalid_token"', async () => {
    const { tokens } = await signUp(service)
    const [header, payload, signature] = tokens.access_token.split('.') as [string, string, string]
    const tampered = `${header}.${payload}.${signature.slice(0, -4)}AAAA`
    for (const token of ['garbage', 'a.b.c', tampered]) {
      const response = await me(service, token)
      assert.equal(response.status, 401, token)
      assert.match(
        response.headers.get('www-authenticate') ?? '',
        /^Bearer error="invalid_token", error_description="[^"]+"$/,
      )
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_token')
    }
  })

  test('a malformed Authorization header gets 401 invalid_token', async () => {
    const response = await fetch(`${service.url}/auth/me`, {
      headers: { authorization: 'Basic dXNlcjpwYXNz' },
    })
    assert.equal(response.status, 401)
    assert.match(response.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/)
  })
})

describe('logout and sessions', () => {
  test('logout ends the session: 204, then the same token gets 401', async () => {
    const { tokens } = await signUp(service)
    assert.equal((await me(service, tokens.access_token)).status, 200)
    const response = await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    assert.equal(response.status, 204)
    assert.equal(await response.text(), '')
    const after = await me(service, tokens.access_token)
    assert.equal(after.status, 401)
    assert.equal(
      after.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="token has been revoked (session)"',
    )
  })

  test('logout without a token gets 401', async () => {
    const response = await fetch(`${service.url}/auth/logout`, { method: 'POST' })
    assert.equal(response.status, 401)
  })

  test('logout-all ends every session of the caller and no one else', async () => {
    const { username, tokens: first } = await signUp(service)
    const second = await logIn(service, username)
    const other = await signUp(service)
    const response = await fetch(`${service.url}/auth/logout-all`, {
      method: 'POST',
      headers: bearer(first.access_token),
    })
    assert.equal(response.status, 204)
    assert.equal((await me(service, first.access_token)).status, 401)
    assert.equal((await me(service, second.access_token)).status, 401)
    assert.equal((await me(service, other.tokens.access_token)).status, 200)
  })

  test("GET /auth/sessions lists the caller's sessions and marks the current one", async () => {
    const { username, tokens: first } = await signUp(service)
    await logIn(service, username)
    const response = await fetch(`${service.url}/auth/sessions`, {
      headers: { ...bearer(first.access_token), 'user-agent': 'test-agent/1' },
    })
    assert.equal(response.status, 200)
    const { sessions } = (await response.json()) as { sessions: Record<string, unknown>[] }
    assert.equal(sessions.length, 2)
    for (const session of sessions) {
      assert.deepEqual(Object.keys(session).sort(), [
        'client_id',
        'created_at',
        'current',
        'expires_at',
        'id',
        'ip',
        'last_used_at',
        'user_agent',
      ])
      assert.equal(session.ip, '127.0.0.1')
      assert.equal(session.client_id, null)
    }
    assert.equal(sessions.filter((s) => s.current === true).length, 1)
  })

  test('DELETE /auth/sessions/:id ends one of my sessions with 204', async () => {
    const { username, tokens: first } = await signUp(service)
    const second = await logIn(service, username)
    const list = await fetch(`${service.url}/auth/sessions`, {
      headers: bearer(first.access_token),
    })
    const { sessions } = (await list.json()) as { sessions: { id: string; current: boolean }[] }
    const otherId = sessions.find((s) => !s.current)?.id as string
    const response = await fetch(`${service.url}/auth/sessions/${otherId}`, {
      method: 'DELETE',
      headers: bearer(first.access_token),
    })
    assert.equal(response.status, 204)
    assert.equal((await me(service, second.access_token)).status, 401)
    assert.equal((await me(service, first.access_token)).status, 200)
  })

  test("DELETE /auth/sessions/:id of another user's session is a 404 and ends nothing", async () => {
    const mine = await signUp(service)
    const theirs = await signUp(service)
    const theirSid = (
      (await (await me(service, theirs.tokens.access_token)).json()) as { sid: string }
    ).sid
    const response = await fetch(`${service.url}/auth/sessions/${theirSid}`, {
      method: 'DELETE',
      headers: bearer(mine.tokens.access_token),
    })
    assert.equal(response.status, 404)
    assert.deepEqual(await response.json(), {
      error: 'not_found',
      error_description: 'no such session',
    })
    assert.equal((await me(service, theirs.tokens.access_token)).status, 200)
  })
})
