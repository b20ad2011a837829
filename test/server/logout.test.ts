/**
 * Logout when the access token has expired (or a page reload dropped it): the refresh token,
 * in the body or (cookie mode) in its cookie, is enough to end the session. Time is a manual
 * clock, so "expired" is a step of the clock, not a sleep.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { MemoryUserDirectory } from '../../src/service/users/memory.js'
import { MemoryStore } from '../../src/stores/memory.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import {
  bearer,
  me,
  PASSWORD,
  postForm,
  postJson,
  PUBLIC_CLIENT_ID,
  startService,
  testConfig,
  uniqueName,
  type Service,
} from './support.js'

const ORIGIN = 'https://app.test'
// ACCESS_TOKEN_TTL (300 s) plus the default clock tolerance (5 s), and a second more.
const PAST_EXPIRY = 306_000

/** The service on a Revocable whose clock the test moves. */
async function serviceWithClock(
  env: Record<string, string> = {},
): Promise<{ service: Service; clock: ManualClock }> {
  const clock = manualClock(Date.now())
  const config = testConfig({ ACCESS_TOKEN_TTL: '300', ...env })
  const auth = await createRevocable({
    issuer: config.issuer,
    audience: config.audience,
    accessTokenTtl: config.accessTokenTtl,
    store: new MemoryStore({ clock }),
    clock,
  })
  const service = await startService({
    config,
    runtime: {
      auth,
      store: auth.store,
      users: new MemoryUserDirectory(),
      close: () => auth.close(),
    },
  })
  return { service, clock }
}

async function register(service: Service): Promise<string> {
  const username = uniqueName('logout')
  const response = await postJson(service, '/auth/register', { username, password: PASSWORD })
  assert.equal(response.status, 201)
  return username
}

function logout(service: Service, body?: unknown, headers: Record<string, string> = {}) {
  return fetch(`${service.url}/auth/logout`, {
    method: 'POST',
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
}

describe('logout with the refresh token in the body', () => {
  test('ends the session though the access token has expired', async () => {
    const { service, clock } = await serviceWithClock()
    try {
      const username = await register(service)
      const login = await postJson(service, '/auth/login', { username, password: PASSWORD })
      const tokens = (await login.json()) as { access_token: string; refresh_token: string }
      clock.advance(PAST_EXPIRY)
      assert.equal((await logout(service, undefined, bearer(tokens.access_token))).status, 401)

      const response = await logout(service, { refresh_token: tokens.refresh_token })
      assert.equal(response.status, 204)
      const refresh = await postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      })
      assert.equal(refresh.status, 400)
      assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant')
    } finally {
      await service.close()
    }
  })

  test('is idempotent and answers an unknown token the same way', async () => {
    const { service } = await serviceWithClock()
    try {
      const username = await register(service)
      const login = await postJson(service, '/auth/login', { username, password: PASSWORD })
      const tokens = (await login.json()) as { access_token: string; refresh_token: string }
      assert.equal((await logout(service, { refresh_token: tokens.refresh_token })).status, 204)
      assert.equal((await logout(service, { refresh_token: tokens.refresh_token })).status, 204)
      assert.equal((await logout(service, { refresh_token: 'garbage' })).status, 204)
      assert.equal((await me(service, tokens.access_token)).status, 401)
    } finally {
      await service.close()
    }
  })

  test('a body that is not a refresh token is 400', async () => {
    const { service } = await serviceWithClock()
    try {
      assert.equal((await logout(service, { refresh_token: 42 })).status, 400)
      assert.equal((await logout(service, { other: 'x' })).status, 400)
      assert.equal((await logout(service)).status, 401)
    } finally {
      await service.close()
    }
  })
})

describe('logout in cookie mode', () => {
  const cookieEnv = { COOKIE_MODE: 'true', ALLOWED_ORIGINS: ORIGIN }

  async function browserLogin(service: Service) {
    const username = await register(service)
    const response = await postJson(
      service,
      '/auth/login',
      { username, password: PASSWORD },
      { origin: ORIGIN },
    )
    assert.equal(response.status, 200)
    const cookie = response.headers
      .getSetCookie()
      .map((line) => line.split(';')[0])
      .join('; ')
    const body = (await response.json()) as { access_token: string; csrf_token: string }
    return { cookie, csrf: body.csrf_token, accessToken: body.access_token }
  }

  function cookieRefresh(service: Service, browser: { cookie: string; csrf: string }) {
    return postForm(
      service,
      '/oauth/token',
      { grant_type: 'refresh_token' },
      { cookie: browser.cookie, origin: ORIGIN, 'x-csrf-token': browser.csrf },
    )
  }

  test('the refresh cookie alone ends the session after the access token expired', async () => {
    const { service, clock } = await serviceWithClock(cookieEnv)
    try {
      const browser = await browserLogin(service)
      clock.advance(PAST_EXPIRY)
      // The page still sends its stale access token; the cookie decides.
      const response = await logout(service, undefined, {
        ...bearer(browser.accessToken),
        cookie: browser.cookie,
        origin: ORIGIN,
        'x-csrf-token': browser.csrf,
      })
      assert.equal(response.status, 204)
      const cleared = response.headers.getSetCookie()
      assert.ok(cleared.some((line) => /^__Host-rvk_refresh=;/.test(line)))
      assert.ok(cleared.some((line) => /^__Host-rvk_csrf=;/.test(line)))
      const refresh = await cookieRefresh(service, browser)
      assert.equal(refresh.status, 400)
      assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant')
    } finally {
      await service.close()
    }
  })

  test('after a reload dropped the access token, the cookie alone logs out', async () => {
    const { service } = await serviceWithClock(cookieEnv)
    try {
      const browser = await browserLogin(service)
      const response = await logout(service, undefined, {
        cookie: browser.cookie,
        origin: ORIGIN,
        'x-csrf-token': browser.csrf,
      })
      assert.equal(response.status, 204)
      assert.equal((await me(service, browser.accessToken)).status, 401)
    } finally {
      await service.close()
    }
  })

  test('a cookie logout without the CSRF checks is 403 and ends nothing', async () => {
    const { service } = await serviceWithClock(cookieEnv)
    try {
      const browser = await browserLogin(service)
      const attempts: Record<string, string>[] = [
        { cookie: browser.cookie, origin: ORIGIN },
        { cookie: browser.cookie, origin: 'https://evil.test', 'x-csrf-token': browser.csrf },
        { cookie: browser.cookie, 'x-csrf-token': browser.csrf },
      ]
      for (const headers of attempts) {
        const response = await logout(service, undefined, headers)
        assert.equal(response.status, 403)
        assert.equal(((await response.json()) as { error: string }).error, 'access_denied')
      }
      assert.equal((await cookieRefresh(service, browser)).status, 200)
    } finally {
      await service.close()
    }
  })
})

describe('RFC 7009 revocation by a public client', () => {
  async function publicLogin(service: Service, clientId: string) {
    const username = await register(service)
    const response = await postJson(service, '/auth/login', {
      username,
      password: PASSWORD,
      client_id: clientId,
    })
    assert.equal(response.status, 200)
    return (await response.json()) as { access_token: string; refresh_token: string }
  }

  test('a public client revokes its own refresh token with only its client_id', async () => {
    const { service, clock } = await serviceWithClock()
    try {
      const tokens = await publicLogin(service, 'spa')
      clock.advance(PAST_EXPIRY)
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.refresh_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 200)
      const refresh = await postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: 'spa',
      })
      assert.equal(refresh.status, 400)
    } finally {
      await service.close()
    }
  })

  test('a public client revokes its own access token', async () => {
    const { service } = await serviceWithClock()
    try {
      const tokens = await publicLogin(service, 'spa')
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.access_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 200)
      assert.equal((await me(service, tokens.access_token)).status, 401)
    } finally {
      await service.close()
    }
  })

  test("a public client cannot revoke another client's tokens (200, nothing revoked)", async () => {
    const { service } = await serviceWithClock()
    try {
      const tokens = await publicLogin(service, 'spa')
      for (const token of [tokens.access_token, tokens.refresh_token]) {
        const response = await postForm(service, '/oauth/revoke', {
          token,
          client_id: PUBLIC_CLIENT_ID,
        })
        assert.equal(response.status, 200)
      }
      assert.equal((await me(service, tokens.access_token)).status, 200)
      const refresh = await postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
        client_id: 'spa',
      })
      assert.equal(refresh.status, 200)
    } finally {
      await service.close()
    }
  })
})
