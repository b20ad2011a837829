/**
 * The account and admin lifecycle routes of issue 15 over real HTTP, on every store the service
 * runs on (memory, SQLite, Redis): password change, re-authentication, account deletion,
 * suspension, claims that change without a logout. Time-dependent rules (step-up age, a
 * suspension that ends) run on a manual clock, never on sleeps.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { MemoryUserDirectory } from '../../src/service/users/memory.js'
import { MemoryStore } from '../../src/stores/memory.js'
import { parseBearerChallenge } from '../support/challenge.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import {
  ADMIN_TOKEN,
  bearer,
  logIn,
  me,
  PASSWORD,
  postForm,
  postJson,
  signUp,
  startService,
  testConfig,
  uniqueName,
  type Service,
  type Tokens,
} from './support.js'

const NEW_PASSWORD = 'a brand new passphrase 42'

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

async function call(
  service: Service,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const response = await fetch(service.url + path, {
    method,
    headers: {
      ...(options.token !== undefined && bearer(options.token)),
      ...(options.body !== undefined && { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
  }
}

const admin = (service: Service, method: string, path: string, body?: unknown) =>
  call(service, method, path, { token: ADMIN_TOKEN, ...(body !== undefined && { body }) })

function payload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString()) as Record<
    string,
    unknown
  >
}

function refresh(service: Service, refreshToken: string): Promise<Response> {
  return postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
  })
}

async function login(service: Service, username: string, password = PASSWORD) {
  return call(service, 'POST', '/auth/login', { body: { username, password } })
}

interface StoreCase {
  name: string
  env: () => Record<string, string>
  cleanup?: () => Promise<void>
}

const dir = mkdtempSync(join(tmpdir(), 'revocable-lifecycle-'))
const redisPrefix = `rvk-test:life:${randomBytes(6).toString('hex')}:`
const STORES: StoreCase[] = [
  { name: 'memory', env: () => ({}) },
  { name: 'sqlite', env: () => ({ STORE: `sqlite:${join(dir, 'lifecycle.db')}` }) },
  {
    name: 'redis',
    env: () => ({ STORE: REDIS_URL, REDIS_PREFIX: redisPrefix }),
    cleanup: () => deletePrefix(REDIS_URL, redisPrefix),
  },
]
after(() => rmSync(dir, { recursive: true, force: true }))

for (const store of STORES) {
  describe(`on ${store.name}`, () => {
    let service: Service
    before(async () => {
      service = await startService(store.env())
    })
    after(async () => {
      await service.close()
      await store.cleanup?.()
    })

    test('a password change with the current password leaves exactly the current session alive', async () => {
      const { username, tokens } = await signUp(service)
      const other = await logIn(service, username)
      const answer = await call(service, 'POST', '/auth/password', {
        token: tokens.access_token,
        body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
      })
      assert.equal(answer.status, 200)
      assert.equal(answer.headers.get('cache-control'), 'no-store')
      const fresh = answer.body as unknown as Tokens
      assert.equal(payload(fresh.access_token).sid, payload(tokens.access_token).sid)
      assert.equal(typeof payload(fresh.access_token).auth_time, 'number')
      // The other session: its access token and its refresh token are dead.
      assert.equal((await me(service, other.access_token)).status, 401)
      assert.equal((await refresh(service, other.refresh_token)).status, 400)
      // This one lives on, alone, with its new refresh token.
      const alive = await call(service, 'GET', '/auth/sessions', { token: fresh.access_token })
      assert.deepEqual(
        (alive.body.sessions as Array<{ id: string; current: boolean }>).map((x) => x.current),
        [true],
      )
      assert.equal((await me(service, fresh.access_token)).status, 200)
      assert.equal((await refresh(service, fresh.refresh_token)).status, 200)
      // The old password no longer logs in; the new one does.
      assert.equal((await login(service, username)).status, 401)
      assert.equal((await login(service, username, NEW_PASSWORD)).status, 200)
      const sessions = await call(service, 'GET', '/auth/sessions', { token: fresh.access_token })
      assert.equal((sessions.body.sessions as unknown[]).length, 2)
    })

    test('a deleted account: every token rejected, login refused, the username free again', async () => {
      const { sub, username, tokens } = await signUp(service)
      const answer = await call(service, 'DELETE', '/auth/account', {
        token: tokens.access_token,
        body: { password: PASSWORD },
      })
      assert.equal(answer.status, 204)
      assert.equal((await me(service, tokens.access_token)).status, 401)
      assert.equal((await refresh(service, tokens.refresh_token)).status, 400)
      assert.equal((await login(service, username)).status, 401)
      assert.equal((await admin(service, 'GET', `/admin/users/${sub}`)).status, 404)
      const again = await signUp(service, username)
      assert.notEqual(again.sub, sub)
      assert.equal((await me(service, again.tokens.access_token)).status, 200)
      // The old tokens stay rejected after the name is taken again.
      assert.equal((await me(service, tokens.access_token)).status, 401)
    })

    test('a suspended user gets 403 "account suspended" only with the right password, until reinstated', async () => {
      const { sub, username, tokens } = await signUp(service)
      const suspended = await admin(service, 'POST', `/admin/users/${sub}/suspend`, {
        reason: 'abuse report 7',
      })
      assert.equal(suspended.status, 200)
      assert.equal(suspended.body.sub, sub)
      assert.deepEqual(
        { ...(suspended.body.suspension as Record<string, unknown>), since: 'x' },
        { since: 'x', until: null, reason: 'abuse report 7' },
      )
      assert.equal((await me(service, tokens.access_token)).status, 401)
      const refused = await refresh(service, tokens.refresh_token)
      assert.equal(refused.status, 400)
      const right = await login(service, username)
      assert.deepEqual(
        [right.status, right.body],
        [403, { error: 'access_denied', error_description: 'account suspended' }],
      )
      const wrong = await login(service, username, 'not the password at all')
      assert.deepEqual([wrong.status, wrong.body.error], [401, 'invalid_grant'])
      assert.equal((await admin(service, 'POST', `/admin/users/${sub}/reinstate`)).status, 204)
      assert.equal((await login(service, username)).status, 200)
      const view = await admin(service, 'GET', `/admin/users/${sub}`)
      assert.equal(view.body.suspension, null)
    })

    test('new claims reject older access tokens with ERR_CLAIMS_CHANGED; a refresh carries them, same sid', async () => {
      const { sub, tokens } = await signUp(service)
      const set = await admin(service, 'PUT', `/admin/users/${sub}/claims`, {
        roles: ['editor'],
        tenant: 't-1',
      })
      assert.equal(set.status, 200)
      assert.deepEqual(set.body.claims, { roles: ['editor'], tenant: 't-1' })
      const old = await me(service, tokens.access_token)
      assert.equal(old.status, 401)
      const { params } = parseBearerChallenge(old.headers.get('www-authenticate') ?? '')
      assert.equal(params.error, 'invalid_token')
      assert.match(params.error_description ?? '', /refresh/)
      const next = await refresh(service, tokens.refresh_token)
      assert.equal(next.status, 200)
      const renewed = (await next.json()) as Tokens
      assert.equal(payload(renewed.access_token).sid, payload(tokens.access_token).sid)
      assert.deepEqual(payload(renewed.access_token).roles, ['editor'])
      assert.equal(payload(renewed.access_token).tenant, 't-1')
      assert.equal((await me(service, renewed.access_token)).status, 200)
      // A new login carries them too; clearing them takes them out of the next token.
      const { username } = (await admin(service, 'GET', `/admin/users/${sub}`)).body as {
        username: string
      }
      assert.deepEqual(payload((await logIn(service, username)).access_token).roles, ['editor'])
      assert.equal((await admin(service, 'PUT', `/admin/users/${sub}/claims`, {})).status, 200)
      assert.equal(payload((await logIn(service, username)).access_token).roles, undefined)
    })

    test('the admin finds a user by sub and by username, with its sessions and claims', async () => {
      const { sub, username } = await signUp(service)
      const bySub = await admin(service, 'GET', `/admin/users/${sub}`)
      assert.equal(bySub.status, 200)
      assert.deepEqual(
        { ...bySub.body, created_at: typeof bySub.body.created_at },
        { sub, username, created_at: 'string', suspension: null, claims: {}, sessions: 1 },
      )
      const byName = await admin(
        service,
        'GET',
        `/admin/users?username=${encodeURIComponent(username.toUpperCase())}`,
      )
      assert.deepEqual(byName.body, bySub.body)
      assert.equal((await admin(service, 'GET', '/admin/users?username=nobody-here')).status, 404)
      assert.equal((await admin(service, 'GET', '/admin/users')).status, 400)
    })

    test('an admin deletion forgets the user like the user would', async () => {
      const { sub, username, tokens } = await signUp(service)
      assert.equal((await admin(service, 'DELETE', `/admin/users/${sub}`)).status, 204)
      assert.equal((await me(service, tokens.access_token)).status, 401)
      assert.equal((await login(service, username)).status, 401)
      assert.equal((await admin(service, 'DELETE', `/admin/users/${sub}`)).status, 404)
      assert.equal((await signUp(service, username)).username, username)
    })
  })
}

describe('on Redis, across two instances', () => {
  const prefix = `rvk-test:life2:${randomBytes(6).toString('hex')}:`
  let a: Service
  let b: Service
  before(async () => {
    a = await startService({ STORE: REDIS_URL, REDIS_PREFIX: prefix })
    b = await startService({ STORE: REDIS_URL, REDIS_PREFIX: prefix })
  })
  after(async () => {
    await a.close()
    await b.close()
    await deletePrefix(REDIS_URL, prefix)
  })

  test('a suspension made on one instance refuses the login and the old token on the other', async () => {
    const { sub, username, tokens } = await signUp(a)
    assert.equal((await admin(a, 'POST', `/admin/users/${sub}/suspend`)).status, 200)
    assert.equal((await me(b, tokens.access_token)).status, 401)
    assert.equal((await login(b, username)).status, 403)
  })

  test('a claims change made on one instance rejects the old token on the other', async () => {
    const { sub, tokens } = await signUp(a)
    assert.equal((await admin(a, 'PUT', `/admin/users/${sub}/claims`, { plan: 'pro' })).status, 200)
    assert.equal((await me(b, tokens.access_token)).status, 401)
    const next = (await (await refresh(b, tokens.refresh_token)).json()) as Tokens
    assert.equal(payload(next.access_token).plan, 'pro')
  })
})

/** The service on a memory store whose clock the test moves. */
async function serviceWithClock(
  env: Record<string, string> = {},
): Promise<{ service: Service; clock: ManualClock }> {
  const clock = manualClock(Date.now())
  const config = testConfig({ ACCESS_TOKEN_TTL: '3600', ...env })
  const users = new MemoryUserDirectory()
  const auth = await createRevocable({
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtl: config.accessTokenTtl,
    store: new MemoryStore({ clock }),
    clock,
    resolveClaims: ({ sub }) => users.getClaims(sub),
  })
  const service = await startService({
    config,
    runtime: { auth, store: auth.store, users, close: () => auth.close() },
  })
  return { service, clock }
}

describe('step-up and re-authentication (manual clock)', () => {
  let service: Service
  let clock: ManualClock
  before(async () => {
    ;({ service, clock } = await serviceWithClock({ LOCKOUT_PAIR_FAILURES: '3' }))
  })
  after(() => service.close())

  test('a recent login changes the password without the current one', async () => {
    const { tokens, username } = await signUp(service)
    const answer = await call(service, 'POST', '/auth/password', {
      token: tokens.access_token,
      body: { new_password: NEW_PASSWORD },
    })
    assert.equal(answer.status, 200)
    assert.equal((await login(service, username, NEW_PASSWORD)).status, 200)
  })

  test('past STEP_UP_MAX_AGE, a change without the current password is the RFC 9470 challenge', async () => {
    const { tokens, username } = await signUp(service)
    clock.advance(301_000)
    const answer = await call(service, 'POST', '/auth/password', {
      token: tokens.access_token,
      body: { new_password: NEW_PASSWORD },
    })
    assert.equal(answer.status, 401)
    assert.equal(answer.body.error, 'insufficient_user_authentication')
    const { params } = parseBearerChallenge(answer.headers.get('www-authenticate') ?? '')
    assert.equal(params.error, 'insufficient_user_authentication')
    assert.equal(params.max_age, '300')
    // The password is unchanged.
    assert.equal((await login(service, username)).status, 200)
    // With the current password it goes through.
    const withPassword = await call(service, 'POST', '/auth/password', {
      token: tokens.access_token,
      body: { current_password: PASSWORD, new_password: NEW_PASSWORD },
    })
    assert.equal(withPassword.status, 200)
  })

  test('re-authentication gives the same session a fresh auth_time and spends the old refresh token', async () => {
    const { tokens } = await signUp(service)
    const before = payload(tokens.access_token).auth_time as number
    clock.advance(600_000)
    const answer = await call(service, 'POST', '/auth/reauthenticate', {
      token: tokens.access_token,
      body: { password: PASSWORD },
    })
    assert.equal(answer.status, 200)
    const fresh = answer.body as unknown as Tokens
    assert.equal(payload(fresh.access_token).sid, payload(tokens.access_token).sid)
    assert.equal(payload(fresh.access_token).auth_time, before + 600)
    // Now recent: the password changes without the current one.
    const change = await call(service, 'POST', '/auth/password', {
      token: fresh.access_token,
      body: { new_password: NEW_PASSWORD },
    })
    assert.equal(change.status, 200)
    assert.equal((await refresh(service, tokens.refresh_token)).status, 400)
  })

  test('a wrong password is 403 and counted by the login lockout: then 429, even with the right one', async () => {
    const { tokens } = await signUp(service)
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const wrong = await call(service, 'POST', '/auth/reauthenticate', {
        token: tokens.access_token,
        body: { password: 'wrong password number x' },
      })
      assert.deepEqual(
        [wrong.status, wrong.body],
        [403, { error: 'access_denied', error_description: 'the password is incorrect' }],
      )
    }
    const locked = await call(service, 'POST', '/auth/reauthenticate', {
      token: tokens.access_token,
      body: { password: PASSWORD },
    })
    assert.equal(locked.status, 429)
    assert.ok(Number(locked.headers.get('retry-after')) > 0)
  })

  test('a wrong current password or a weak new one changes nothing', async () => {
    const { tokens, username } = await signUp(service)
    const wrong = await call(service, 'POST', '/auth/password', {
      token: tokens.access_token,
      body: { current_password: 'not it, not it at all', new_password: NEW_PASSWORD },
    })
    assert.equal(wrong.status, 403)
    const weak = await call(service, 'POST', '/auth/password', {
      token: tokens.access_token,
      body: { current_password: PASSWORD, new_password: '12345678' },
    })
    assert.deepEqual([weak.status, weak.body.error], [400, 'invalid_password'])
    assert.equal((await login(service, username)).status, 200)
    const wrongDelete = await call(service, 'DELETE', '/auth/account', {
      token: tokens.access_token,
      body: { password: 'not it, not it at all' },
    })
    assert.equal(wrongDelete.status, 403)
    assert.equal((await me(service, tokens.access_token)).status, 200)
  })

  test('a suspension with "until" lifts by itself when that time passes', async () => {
    const { sub, username } = await signUp(service)
    const until = new Date(clock() + 3_600_000).toISOString()
    const answer = await admin(service, 'POST', `/admin/users/${sub}/suspend`, { until })
    assert.equal(answer.status, 200)
    assert.equal((answer.body.suspension as { until: string }).until, until)
    assert.equal((await login(service, username)).status, 403)
    clock.advance(3_600_001)
    assert.equal((await login(service, username)).status, 200)
  })
})

describe('admin input', () => {
  let service: Service
  before(async () => {
    service = await startService()
  })
  after(() => service.close())

  test('every admin user route answers 404 for an unknown sub', async () => {
    const sub = 'no-such-sub'
    for (const [method, path, body] of [
      ['GET', `/admin/users/${sub}`],
      ['POST', `/admin/users/${sub}/suspend`, {}],
      ['POST', `/admin/users/${sub}/reinstate`],
      ['DELETE', `/admin/users/${sub}`],
      ['PUT', `/admin/users/${sub}/claims`, { a: 1 }],
    ] as const) {
      const answer = await admin(service, method, path, body)
      assert.deepEqual(
        [answer.status, answer.body],
        [404, { error: 'not_found', error_description: 'no such user' }],
        `${method} ${path}`,
      )
    }
  })

  test('registered claim names, bad names and oversized claims are refused without echoing them', async () => {
    const { sub } = await signUp(service)
    for (const claims of [
      { sub: 'someone-else' },
      { auth_time: 1 },
      { cnf: {} },
      { '<script>': 1 },
      { big: 'x'.repeat(5000) },
      [1, 2],
    ]) {
      const answer = await admin(service, 'PUT', `/admin/users/${sub}/claims`, claims)
      assert.equal(answer.status, 400, JSON.stringify(claims).slice(0, 40))
      assert.equal(answer.body.error, 'invalid_request')
      assert.doesNotMatch(String(answer.body.error_description), /someone-else|script/)
    }
    assert.deepEqual((await admin(service, 'GET', `/admin/users/${sub}`)).body.claims, {})
  })

  test('"until" must be an RFC 3339 date-time in the future', async () => {
    const { sub, username } = await signUp(service)
    for (const until of ['tomorrow', '2020-01-01T00:00:00Z', '2030-13-45T99:00:00Z']) {
      const answer = await admin(service, 'POST', `/admin/users/${sub}/suspend`, { until })
      assert.equal(answer.status, 400, until)
    }
    assert.equal((await login(service, username)).status, 200)
  })

  test('the new admin routes need the admin token', async () => {
    const { sub, tokens } = await signUp(service)
    for (const [method, path] of [
      ['GET', `/admin/users/${sub}`],
      ['GET', `/admin/users?username=x`],
      ['POST', `/admin/users/${sub}/suspend`],
      ['POST', `/admin/users/${sub}/reinstate`],
      ['DELETE', `/admin/users/${sub}`],
      ['PUT', `/admin/users/${sub}/claims`],
    ] as const) {
      const answer = await call(service, method, path, { token: tokens.access_token })
      assert.equal(answer.status, 401, `${method} ${path}`)
    }
    assert.equal((await me(service, tokens.access_token)).status, 200)
  })

  test('a bad token is a 401 on the account routes whatever the body', async () => {
    for (const [method, path] of [
      ['POST', '/auth/password'],
      ['POST', '/auth/reauthenticate'],
      ['DELETE', '/auth/account'],
    ] as const) {
      for (const body of [undefined, { nonsense: true }, { password: PASSWORD }]) {
        const answer = await call(service, method, path, {
          token: 'not.a.token',
          ...(body !== undefined && { body }),
        })
        assert.equal(answer.status, 401, `${method} ${path}`)
        assert.match(answer.headers.get('www-authenticate') ?? '', /^Bearer /)
      }
    }
  })
})

describe('cookie mode', () => {
  const ORIGIN = 'https://app.test'
  let service: Service
  before(async () => {
    service = await startService({ COOKIE_MODE: 'true', ALLOWED_ORIGINS: ORIGIN })
  })
  after(() => service.close())

  async function cookieLogin(username: string) {
    const response = await postJson(
      service,
      '/auth/login',
      { username, password: PASSWORD },
      { origin: ORIGIN },
    )
    assert.equal(response.status, 200)
    return (await response.json()) as { access_token: string; csrf_token: string }
  }

  test('a password change answers a new refresh cookie and CSRF token, not a refresh token', async () => {
    const username = uniqueName('cookie')
    await postJson(service, '/auth/register', { username, password: PASSWORD })
    const tokens = await cookieLogin(username)
    const response = await fetch(`${service.url}/auth/password`, {
      method: 'POST',
      headers: {
        ...bearer(tokens.access_token),
        'content-type': 'application/json',
        origin: ORIGIN,
      },
      body: JSON.stringify({ current_password: PASSWORD, new_password: NEW_PASSWORD }),
    })
    assert.equal(response.status, 200)
    const body = (await response.json()) as Record<string, unknown>
    assert.equal(body.refresh_token, undefined)
    assert.equal(typeof body.csrf_token, 'string')
    assert.ok(response.headers.getSetCookie().some((c) => c.startsWith('__Host-rvk_refresh=')))
  })

  test('another origin may not call them; deleting the account clears the cookies', async () => {
    const username = uniqueName('cookie')
    await postJson(service, '/auth/register', { username, password: PASSWORD })
    const tokens = await cookieLogin(username)
    const foreign = await call(service, 'DELETE', '/auth/account', {
      token: tokens.access_token,
      body: { password: PASSWORD },
      headers: { origin: 'https://evil.test' },
    })
    assert.deepEqual([foreign.status, foreign.body.error], [403, 'access_denied'])
    const response = await fetch(`${service.url}/auth/account`, {
      method: 'DELETE',
      headers: {
        ...bearer(tokens.access_token),
        'content-type': 'application/json',
        origin: ORIGIN,
      },
      body: JSON.stringify({ password: PASSWORD }),
    })
    assert.equal(response.status, 204)
    const cleared = response.headers.getSetCookie()
    assert.ok(
      cleared.some((c) => c.startsWith('__Host-rvk_refresh=;')),
      cleared.join(' | '),
    )
  })
})
