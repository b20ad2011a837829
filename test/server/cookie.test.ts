import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import {
  bearer,
  me,
  PASSWORD,
  postForm,
  postJson,
  startService,
  uniqueName,
  type Service,
} from './support.js'

const ORIGIN = 'https://app.test'
let service: Service
before(async () => {
  service = await startService({ COOKIE_MODE: 'true', ALLOWED_ORIGINS: ORIGIN })
})
after(() => service.close())

interface Browser {
  cookies: Map<string, string>
  csrf: string
  accessToken: string
}

function parseSetCookies(response: Response, into: Map<string, string>): string[] {
  const raw = response.headers.getSetCookie()
  for (const line of raw) {
    const [pair] = line.split(';')
    const [name, value] = (pair as string).split('=') as [string, string]
    if (value === '') into.delete(name)
    else into.set(name, decodeURIComponent(value))
  }
  return raw
}

function cookieHeader(cookies: Map<string, string>): string {
  return [...cookies].map(([name, value]) => `${name}=${value}`).join('; ')
}

async function browserLogin(): Promise<Browser & { setCookies: string[] }> {
  const username = uniqueName('browser')
  await postJson(service, '/auth/register', { username, password: PASSWORD })
  const response = await postJson(
    service,
    '/auth/login',
    { username, password: PASSWORD },
    { origin: ORIGIN },
  )
  assert.equal(response.status, 200)
  const cookies = new Map<string, string>()
  const setCookies = parseSetCookies(response, cookies)
  const body = (await response.json()) as Record<string, string>
  return {
    cookies,
    csrf: body.csrf_token as string,
    accessToken: body.access_token as string,
    setCookies,
  }
}

function refreshWithCookie(browser: Browser, headers: Record<string, string>) {
  return postForm(
    service,
    '/oauth/token',
    { grant_type: 'refresh_token' },
    {
      cookie: cookieHeader(browser.cookies),
      ...headers,
    },
  )
}

test('login puts the refresh token in a __Host- cookie and never in the body', async () => {
  const username = uniqueName('browser')
  await postJson(service, '/auth/register', { username, password: PASSWORD })
  const response = await postJson(
    service,
    '/auth/login',
    { username, password: PASSWORD },
    { origin: ORIGIN },
  )
  const setCookies = response.headers.getSetCookie()
  const body = (await response.json()) as Record<string, unknown>
  assert.deepEqual(Object.keys(body).sort(), [
    'access_token',
    'csrf_token',
    'expires_in',
    'token_type',
  ])
  const refresh = setCookies.find((line) => line.startsWith('__Host-rvk_refresh=rvk_rt_'))
  assert.ok(refresh, setCookies.join('\n'))
  const attributes = refresh.split('; ').slice(1).sort()
  assert.deepEqual(attributes, [
    'HttpOnly',
    'Max-Age=7776000',
    'Path=/',
    'SameSite=Strict',
    'Secure',
  ])
  const csrf = setCookies.find((line) => line.startsWith('__Host-rvk_csrf='))
  assert.ok(csrf)
  assert.ok(!csrf.includes('HttpOnly'))
  assert.ok(csrf.includes(`__Host-rvk_csrf=${body.csrf_token as string};`))
})

test('a refresh with the cookie, an allowed Origin and the CSRF header rotates the cookie', async () => {
  const browser = await browserLogin()
  const before = browser.cookies.get('__Host-rvk_refresh')
  const response = await refreshWithCookie(browser, {
    origin: ORIGIN,
    'x-csrf-token': browser.csrf,
  })
  assert.equal(response.status, 200)
  parseSetCookies(response, browser.cookies)
  const body = (await response.json()) as Record<string, string>
  assert.equal(body.refresh_token, undefined)
  assert.notEqual(browser.cookies.get('__Host-rvk_refresh'), before)
  assert.equal((await me(service, body.access_token as string)).status, 200)
})

test('a cookie refresh without the CSRF header is 403 and rotates nothing', async () => {
  const browser = await browserLogin()
  const response = await refreshWithCookie(browser, { origin: ORIGIN })
  assert.equal(response.status, 403)
  assert.deepEqual(await response.json(), {
    error: 'access_denied',
    error_description: 'the CSRF token is missing',
  })
  const retry = await refreshWithCookie(browser, { origin: ORIGIN, 'x-csrf-token': browser.csrf })
  assert.equal(retry.status, 200)
})

test('a cookie refresh with a wrong CSRF token is 403', async () => {
  const browser = await browserLogin()
  const response = await refreshWithCookie(browser, { origin: ORIGIN, 'x-csrf-token': 'forged' })
  assert.equal(response.status, 403)
  assert.equal(
    ((await response.json()) as { error_description: string }).error_description,
    'the CSRF token does not match',
  )
})

test('a cookie refresh from another Origin, or with none, is 403', async () => {
  const browser = await browserLogin()
  const attempts: Record<string, string>[] = [
    { origin: 'https://evil.test', 'x-csrf-token': browser.csrf },
    { 'x-csrf-token': browser.csrf },
  ]
  for (const headers of attempts) {
    const response = await refreshWithCookie(browser, headers)
    assert.equal(response.status, 403)
    assert.equal(
      ((await response.json()) as { error_description: string }).error_description,
      'the Origin header is missing or not allowed',
    )
  }
})

test('a login from a foreign Origin is 403', async () => {
  const username = uniqueName('browser')
  await postJson(service, '/auth/register', { username, password: PASSWORD })
  const response = await postJson(
    service,
    '/auth/login',
    { username, password: PASSWORD },
    { origin: 'https://evil.test' },
  )
  assert.equal(response.status, 403)
})

test('logout ends the session and clears both cookies', async () => {
  const browser = await browserLogin()
  const response = await fetch(`${service.url}/auth/logout`, {
    method: 'POST',
    headers: { ...bearer(browser.accessToken), cookie: cookieHeader(browser.cookies) },
  })
  assert.equal(response.status, 204)
  const cleared = response.headers.getSetCookie()
  assert.ok(cleared.some((line) => /^__Host-rvk_refresh=;.*Expires=Thu, 01 Jan 1970/.test(line)))
  assert.ok(cleared.some((line) => /^__Host-rvk_csrf=;/.test(line)))
  const refresh = await refreshWithCookie(browser, { origin: ORIGIN, 'x-csrf-token': browser.csrf })
  assert.equal(refresh.status, 400)
  assert.equal(((await refresh.json()) as { error: string }).error, 'invalid_grant')
})

test('any equal CSRF cookie and header no longer pass: the token is bound to the session', async () => {
  const browser = await browserLogin()
  const cookies = new Map(browser.cookies)
  cookies.set('__Host-rvk_csrf', 'chosen-by-the-attacker')
  const response = await refreshWithCookie(
    { ...browser, cookies },
    { origin: ORIGIN, 'x-csrf-token': 'chosen-by-the-attacker' },
  )
  assert.equal(response.status, 403)
  assert.equal(
    ((await response.json()) as { error_description: string }).error_description,
    'the CSRF token does not match',
  )
})

test("another session's CSRF token does not pass with this session's cookie", async () => {
  const mine = await browserLogin()
  const theirs = await browserLogin()
  const cookies = new Map(mine.cookies)
  cookies.set('__Host-rvk_csrf', theirs.csrf)
  const response = await refreshWithCookie(
    { ...mine, cookies },
    { origin: ORIGIN, 'x-csrf-token': theirs.csrf },
  )
  assert.equal(response.status, 403)
})

test('a login in a browser that already has a session ends that session', async () => {
  const first = await browserLogin()
  const username = uniqueName('browser')
  await postJson(service, '/auth/register', { username, password: PASSWORD })
  const response = await postJson(
    service,
    '/auth/login',
    { username, password: PASSWORD },
    { origin: ORIGIN, cookie: cookieHeader(first.cookies) },
  )
  assert.equal(response.status, 200)
  assert.equal((await me(service, first.accessToken)).status, 401)
  const stale = await refreshWithCookie(first, { origin: ORIGIN, 'x-csrf-token': first.csrf })
  assert.equal(stale.status, 400)
})
