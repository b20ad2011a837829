/**
 * The service's pages in a real browser (issue 17): headless Chromium through playwright-core
 * against the built service on its defaults (SQLite, cookie mode off), as `npm start` runs it.
 * Screenshots of every page at 375 px and 1280 px go to .tmp/screenshots/ (not committed).
 */
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import type { Browser, BrowserContext, Page } from 'playwright-core'
import {
  ADMIN_TOKEN,
  PASSWORD,
  launchBrowser,
  screenshots,
  seriousViolations,
  skip,
  startService,
  watchConsole,
  type RunningService,
} from './pages-support.js'

let browser: Browser | undefined
let service: RunningService | undefined
const contexts: BrowserContext[] = []
let serial = 0

before(async () => {
  if (skip !== false) return
  service = await startService()
  browser = await launchBrowser()
})
after(async () => {
  for (const context of contexts) await context.close().catch(() => undefined)
  await browser?.close()
  await service?.stop()
})

function running(): RunningService {
  assert.ok(service !== undefined)
  return service
}

/** A fresh browser profile: its own cookies, as another device would have. */
async function newDevice(userAgent?: string): Promise<Page> {
  assert.ok(browser !== undefined)
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    ...(userAgent !== undefined && { userAgent }),
  })
  contexts.push(context)
  return context.newPage()
}

function uniqueUser(prefix: string): string {
  serial += 1
  return `${prefix}-${process.pid}-${serial}`
}

async function fillCredentials(page: Page, username: string, password = PASSWORD) {
  await page.getByLabel('Username').fill(username)
  await page.getByLabel('Password', { exact: true }).fill(password)
}

async function register(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/register`)
  await fillCredentials(page, username)
  await page.getByRole('button', { name: 'Create account' }).click()
  await page.waitForURL(`${base}/account`)
  await page.locator('#devices tbody tr').first().waitFor()
}

async function signIn(page: Page, base: string, username: string): Promise<void> {
  await page.goto(`${base}/`)
  await fillCredentials(page, username)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL(`${base}/account`)
  await page.locator('#devices tbody tr').first().waitFor()
}

/** Reloads the device list and answers its rows: device text and whether it is this one. */
async function devices(page: Page, expected: number) {
  await page.getByRole('button', { name: 'Refresh the list' }).click()
  const rows = page.locator('#devices tbody tr')
  await page.waitForFunction(
    (count) => document.querySelectorAll('#devices tbody tr').length === count,
    expected,
  )
  return rows.evaluateAll((elements) =>
    elements.map((row) => ({
      id: row.getAttribute('data-session') ?? '',
      device: row.querySelector('td')?.textContent ?? '',
      current: row.classList.contains('current'),
    })),
  )
}

async function refreshCookie(page: Page): Promise<string> {
  const cookies = await page.context().cookies()
  const cookie = cookies.find((candidate) => candidate.name === '__Host-rvk_refresh')
  assert.ok(cookie !== undefined, 'the refresh cookie is set')
  assert.equal(cookie.httpOnly, true)
  assert.equal(cookie.sameSite, 'Strict')
  return cookie.value
}

async function refreshStatus(base: string, refreshToken: string): Promise<number> {
  const response = await fetch(`${base}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }),
  })
  return response.status
}

// The callbacks of page.evaluate run in the browser; the project's types are Node's (no DOM lib).
interface ElementLike {
  id: string
  textContent: string | null
}
declare const document: {
  activeElement: ElementLike | null
  cookie: string
  querySelector(selector: string): { hasAttribute(name: string): boolean } | null
  querySelectorAll(selector: string): { length: number }
}
declare const localStorage: { length: number }
declare const sessionStorage: { length: number }
declare const window: Record<string, unknown>
declare function getComputedStyle(element: ElementLike): {
  outlineStyle: string
  outlineWidth: string
}

const FIREFOX_ON_WINDOWS =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0'

test(
  'two devices: each sees both, A signs out B, and B’s next click lands on sign-in with the notice',
  { skip },
  async (t) => {
    const { localhost, loopback } = running()
    const username = uniqueUser('alice')
    const a = await newDevice()
    const problems = watchConsole(a)
    await register(a, localhost, username)
    const alone = await devices(a, 1)
    assert.equal(alone.length, 1)
    assert.equal(alone[0]?.current, true)
    assert.match(alone[0]?.device ?? '', /This device/)
    // The access token is in page memory only: nothing in storage, the refresh token HttpOnly.
    assert.deepEqual(
      await a.evaluate(() => [
        localStorage.length,
        sessionStorage.length,
        document.cookie.includes('rvk_refresh'),
      ]),
      [0, 0, false],
    )
    await refreshCookie(a)

    // B: another browser, another name for the same service (127.0.0.1 works like localhost).
    const b = await newDevice(FIREFOX_ON_WINDOWS)
    await signIn(b, loopback, username)
    const seenByB = await devices(b, 2)
    const seenByA = await devices(a, 2)
    assert.equal(seenByA.filter((row) => row.current).length, 1)
    assert.equal(seenByB.filter((row) => row.current).length, 1)
    const bRow = seenByA.find((row) => !row.current)
    assert.ok(bRow !== undefined)
    assert.match(bRow.device, /Firefox 121 on Windows 10/)
    assert.match(seenByB.find((row) => row.current)?.device ?? '', /Firefox 121 on Windows 10/)

    // A signs B out.
    await a.locator(`#devices tbody tr[data-session="${bRow.id}"] button`).click()
    await a.getByText(/was signed out\./).waitFor()
    assert.equal((await devices(a, 1)).length, 1)

    // B's page still shows both devices; its next click takes it to sign-in with the notice.
    const bCookie = await refreshCookie(b)
    const clicked = Date.now()
    await b.getByRole('button', { name: 'Refresh the list' }).click()
    await b.waitForURL(`${loopback}/?notice=ended`)
    await b.getByText('You were signed out on another device.').waitFor()
    const elapsed = Date.now() - clicked
    t.diagnostic(`ended elsewhere: sign-in page with the notice ${elapsed} ms after the click`)
    // B's old refresh cookie is refused by the API.
    assert.equal(await refreshStatus(loopback, bCookie), 400)
    assert.deepEqual(problems, [])
  },
)

test(
  'sign-in says what went wrong: a wrong password, then a locked sign-in',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('bob')
    const page = await newDevice()
    await register(page, localhost, username)
    const other = await newDevice()
    await other.goto(`${localhost}/`)
    await fillCredentials(other, username, 'not the password at all')
    await other.getByRole('button', { name: 'Sign in' }).click()
    await other.getByRole('alert').filter({ hasText: 'Wrong username or password.' }).waitFor()
    // LOCKOUT_PAIR_FAILURES is 10 by default: the next ones are locked.
    for (let attempt = 0; attempt < 12; attempt++) {
      await other.getByRole('button', { name: 'Sign in' }).click()
      await other.waitForFunction(
        () => !document.querySelector('button[type="submit"]')?.hasAttribute('disabled'),
      )
    }
    await other
      .getByRole('alert')
      .filter({ hasText: /Too many failed attempts/ })
      .waitFor()
  },
)

test(
  'admin console: sign in with the token, find the user, end their sessions, rotate a key',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('carol')
    const user = await newDevice()
    await register(user, localhost, username)

    const admin = await newDevice()
    const problems = watchConsole(admin)
    await admin.goto(`${localhost}/admin`)
    await admin.getByLabel('Admin token').fill('wrong-token-wrong-token-wrong-token')
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await admin.getByRole('alert').filter({ hasText: 'That is not the admin token.' }).waitFor()
    // That answer was a 401, which Chromium logs; from here on the console must stay clean.
    assert.deepEqual(problems.splice(0), [
      'error: Failed to load resource: the server responded with a status of 401 (Unauthorized)',
    ])
    await admin.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await admin.getByRole('heading', { name: 'Live summary' }).waitFor()
    // The console cookie is HttpOnly and SameSite=Strict, and it is not the token.
    const consoleCookie = (await admin.context().cookies()).find(
      (c) => c.name === '__Host-rvk_admin',
    )
    assert.ok(consoleCookie !== undefined)
    assert.equal(consoleCookie.httpOnly, true)
    assert.equal(consoleCookie.sameSite, 'Strict')
    assert.ok(!consoleCookie.value.includes(ADMIN_TOKEN))
    assert.equal(await admin.evaluate(() => document.cookie.includes('rvk_admin')), false)

    await admin.getByLabel('Username or sub').fill(username)
    await admin.getByRole('button', { name: 'Find' }).click()
    await admin.locator('#user-sessions tbody tr').first().waitFor()
    assert.equal(await admin.locator('#user-name').textContent(), username)
    assert.equal(await admin.locator('#user-sessions tbody tr').count(), 1)

    // By sub too.
    const sub = (await admin.locator('#user-sub').textContent()) ?? ''
    await admin.goto(`${localhost}/admin?q=${encodeURIComponent(sub)}`)
    assert.equal(await admin.locator('#user-sessions tbody tr').count(), 1)
    await admin.goto(`${localhost}/admin?q=${encodeURIComponent(username)}`)

    await admin.getByRole('button', { name: 'End every session' }).click()
    await admin.getByText('Every session of the user was ended.').waitFor()
    assert.equal(await admin.locator('#no-sessions').count(), 1)
    // The user's page returns to sign-in at its next click.
    await user.getByRole('button', { name: 'Refresh the list' }).click()
    await user.waitForURL(`${localhost}/?notice=ended`)

    const kidsBefore = await jwksKids(localhost)
    await admin.getByRole('button', { name: 'Rotate: publish a new key' }).click()
    await admin.getByText('A new signing key was published.').waitFor()
    const kidsAfter = await jwksKids(localhost)
    const added = kidsAfter.filter((kid) => !kidsBefore.includes(kid))
    assert.equal(added.length, 1, 'JWKS shows the new key')
    await admin
      .locator('#keys')
      .getByText(added[0] as string)
      .waitFor()
    assert.deepEqual(problems, [])
  },
)

async function jwksKids(base: string): Promise<string[]> {
  const response = await fetch(`${base}/.well-known/jwks.json`)
  const body = (await response.json()) as { keys: Array<{ kid: string }> }
  return body.keys.map((key) => key.kid)
}

test('a <script> in a reflected username is shown as text, never run', { skip }, async () => {
  const { localhost } = running()
  const page = await newDevice()
  const problems = watchConsole(page)
  const hostile = '<script>window.__owned=1</script>'
  await page.goto(`${localhost}/?username=${encodeURIComponent(hostile)}`)
  assert.equal(await page.getByLabel('Username').inputValue(), hostile)

  await page.goto(`${localhost}/admin`)
  await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.getByLabel('Username or sub').fill(hostile)
  await page.getByRole('button', { name: 'Find' }).click()
  await page.locator('#not-found').waitFor()
  assert.match(
    (await page.locator('#not-found').textContent()) ?? '',
    /<script>window.__owned=1<\/script>/,
  )
  assert.equal(
    await page.evaluate(() => (window as unknown as { __owned?: number }).__owned),
    undefined,
  )
  assert.deepEqual(problems, [])
})

test(
  'every page: no CSP report in the console, no serious or critical axe violation, screenshots at 375 and 1280',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('dave')
    const page = await newDevice()
    const problems = watchConsole(page)
    const checked: string[] = []
    const check = async (name: string) => {
      assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`)
      await screenshots(page, name)
      checked.push(name)
    }
    await page.goto(`${localhost}/?notice=ended`)
    await check('sign-in')
    await page.goto(`${localhost}/register`)
    await check('register')
    await register(page, localhost, username)
    const second = await newDevice(FIREFOX_ON_WINDOWS)
    await signIn(second, localhost, username)
    await devices(page, 2)
    await check('account')

    await page.goto(`${localhost}/admin`)
    await check('admin-sign-in')
    await page.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await page.getByRole('button', { name: 'Sign in' }).click()
    await page.getByLabel('Username or sub').fill(username)
    await page.getByRole('button', { name: 'Find' }).click()
    await page.locator('#user-sessions').waitFor()
    await check('admin')
    assert.deepEqual(problems, [], 'console')
    assert.equal(checked.length, 5)
  },
)

test('the pages send a strict CSP and are never framed', { skip }, async () => {
  const { localhost } = running()
  for (const path of ['/', '/register', '/admin']) {
    const response = await fetch(`${localhost}${path}`)
    const csp = response.headers.get('content-security-policy') ?? ''
    assert.match(csp, /default-src 'self'/, path)
    assert.match(csp, /frame-ancestors 'none'/, path)
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/, path)
    assert.equal(response.headers.get('x-frame-options'), 'DENY', path)
  }
})

test(
  'change password in A ends B; delete account ends everything and frees the username',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('erin')
    const a = await newDevice()
    const problems = watchConsole(a)
    await register(a, localhost, username)
    const b = await newDevice(FIREFOX_ON_WINDOWS)
    await signIn(b, localhost, username)
    await devices(a, 2)

    const newPassword = 'a brand new passphrase for erin'
    await a.getByLabel('New password').fill(newPassword)
    await a.getByRole('button', { name: 'Change password' }).click()
    await a.getByText('Your password was changed. Every other device was signed out.').waitFor()
    assert.equal((await devices(a, 1)).length, 1)
    await b.getByRole('button', { name: 'Refresh the list' }).click()
    await b.waitForURL(`${localhost}/?notice=ended`)

    const aCookie = await refreshCookie(a)
    await a.getByLabel('Your password', { exact: true }).fill(newPassword)
    await a.getByRole('button', { name: 'Delete my account' }).click()
    await a.waitForURL(`${localhost}/?notice=deleted`)
    await a.getByText('Your account was deleted.').waitFor()
    assert.equal(await refreshStatus(localhost, aCookie), 400)

    // The username is free again.
    const again = await newDevice()
    await register(again, localhost, username)
    assert.equal((await devices(again, 1)).length, 1)
    assert.deepEqual(problems, [])
  },
)

test(
  'a password change after the step-up age asks for the password again, then goes through',
  { skip },
  async () => {
    const stepUp = await startService({ STEP_UP_MAX_AGE: '1' })
    try {
      const page = await newDevice()
      const problems = watchConsole(page)
      await register(page, stepUp.localhost, uniqueUser('frank'))
      // auth_time is in seconds: two seconds make the sign-in older than STEP_UP_MAX_AGE=1.
      await new Promise((resolve) => setTimeout(resolve, 2_100))
      await page.getByLabel('New password').fill('another long passphrase here')
      await page.getByRole('button', { name: 'Change password' }).click()
      const dialog = page.getByRole('dialog', { name: 'Confirm it is you' })
      await dialog.waitFor()
      assert.deepEqual(await seriousViolations(page), [], 'axe with the step-up dialog open')
      await screenshots(page, 'account-step-up')
      await dialog.getByLabel('Password').fill('not my password')
      await dialog.getByRole('button', { name: 'Continue' }).click()
      await dialog.getByRole('alert').filter({ hasText: 'That password is not right.' }).waitFor()
      await dialog.getByLabel('Password').fill(PASSWORD)
      await dialog.getByRole('button', { name: 'Continue' }).click()
      await page.getByText('Your password was changed.', { exact: false }).waitFor()
      assert.equal(await dialog.isVisible(), false)
      // The step-up challenge (401) and the dialog's wrong password (403) are answers Chromium
      // logs; nothing else may appear.
      assert.deepEqual(
        problems.filter((line) => !/status of (401|403)/.test(line)),
        [],
      )
    } finally {
      await stepUp.stop()
    }
  },
)

test(
  'admin console: suspend (sign-in says suspended), reinstate, and new claims reach the page with no sign-in',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('gina')
    const user = await newDevice()
    await register(user, localhost, username)
    assert.equal(await user.locator('#roles').textContent(), 'none')

    const admin = await newDevice()
    const problems = watchConsole(admin)
    await admin.goto(`${localhost}/admin`)
    await admin.getByLabel('Admin token').fill(ADMIN_TOKEN)
    await admin.getByRole('button', { name: 'Sign in' }).click()
    await admin.goto(`${localhost}/admin?q=${encodeURIComponent(username)}`)

    // Claims: the user's next click refreshes silently and shows the new roles.
    await admin.getByLabel(/^Claims/).fill('{"roles":["editor","billing"]}')
    await admin.getByRole('button', { name: 'Save claims' }).click()
    await admin.getByText('The claims were saved: tokens refresh with them.').waitFor()
    await user.getByRole('button', { name: 'Refresh the list' }).click()
    await user.locator('#roles').filter({ hasText: 'editor, billing' }).waitFor()
    assert.equal(new URL(user.url()).pathname, '/account')

    // Suspension ends the session; sign-in then says why.
    await admin.getByLabel('Reason (optional)').fill('chargeback')
    await admin.getByRole('button', { name: 'Suspend' }).click()
    await admin.getByText('The user is suspended.').waitFor()
    assert.match((await admin.locator('#user-state').textContent()) ?? '', /suspended/)
    await user.getByRole('button', { name: 'Refresh the list' }).click()
    await user.waitForURL(`${localhost}/?notice=ended`)
    await fillCredentials(user, username)
    await user.getByRole('button', { name: 'Sign in' }).click()
    await user.getByRole('alert').filter({ hasText: 'This account is suspended.' }).waitFor()

    await admin.getByRole('button', { name: 'Reinstate' }).click()
    await admin.getByText('The user is reinstated.').waitFor()
    await signIn(user, localhost, username)
    assert.equal(await user.locator('#roles').textContent(), 'editor, billing')
    assert.deepEqual(problems, [])
  },
)

test(
  'keyboard only: sign in with Tab and Enter, and the focused control shows its outline',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('hana')
    const registered = await fetch(`${localhost}/auth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    })
    assert.equal(registered.status, 201)
    const page = await newDevice()
    await page.goto(`${localhost}/`)
    const focused = () =>
      page.evaluate(() => {
        const element = document.activeElement
        if (element === null) return { id: '', text: '', outline: '' }
        const style = getComputedStyle(element)
        return {
          id: element.id,
          text: (element.textContent ?? '').trim(),
          outline: `${style.outlineStyle} ${style.outlineWidth}`,
        }
      })
    await page.keyboard.press('Tab')
    assert.equal((await focused()).text, 'Skip to content')
    await page.keyboard.press('Tab')
    const field = await focused()
    assert.equal(field.id, 'username')
    assert.equal(field.outline, 'solid 3px')
    await page.keyboard.type(username)
    await page.keyboard.press('Tab')
    assert.equal((await focused()).id, 'password')
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press('Enter')
    await page.waitForURL(`${localhost}/account`)
    await page.locator('#devices tbody tr').first().waitFor()
    // Tab to the first button of the page: its outline shows where the keyboard is.
    await page.keyboard.press('Tab')
    await page.keyboard.press('Tab')
    const button = await focused()
    assert.equal(button.text, 'Sign out')
    assert.equal(button.outline, 'solid 3px')
  },
)

test('the pages work the same with COOKIE_MODE on', { skip }, async () => {
  const cookieMode = await startService({ COOKIE_MODE: 'true' })
  try {
    const page = await newDevice()
    const problems = watchConsole(page)
    const username = uniqueUser('ivan')
    await register(page, cookieMode.localhost, username)
    const other = await newDevice()
    await signIn(other, cookieMode.loopback, username)
    const rows = await devices(page, 2)
    assert.equal(rows.filter((row) => row.current).length, 1)
    await page.getByRole('button', { name: 'Sign out of all other devices' }).click()
    await page.getByText('One other device was signed out.').waitFor()
    await other.getByRole('button', { name: 'Refresh the list' }).click()
    await other.waitForURL(`${cookieMode.loopback}/?notice=ended`)
    await page.getByRole('button', { name: 'Sign out', exact: true }).click()
    await page.waitForURL(`${cookieMode.localhost}/?notice=signed-out`)
    const cookies = await page.context().cookies()
    assert.equal(
      cookies.find((cookie) => cookie.name === '__Host-rvk_refresh'),
      undefined,
      'signing out clears the refresh cookie',
    )
    assert.deepEqual(problems, [])
  } finally {
    await cookieMode.stop()
  }
})

test(
  'two tabs of one browser: a refresh in the later tab does not sign the earlier one out',
  { skip },
  async () => {
    const { localhost } = running()
    const username = uniqueUser('jo')
    const first = await newDevice()
    await register(first, localhost, username)
    // A second tab of the same browser: its load rotates the shared refresh cookie.
    const second = await first.context().newPage()
    await second.goto(`${localhost}/account`)
    await second.locator('#devices tbody tr').first().waitFor()
    // Make the first tab's access token stale (a claims change), so its next click refreshes.
    const lookup = await fetch(`${localhost}/admin/users?username=${username}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    })
    const { sub } = (await lookup.json()) as { sub: string }
    const changed = await fetch(`${localhost}/admin/users/${sub}/claims`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ roles: ['reader'] }),
    })
    assert.equal(changed.status, 200)
    await first.getByRole('button', { name: 'Refresh the list' }).click()
    await first.locator('#roles').filter({ hasText: 'reader' }).waitFor()
    assert.equal(new URL(first.url()).pathname, '/account')
  },
)
