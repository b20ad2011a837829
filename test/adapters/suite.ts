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
  assert.equal(actual.status, expected.status)
  assert.equal(actual.headers['www-authenticate'], expected.headers?.['www-authenticate'])
  assert.equal(actual.headers['retry-after'], expected.headers?.['retry-after'])
  assert.deepEqual(actual.body, expected.body)
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

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

export function adapterSuite(framework: string, makeApp: MakeApp): void {
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
