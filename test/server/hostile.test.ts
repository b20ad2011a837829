// The service's share of the adversarial suite (issue 11): every token of the hostile corpus
// (valid ones included) and arbitrary Unicode in the header and payload, on every route that
// takes a bearer token, over real HTTP. The verdict is the library's, every rejection is a 401
// whose challenge parses back, the service stays up, and no token reaches its log.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import fc from 'fast-check'
import type { Runtime } from '../../src/service/runtime.js'
import { MemoryUserDirectory } from '../../src/service/users/memory.js'
import {
  assertInvalidToken,
  deliveries,
  hostileTokens,
  watchForCrashes,
  withDeadline,
  type HttpAnswer,
} from '../conformance/hostile-http.js'
import { TOKEN_CASES, openVerifier, type Verifier } from '../conformance/hostile-tokens.js'
import { parseBearerChallenge } from '../support/challenge.js'
import { captureLogs } from '../support/log-capture.js'
import { clientBasic, startService, testConfig, type Service } from './support.js'
import { verdict } from '../support/verdict.js'

/** Every route that takes a user's bearer token, with what a good token gets there. */
const USER_ROUTES = [
  { method: 'GET', path: '/auth/me', ok: 200 },
  { method: 'GET', path: '/auth/sessions', ok: 200 },
  { method: 'DELETE', path: '/auth/sessions/no-such-session', ok: 404 },
  { method: 'POST', path: '/auth/logout', ok: 204 },
  { method: 'POST', path: '/auth/logout-all', ok: 204 },
  // The devices page's own calls (src/server/pages/account.ts).
  { method: 'GET', path: '/account/sessions', ok: 200 },
  { method: 'POST', path: '/account/sessions/end-others', ok: 200 },
  // The account routes (issue 15) check the token before the body: no body is a 400 only for a
  // good token.
  { method: 'POST', path: '/auth/reauthenticate', ok: 400 },
  { method: 'POST', path: '/auth/password', ok: 400 },
  { method: 'DELETE', path: '/auth/account', ok: 400 },
] as const

/** The admin routes: a bearer token too, which no token of the corpus is. */
const ADMIN_ROUTES = [
  { method: 'POST', path: '/admin/users/user-1/revoke' },
  { method: 'POST', path: '/admin/revoke-all' },
  { method: 'POST', path: '/admin/keys/rotate' },
  { method: 'GET', path: '/admin/users/user-1/sessions' },
  { method: 'GET', path: '/admin/users/user-1' },
  { method: 'GET', path: '/admin/users?username=alice' },
  { method: 'POST', path: '/admin/users/user-1/suspend' },
  { method: 'POST', path: '/admin/users/user-1/reinstate' },
  { method: 'PUT', path: '/admin/users/user-1/claims' },
  { method: 'DELETE', path: '/admin/users/user-1' },
] as const

async function call(
  service: Service,
  method: string,
  path: string,
  headers: Record<string, string>,
): Promise<HttpAnswer> {
  const res = await withDeadline(
    `${method} ${path}`,
    fetch(service.url + path, { method, headers }),
  )
  const text = await res.text()
  let body: unknown = text
  try {
    body = text === '' ? undefined : JSON.parse(text)
  } catch {
    // not JSON: compared as text
  }
  return { status: res.status, headers: Object.fromEntries(res.headers), body }
}

describe('the service under hostile tokens', () => {
  let verifier: Verifier
  let service: Service
  const logs = captureLogs()
  const sent = new Set<string>()

  before(async () => {
    verifier = await openVerifier()
    const runtime: Runtime = {
      auth: verifier.auth,
      store: verifier.auth.store,
      users: new MemoryUserDirectory(),
      close: async () => {},
    }
    service = await startService(
      {
        // Hundreds of wrong admin tokens come from one address here: the guessing throttle
        // (its own tests in guessing.test.ts) must not turn them into 429s.
        config: testConfig({
          LOG_LEVEL: 'info',
          ACCESS_LOG: 'true',
          LOCKOUT_CREDENTIAL_FAILURES: '1000000',
        }),
        runtime,
      },
      logs.stream,
    )
  })
  after(async () => {
    await service.close()
    await verifier.close()
  })

  async function libraryAccepts(token: string | undefined): Promise<boolean> {
    if (token === undefined || token === '') return false
    return (await verdict(verifier.auth.verify(token))) === 'valid'
  }

  /** Introspection (RFC 7662) of `token` must agree with the library too: active or not. */
  async function expectIntrospection(token: string): Promise<void> {
    // A form carries UTF-8: a lone surrogate arrives as U+FFFD.
    const received = Buffer.from(token, 'utf8').toString('utf8')
    const response = await withDeadline(
      'POST /oauth/introspect',
      fetch(`${service.url}/oauth/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...clientBasic() },
        body: new URLSearchParams({ token }).toString(),
      }),
    )
    const body = (await response.json()) as { active?: boolean; error?: string }
    // An empty token is an omitted one, and the form caps a token at 8192 characters.
    if (received === '' || received.length > 8192) {
      assert.deepEqual([response.status, body.error], [400, 'invalid_request'])
      return
    }
    assert.deepEqual([response.status, body.active], [200, await libraryAccepts(received)])
  }

  /** Sends `token` to every bearer route; each answer must match the library's verdict. */
  async function expectVerdicts(token: string): Promise<void> {
    sent.add(token)
    await expectIntrospection(token)
    for (const way of deliveries(token, 'unused')) {
      if (way.cookie) continue // the service takes access tokens from the header only
      sent.add(token)
      for (const route of USER_ROUTES) {
        const good = await libraryAccepts(way.received)
        const answer = await call(service, route.method, route.path, way.headers)
        if (good) assert.equal(answer.status, route.ok, `${route.method} ${route.path}`)
        else assertInvalidToken(answer)
      }
      for (const route of ADMIN_ROUTES) {
        const answer = await call(service, route.method, route.path, way.headers)
        assert.equal(answer.status, 401)
        const { params } = parseBearerChallenge(answer.headers['www-authenticate'])
        assert.deepEqual(params, { realm: 'admin', error: 'invalid_token' })
        assert.deepEqual(answer.body, {
          error: 'invalid_token',
          error_description: 'admin token required',
        })
      }
    }
  }

  test(`every token of the hostile corpus (${TOKEN_CASES.length}) gets the library's verdict on every bearer route and from introspection`, async () => {
    const crashes = watchForCrashes()
    const failures: string[] = []
    try {
      for (const c of TOKEN_CASES) {
        try {
          await expectVerdicts(c.build(verifier.context))
        } catch (error) {
          failures.push(`${c.name}: ${(error as Error).message.split('\n')[0]}`)
        }
      }
    } finally {
      crashes.stop()
    }
    assert.deepEqual(crashes.seen, [], 'the service process would have died')
    assert.deepEqual(failures, [])
    assert.equal((await call(service, 'GET', '/healthz', {})).status, 200)
  })

  test('arbitrary Unicode in alg, kid, typ, crit and the payload only ever gets a 401 with a valid challenge', async () => {
    const crashes = watchForCrashes()
    try {
      await fc.assert(
        fc.asyncProperty(hostileTokens(verifier.context), async (token) => {
          await assert.rejects(verifier.auth.verify(token))
          await expectVerdicts(token)
        }),
        { seed: 11, numRuns: 40 },
      )
    } finally {
      crashes.stop()
    }
    assert.deepEqual(crashes.seen, [], 'the service process would have died')
  })

  test('no token sent in the tests above appears in the log, and no stack trace does', () => {
    assert.ok(logs.lines.length > 0, 'the service logged nothing at all')
    const leaked = [...sent].filter(
      (token) => token.length >= 16 && logs.linesWith(token).length > 0,
    )
    assert.deepEqual(leaked, [])
    assert.deepEqual(
      logs.lines.filter((line) => /"stack"|\n\s+at /.test(line)),
      [],
    )
  })
})
