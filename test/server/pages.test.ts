// The pages' server side (issue 17) over real HTTP: cookie delivery on request with COOKIE_MODE
// off (same Origin and CSRF checks as cookie mode), the pages' headers, the admin console's
// cookie, Origin and CSRF checks. The browser flows are in test/browser/pages.test.ts.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  ADMIN_TOKEN,
  ISSUER,
  PASSWORD,
  bearer,
  postForm,
  postJson,
  signUp,
  startService,
  uniqueName,
  type Service,
} from './support.js'

const PAGE = { origin: ISSUER, 'x-revocable-cookies': '1' }

/** name=value of each Set-Cookie of a response. */
function cookiesOf(response: Response): Map<string, string> {
  const cookies = new Map<string, string>()
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const at = (pair ?? '').indexOf('=')
    cookies.set((pair ?? '').slice(0, at), (pair ?? '').slice(at + 1))
  }
  return cookies
}

/** A console form post (redirects not followed: the 303 is the answer). */
function consolePost(
  path: string,
  params: Record<string, string>,
  headers: Record<string, string>,
): Promise<Response> {
  return fetch(service.url + path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams(params).toString(),
    redirect: 'manual',
  })
}

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

async function pageLogin(headers: Record<string, string> = PAGE) {
  const username = uniqueName('page')
  await postJson(service, '/auth/register', { username, password: PASSWORD })
  const response = await postJson(service, '/auth/login', { username, password: PASSWORD }, headers)
  return { response, username }
}

describe('cookie delivery for the pages, with COOKIE_MODE off', () => {
  test('a login that asks for cookies gets the refresh token in the __Host- cookie only', async () => {
    assert.equal(service.config.cookieMode, false)
    const { response } = await pageLogin()
    assert.equal(response.status, 200)
    const body = (await response.json()) as Record<string, string>
    assert.equal(body.refresh_token, undefined)
    assert.equal(typeof body.csrf_token, 'string')
    const cookies = cookiesOf(response)
    assert.ok((cookies.get('__Host-rvk_refresh') ?? '').length > 20)
    const line = response.headers.getSetCookie().find((c) => c.startsWith('__Host-rvk_refresh='))
    assert.match(line ?? '', /HttpOnly/)
    assert.match(line ?? '', /Secure/)
    assert.match(line ?? '', /SameSite=Strict/)
  })

  test('a login without the header is unchanged: the refresh token in the body, no cookie', async () => {
    const { tokens } = await signUp(service)
    assert.equal(typeof tokens.refresh_token, 'string')
  })

  test('a login asking for cookies from an Origin not allowed is refused', async () => {
    const { response } = await pageLogin({ ...PAGE, origin: 'http://evil.test' })
    assert.equal(response.status, 403)
  })

  test('the refresh cookie refreshes only with the CSRF token and an allowed Origin', async () => {
    const { response } = await pageLogin()
    const { csrf_token: csrf } = (await response.json()) as { csrf_token: string }
    const cookie = `__Host-rvk_refresh=${cookiesOf(response).get('__Host-rvk_refresh')}`
    const refresh = (headers: Record<string, string>) =>
      postForm(service, '/oauth/token', { grant_type: 'refresh_token' }, { cookie, ...headers })
    assert.equal((await refresh({ ...PAGE })).status, 403, 'no CSRF token')
    assert.equal(
      (await refresh({ ...PAGE, origin: 'http://evil.test', 'x-csrf-token': csrf })).status,
      403,
      'foreign Origin',
    )
    assert.equal((await refresh({ ...PAGE, 'x-csrf-token': 'x'.repeat(43) })).status, 403)
    // Without the header the cookie is not even read (COOKIE_MODE off): as before.
    assert.equal((await refresh({ origin: ISSUER, 'x-csrf-token': csrf })).status, 400)
    const good = await refresh({ ...PAGE, 'x-csrf-token': csrf })
    assert.equal(good.status, 200)
    const body = (await good.json()) as Record<string, string>
    assert.equal(body.refresh_token, undefined)
    assert.notEqual(body.csrf_token, csrf, 'a new CSRF token with the rotated cookie')
  })
})

describe('the devices page', () => {
  test('its session list names the browser and OS and marks this device', async () => {
    const username = uniqueName('dev')
    await postJson(service, '/auth/register', { username, password: PASSWORD })
    const firefox =
      'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0'
    await postJson(
      service,
      '/auth/login',
      { username, password: PASSWORD },
      { 'user-agent': firefox },
    )
    const login = await postJson(service, '/auth/login', { username, password: PASSWORD })
    const { access_token: token } = (await login.json()) as { access_token: string }
    const response = await fetch(`${service.url}/account/sessions`, { headers: bearer(token) })
    assert.equal(response.status, 200)
    const { sessions } = (await response.json()) as {
      sessions: Array<{ browser: string; os: string; current: boolean }>
    }
    assert.equal(sessions.length, 2)
    const other = sessions.find((session) => !session.current)
    assert.deepEqual([other?.browser, other?.os], ['Firefox 121', 'Windows 10'])
  })

  test('"sign out of all other devices" keeps exactly this session', async () => {
    const { username, tokens } = await signUp(service)
    const other = await postJson(service, '/auth/login', { username, password: PASSWORD })
    const { access_token: otherToken } = (await other.json()) as { access_token: string }
    const ended = await fetch(`${service.url}/account/sessions/end-others`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    assert.deepEqual(await ended.json(), { ended: 1 })
    assert.equal(
      (await fetch(`${service.url}/auth/me`, { headers: bearer(otherToken) })).status,
      401,
    )
    assert.equal(
      (await fetch(`${service.url}/auth/me`, { headers: bearer(tokens.access_token) })).status,
      200,
    )
  })

  test('/account without a session cookie goes to sign-in', async () => {
    const response = await fetch(`${service.url}/account`, { redirect: 'manual' })
    assert.equal(response.status, 303)
    assert.equal(response.headers.get('location'), '/')
  })
})

describe('headers and reflected text', () => {
  test('pages carry the strict CSP; the JSON API does not change', async () => {
    const page = await fetch(`${service.url}/`)
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'self'/)
    assert.equal(page.headers.get('cache-control'), 'no-store')
    const api = await fetch(`${service.url}/.well-known/jwks.json`)
    assert.equal(api.headers.get('content-security-policy'), null)
  })

  test('a notice is one of a fixed list, never the query text', async () => {
    const text = await (await fetch(`${service.url}/?notice=%3Cb%3Ehi%3C%2Fb%3E`)).text()
    assert.doesNotMatch(text, /<b>hi|&lt;b&gt;hi/)
    const ended = await (await fetch(`${service.url}/?notice=ended`)).text()
    assert.match(ended, /You were signed out on another device\./)
  })

  test('a username in the query is escaped into the form', async () => {
    const text = await (await fetch(`${service.url}/?username=%22%3E%3Cscript%3E`)).text()
    assert.match(text, /value="&quot;&gt;&lt;script&gt;"/)
  })
})

describe('the admin console', () => {
  async function consoleCookie(): Promise<string> {
    const response = await consolePost(
      '/admin/console/sign-in',
      { token: ADMIN_TOKEN },
      {
        origin: ISSUER,
      },
    )
    assert.equal(response.status, 303)
    return `__Host-rvk_admin=${cookiesOf(response).get('__Host-rvk_admin')}`
  }

  async function csrfOf(cookie: string): Promise<string> {
    const page = await (await fetch(`${service.url}/admin`, { headers: { cookie } })).text()
    const match = /name="csrf" value="([^"]+)"/.exec(page)
    assert.ok(match?.[1] !== undefined)
    return match[1]
  }

  test('sign-in needs the token and an allowed Origin; the cookie is not the token', async () => {
    const wrong = await consolePost('/admin/console/sign-in', { token: 'nope' }, { origin: ISSUER })
    assert.equal(wrong.status, 401)
    const foreign = await consolePost(
      '/admin/console/sign-in',
      { token: ADMIN_TOKEN },
      {
        origin: 'http://evil.test',
      },
    )
    assert.equal(foreign.status, 403)
    const cookie = await consoleCookie()
    assert.ok(!cookie.includes(ADMIN_TOKEN))
  })

  test('an action needs the console CSRF field and an allowed Origin', async () => {
    const cookie = await consoleCookie()
    const csrf = await csrfOf(cookie)
    const rotate = (params: Record<string, string>, origin = ISSUER) =>
      consolePost('/admin/console/rotate-key', params, { cookie, origin })
    assert.equal((await rotate({ csrf: 'forged' })).status, 403)
    assert.equal((await rotate({ csrf }, 'http://evil.test')).status, 403)
    const done = await rotate({ csrf })
    assert.equal(done.status, 303)
    assert.equal(done.headers.get('location'), '/admin?done=key-rotated')
  })

  test('a forged console cookie shows the sign-in form, and actions go back to it', async () => {
    const cookie = '__Host-rvk_admin=v1.99999999999999.bm9uY2U.forged'
    const page = await (await fetch(`${service.url}/admin`, { headers: { cookie } })).text()
    assert.match(page, /Admin token/)
    const action = await consolePost(
      '/admin/console/end-all',
      { csrf: 'x', sub: 'u' },
      {
        cookie,
        origin: ISSUER,
      },
    )
    assert.equal(action.status, 303)
    assert.equal(action.headers.get('location'), '/admin')
  })

  test('the summary reads the /metrics registry', async () => {
    const cookie = await consoleCookie()
    const { sub } = await signUp(service)
    await fetch(`${service.url}/admin/users/${sub}/revoke`, {
      method: 'POST',
      headers: bearer(ADMIN_TOKEN),
    })
    const summary = (await (
      await fetch(`${service.url}/admin/console/summary`, { headers: { cookie } })
    ).json()) as { revocationsTotal: number; store: string }
    const metrics = await (await fetch(`${service.url}/metrics`)).text()
    const total = [...metrics.matchAll(/^revocable_revocations_total\{[^}]*\} (\d+)/gm)].reduce(
      (sum, match) => sum + Number(match[1]),
      0,
    )
    assert.ok(total >= 1)
    assert.equal(summary.revocationsTotal, total)
    assert.equal(summary.store, 'ok')
    assert.equal(
      (await fetch(`${service.url}/admin/console/summary`)).status,
      401,
      'not without the console cookie',
    )
  })

  test('deleting a user from the console needs the confirmation box, then frees the username', async () => {
    const cookie = await consoleCookie()
    const csrf = await csrfOf(cookie)
    const { sub, username } = await signUp(service)
    const remove = (params: Record<string, string>) =>
      consolePost(
        '/admin/console/delete-user',
        { csrf, sub, ...params },
        { cookie, origin: ISSUER },
      )
    const unconfirmed = await remove({})
    assert.match(unconfirmed.headers.get('location') ?? '', /done=failed/)
    const confirmed = await remove({ confirm: 'yes' })
    assert.equal(confirmed.headers.get('location'), '/admin?done=user-deleted')
    const again = await postJson(service, '/auth/register', { username, password: PASSWORD })
    assert.equal(again.status, 201)
  })

  test('a published key can be retired from the console, and leaves the JWKS', async () => {
    const cookie = await consoleCookie()
    const csrf = await csrfOf(cookie)
    const kids = async () =>
      (
        (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
          keys: Array<{ kid: string }>
        }
      ).keys.map((key) => key.kid)
    const before = await kids()
    await consolePost('/admin/console/rotate-key', { csrf }, { cookie, origin: ISSUER })
    const added = (await kids()).filter((kid) => !before.includes(kid))
    assert.equal(added.length, 1)
    const kid = added[0] as string
    const refused = await consolePost(
      '/admin/console/retire-key',
      { csrf, kid: 'no-such-kid' },
      {
        cookie,
        origin: ISSUER,
      },
    )
    assert.equal(refused.headers.get('location'), '/admin?done=failed')
    const retired = await consolePost(
      '/admin/console/retire-key',
      { csrf, kid },
      {
        cookie,
        origin: ISSUER,
      },
    )
    assert.equal(retired.headers.get('location'), '/admin?done=key-retired')
    assert.ok(!(await kids()).includes(kid))
    const after = await kids()
    assert.ok(
      before.every((other) => after.includes(other)),
      'the other keys stay',
    )
  })

  test('a suspension from the console ends at the UTC time typed, and can be lifted', async () => {
    const cookie = await consoleCookie()
    const csrf = await csrfOf(cookie)
    const { sub } = await signUp(service)
    const until = new Date(Date.now() + 86_400_000).toISOString().slice(0, 16)
    const suspended = await consolePost(
      '/admin/console/suspend',
      { csrf, sub, until, reason: 'chargeback' },
      { cookie, origin: ISSUER },
    )
    assert.match(suspended.headers.get('location') ?? '', /done=suspended/)
    const view = (await (
      await fetch(`${service.url}/admin/users/${sub}`, { headers: bearer(ADMIN_TOKEN) })
    ).json()) as { suspension: { until: string; reason: string } }
    assert.equal(view.suspension.until, `${until}:00.000Z`)
    assert.equal(view.suspension.reason, 'chargeback')
    const lifted = await consolePost(
      '/admin/console/reinstate',
      { csrf, sub },
      {
        cookie,
        origin: ISSUER,
      },
    )
    assert.match(lifted.headers.get('location') ?? '', /done=reinstated/)
  })

  test('signing out of the console clears its cookie', async () => {
    const cookie = await consoleCookie()
    const out = await consolePost('/admin/console/sign-out', {}, { cookie, origin: ISSUER })
    assert.equal(out.status, 303)
    const cleared = out.headers.getSetCookie().find((line) => line.startsWith('__Host-rvk_admin='))
    assert.match(cleared ?? '', /^__Host-rvk_admin=;.*(Max-Age=0|Expires=Thu, 01 Jan 1970)/)
  })

  test('the console is not served without ADMIN_TOKEN', async () => {
    const plain = await startService({ ADMIN_TOKEN: '' })
    try {
      assert.equal((await fetch(`${plain.url}/admin`)).status, 404)
      assert.equal((await fetch(`${plain.url}/`)).status, 200)
    } finally {
      await plain.close()
    }
  })
})
