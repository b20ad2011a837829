/**
 * The behaviours every framework adapter must have, as one suite each adapter's test file runs
 * through its framework's real request path. Every app serves the same routes:
 *
 * - `GET /me`      authenticate                       → `{ sub }`
 * - `GET /maybe`   authenticate `{ optional: true }`  → `{ sub }` (`null` when anonymous)
 * - `GET /admin`   authenticate, requireScope('admin') → `{ sub }`
 * - `GET /cookie`  authenticate `{ cookie: 'access_token' }` → `{ sub }`
 * - `GET /realm`   authenticate `{ realm: 'example' }` → `{ sub }`
 * - `GET /realm-admin` authenticate `{ realm: 'example' }`, requireScope('admin') → `{ sub }`
 * - `GET /refreshing` authenticate `REFRESHING` (access cookie + transparent refresh) → `{ sub }`
 * - `GET /recent`  authenticate `{ maxAuthAge: RECENT }` (Nest: `@MaxAuthAge(RECENT)`) → `{ sub }`
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { makeAuth, type TestAuth } from '../support/auth.js'
import { RedisProcess } from '../support/redis-server.js'

export interface Answer {
  status: number
  /** Lower-case header names. */
  headers: Record<string, string | undefined>
  body: unknown
  /** Every `Set-Cookie` header, one entry each (apps of the refresh tests fill it). */
  cookies?: string[]
}

/** The options of the `/refreshing` route: cookie sessions with a transparent refresh. */
export const REFRESHING = {
  cookie: 'access_token',
  refresh: { cookie: 'refresh_token' },
} as const

/** The `maxAuthAge` of the `/recent` route, in seconds. */
export const RECENT = 300

/** RFC 9470's step-up answer for a route with `maxAuthAge` `maxAge`. */
export function stepUp(maxAge: number): Partial<Answer> {
  const description = 'a more recent authentication is required'
  return {
    status: 401,
    headers: {
      'www-authenticate': `Bearer error="insufficient_user_authentication", error_description="${description}", max_age="${maxAge}"`,
    },
    body: { error: 'insufficient_user_authentication', error_description: description },
  }
}

export interface AdapterApp {
  request(path: string, headers?: Record<string, string>): Promise<Answer>
  close(): Promise<void>
}

export type MakeApp = (auth: Revocable) => Promise<AdapterApp>

export const BARE_CHALLENGE = 'Bearer'

export function invalidToken(description: string, realm?: string): Partial<Answer> {
  const prefix = realm === undefined ? '' : `realm="${realm}", `
  return {
    status: 401,
    headers: {
      'www-authenticate': `Bearer ${prefix}error="invalid_token", error_description="${description}"`,
    },
    body: { error: 'invalid_token', error_description: description },
  }
}

/** Asserts status, `WWW-Authenticate`, `Retry-After` and body exactly. */
export function assertAnswer(actual: Answer, expected: Partial<Answer>): void {
  // (`cookies` is asserted by the tests that care.)
  assert.equal(actual.status, expected.status)
  assert.equal(actual.headers['www-authenticate'], expected.headers?.['www-authenticate'])
  assert.equal(actual.headers['retry-after'], expected.headers?.['retry-after'])
  assert.deepEqual(actual.body, expected.body)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

/** The value a `Set-Cookie` header gives the cookie `name`, and its attributes; or undefined. */
function setCookie(answer: Answer, name: string) {
  const header = (answer.cookies ?? []).find((cookie) => cookie.startsWith(`${name}=`))
  if (header === undefined) return undefined
  const [pair = '', ...attributes] = header.split(';').map((part) => part.trim())
  return { value: decodeURIComponent(pair.slice(name.length + 1)), attributes }
}

/**
 * An app on a Revocable whose Redis has been stopped: every verify needs the store (no replica)
 * and fails with ERR_STORE_UNAVAILABLE. Resolves to the app, a token it issued, and a cleanup.
 */
async function outage(makeApp: MakeApp) {
  const redis = await RedisProcess.start({ args: ['--save', '', '--appendonly', 'no'] })
  const store = await RedisStore.connect({
    url: redis.url,
    prefix: 'adapter-outage:',
    warn: () => {},
  })
  const auth = await createRevocable({
    issuer: 'https://auth.example.test',
    audience: 'api.example.test',
    keys: [{ secret: 'an-hmac-secret-of-at-least-32-bytes!!', kid: 'outage' }],
    store,
    replica: false,
  })
  const token = await auth.issue({ sub: 'user-42' })
  const app = await makeApp(auth)
  await redis.stop()
  return {
    app,
    token,
    async cleanup() {
      await app.close()
      await auth.close()
      await store.close().catch(() => undefined)
      await redis.destroy()
    },
  }
}

/** What an adapter supports beyond the common behaviours. */
export interface AdapterFeatures {
  /** Serves `/refreshing` (the `refresh` option) and reports `Set-Cookie` headers. */
  refresh?: boolean
}

export function adapterSuite(
  framework: string,
  makeApp: MakeApp,
  features: AdapterFeatures = {},
): void {
  describe(`${framework} adapter`, () => {
    let t: TestAuth
    let app: AdapterApp
    before(async () => {
      t = await makeAuth()
      app = await makeApp(t.auth)
    })
    after(async () => {
      await app.close()
      await t.auth.close()
    })

    test('a valid bearer token reaches the handler with its claims', async () => {
      const token = await t.auth.issue({ sub: 'user-42' })
      const answer = await app.request('/me', bearer(token))
      assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-42' } })
    })

    test('a request without a token gets 401 and a bare Bearer challenge', async () => {
      const answer = await app.request('/me')
      assertAnswer(answer, {
        status: 401,
        headers: { 'www-authenticate': BARE_CHALLENGE },
        body: { error: 'invalid_token', error_description: 'no access token' },
      })
    })

    test('a malformed Authorization header is answered as a malformed token', async () => {
      const answer = await app.request('/me', { authorization: 'Basic dXNlcjpwYXNz' })
      assertAnswer(answer, invalidToken('the Authorization header is not a Bearer token'))
    })

    test('a bearer value that is not a JWT is rejected as invalid_token', async () => {
      const answer = await app.request('/me', bearer('not-a-jwt'))
      assertAnswer(answer, invalidToken('token must have three segments'))
    })

    test('an expired token is rejected as invalid_token', async () => {
      const token = await t.auth.issue({ sub: 'user-42', ttl: 60 })
      t.clock.advance(66_000) // past exp and the 5 s clock tolerance
      const answer = await app.request('/me', bearer(token))
      assertAnswer(answer, invalidToken('token has expired'))
    })

    test('a revoked token is rejected as invalid_token', async () => {
      const token = await t.auth.issue({ sub: 'user-42' })
      assert.equal((await app.request('/me', bearer(token))).status, 200)
      await t.auth.revokeToken(token)
      const answer = await app.request('/me', bearer(token))
      assertAnswer(answer, invalidToken('token has been revoked (token)'))
    })

    test('a token of a revoked session is rejected as invalid_token', async () => {
      const { accessToken, session } = await t.auth.startSession({ sub: 'user-42' })
      await t.auth.revokeSession(session.id)
      const answer = await app.request('/me', bearer(accessToken))
      assertAnswer(answer, invalidToken('token has been revoked (session)'))
    })

    test('the configured realm appears in every challenge', async () => {
      const missing = await app.request('/realm')
      assert.equal(missing.headers['www-authenticate'], 'Bearer realm="example"')
      const bad = await app.request('/realm', bearer('not-a-jwt'))
      assertAnswer(bad, invalidToken('token must have three segments', 'example'))
    })

    test('a scope check answers in the realm the request was authenticated under', async () => {
      const token = await t.auth.issue({ sub: 'user-42', scope: 'read' })
      const answer = await app.request('/realm-admin', bearer(token))
      assert.equal(answer.status, 403)
      assert.equal(
        answer.headers['www-authenticate'],
        'Bearer realm="example", error="insufficient_scope", error_description="the token lacks the scope admin", scope="admin"',
      )
    })

    test('optional mode lets a request without a token through without claims', async () => {
      const answer = await app.request('/maybe')
      assertAnswer(answer, { status: 200, headers: {}, body: { sub: null } })
    })

    test('optional mode still sets the claims of a valid token', async () => {
      const token = await t.auth.issue({ sub: 'user-7' })
      const answer = await app.request('/maybe', bearer(token))
      assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-7' } })
    })

    test('optional mode still rejects a token that fails', async () => {
      const token = await t.auth.issue({ sub: 'user-42' })
      await t.auth.revokeToken(token)
      const answer = await app.request('/maybe', bearer(token))
      assertAnswer(answer, invalidToken('token has been revoked (token)'))
    })

    test('a token in the configured cookie authenticates the request', async () => {
      const token = await t.auth.issue({ sub: 'user-42' })
      const answer = await app.request('/cookie', { cookie: `theme=dark; access_token=${token}` })
      assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-42' } })
    })

    test('a cookie is ignored unless the adapter is configured to read it', async () => {
      const token = await t.auth.issue({ sub: 'user-42' })
      const answer = await app.request('/me', { cookie: `access_token=${token}` })
      assert.equal(answer.status, 401)
      assert.equal(answer.headers['www-authenticate'], BARE_CHALLENGE)
    })

    describe('transparent refresh (cookie sessions)', { skip: features.refresh !== true }, () => {
      const cookies = (access: string | undefined, refresh: string | undefined) => ({
        cookie: [
          'theme=dark',
          ...(access === undefined ? [] : [`access_token=${access}`]),
          ...(refresh === undefined ? [] : [`refresh_token=${refresh}`]),
        ].join('; '),
      })
      /** A session whose access token has just expired (the clock moved past it). */
      async function expiredSession() {
        const tokens = await t.auth.startSession({ sub: 'user-42' })
        t.clock.advance((tokens.expiresIn + 10) * 1000) // past exp and the clock tolerance
        return tokens
      }

      test('an expired access cookie and a valid refresh cookie get through with both cookies rotated', async () => {
        const tokens = await expiredSession()
        const answer = await app.request(
          '/refreshing',
          cookies(tokens.accessToken, tokens.refreshToken),
        )
        assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-42' } })
        assert.equal((answer.cookies ?? []).length, 2)
        const access = setCookie(answer, 'access_token')
        const refresh = setCookie(answer, 'refresh_token')
        assert.ok(access !== undefined && refresh !== undefined)
        assert.notEqual(access.value, tokens.accessToken)
        assert.notEqual(refresh.value, tokens.refreshToken)
        for (const cookie of [access, refresh]) {
          assert.ok(cookie.attributes.includes('HttpOnly'))
          assert.ok(cookie.attributes.includes('Secure'))
          assert.ok(cookie.attributes.includes('SameSite=Lax'))
          assert.ok(cookie.attributes.includes('Path=/'))
          assert.ok(cookie.attributes.some((part) => /^Max-Age=[1-9]\d*$/.test(part)))
        }
        assert.ok(access.attributes.includes(`Max-Age=${tokens.expiresIn}`))
        // The new access cookie works on its own: no second refresh.
        const again = await app.request('/refreshing', cookies(access.value, undefined))
        assertAnswer(again, { status: 200, headers: {}, body: { sub: 'user-42' } })
        assert.deepEqual(again.cookies ?? [], [])
      })

      test('a missing access cookie is refreshed the same way', async () => {
        const tokens = await t.auth.startSession({ sub: 'user-7' })
        const answer = await app.request('/refreshing', cookies(undefined, tokens.refreshToken))
        assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-7' } })
        assert.equal((answer.cookies ?? []).length, 2)
      })

      test('parallel requests with the same refresh cookie all get through, with the same heir', async () => {
        const tokens = await expiredSession()
        const both = await Promise.all(
          [1, 2].map(() =>
            app.request('/refreshing', cookies(tokens.accessToken, tokens.refreshToken)),
          ),
        )
        for (const answer of both) {
          assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-42' } })
        }
        const heirs = both.map((answer) => setCookie(answer, 'refresh_token')?.value)
        assert.ok(heirs[0] !== undefined)
        assert.equal(heirs[1], heirs[0])
      })

      test('a replayed refresh cookie is refused, clears both cookies and revokes the family', async () => {
        const tokens = await expiredSession()
        const first = await app.request('/refreshing', cookies(undefined, tokens.refreshToken))
        const heir = setCookie(first, 'refresh_token')?.value
        assert.ok(heir !== undefined)
        // The heir is used: the next rotation happens.
        const second = await app.request('/refreshing', cookies(undefined, heir))
        assert.equal(second.status, 200)
        const grandchild = setCookie(second, 'refresh_token')?.value
        assert.ok(grandchild !== undefined)
        // The old cookie again (a stolen copy): refused, and the browser told to drop both.
        const replay = await app.request('/refreshing', cookies(undefined, tokens.refreshToken))
        assert.equal(replay.status, 401)
        assert.equal((replay.body as { error: string }).error, 'invalid_token')
        assert.ok(!JSON.stringify(replay.body).includes(tokens.refreshToken))
        assert.ok(!(replay.headers['www-authenticate'] ?? '').includes(tokens.refreshToken))
        for (const name of ['access_token', 'refresh_token']) {
          const cleared = setCookie(replay, name)
          assert.ok(cleared !== undefined, `${name} is cleared`)
          assert.equal(cleared.value, '')
          assert.ok(cleared.attributes.includes('Max-Age=0'))
        }
        // The whole family is gone: the latest heir no longer refreshes.
        const later = await app.request('/refreshing', cookies(undefined, grandchild))
        assert.equal(later.status, 401)
        assert.equal((later.cookies ?? []).length, 2)
      })

      test('an expired access cookie without a refresh cookie gets the normal 401', async () => {
        const tokens = await expiredSession()
        const answer = await app.request('/refreshing', cookies(tokens.accessToken, undefined))
        assertAnswer(answer, invalidToken('token has expired'))
        assert.deepEqual(answer.cookies ?? [], [])
        const none = await app.request('/refreshing', cookies(undefined, undefined))
        assertAnswer(none, {
          status: 401,
          headers: { 'www-authenticate': BARE_CHALLENGE },
          body: { error: 'invalid_token', error_description: 'no access token' },
        })
        assert.deepEqual(none.cookies ?? [], [])
      })

      test('a revoked access cookie is not refreshed around', async () => {
        const tokens = await t.auth.startSession({ sub: 'user-42' })
        await t.auth.revokeToken(tokens.accessToken)
        const answer = await app.request(
          '/refreshing',
          cookies(tokens.accessToken, tokens.refreshToken),
        )
        assertAnswer(answer, invalidToken('token has been revoked (token)'))
        assert.deepEqual(answer.cookies ?? [], [])
      })
    })

    test('a stale authentication gets the RFC 9470 step-up challenge; a reauthenticated one passes', async () => {
      const login = await t.auth.startSession({ sub: 'user-42' })
      const ok = { status: 200, headers: {}, body: { sub: 'user-42' } }
      assertAnswer(await app.request('/recent', bearer(login.accessToken)), ok)
      t.clock.advance((RECENT + 1) * 1000)
      // A refresh keeps auth_time: the new token is good, but not for /recent.
      const refreshed = await t.auth.refresh(login.refreshToken)
      assertAnswer(await app.request('/me', bearer(refreshed.accessToken)), ok)
      assertAnswer(await app.request('/recent', bearer(refreshed.accessToken)), stepUp(RECENT))
      const again = await t.auth.reauthenticate(login.session.id)
      assertAnswer(await app.request('/recent', bearer(again.accessToken)), ok)
      // A token that does not say when the user authenticated never passes.
      const bare = await t.auth.issue({ sub: 'user-42' })
      assertAnswer(await app.request('/recent', bearer(bare)), stepUp(RECENT))
    })

    test('a revoked token on a maxAuthAge route is answered as revoked, not as a step-up', async () => {
      const login = await t.auth.startSession({ sub: 'user-43' })
      await t.auth.revokeSession(login.session.id)
      const answer = await app.request('/recent', bearer(login.accessToken))
      assert.equal(answer.status, 401)
      assert.match(answer.headers['www-authenticate'] ?? '', /error="invalid_token"/)
    })

    test('a token with the required scope passes the scope check', async () => {
      const token = await t.auth.issue({ sub: 'user-42', scope: 'read admin' })
      const answer = await app.request('/admin', bearer(token))
      assertAnswer(answer, { status: 200, headers: {}, body: { sub: 'user-42' } })
    })

    test('a token without the required scope gets 403 insufficient_scope', async () => {
      const token = await t.auth.issue({ sub: 'user-42', scope: 'read' })
      const answer = await app.request('/admin', bearer(token))
      const description = 'the token lacks the scope admin'
      assertAnswer(answer, {
        status: 403,
        headers: {
          'www-authenticate': `Bearer error="insufficient_scope", error_description="${description}", scope="admin"`,
        },
        body: { error: 'insufficient_scope', error_description: description },
      })
    })

    test('a store outage answers 503 with Retry-After and no details', async () => {
      const down = await outage(makeApp)
      try {
        const answer = await down.app.request('/me', bearer(down.token))
        assertAnswer(answer, {
          status: 503,
          headers: { 'retry-after': '1' },
          body: {
            error: 'temporarily_unavailable',
            error_description: 'token state is temporarily unavailable',
          },
        })
      } finally {
        await down.cleanup()
      }
    })
  })
}
