/**
 * Cookie mode in a real browser (headless Chromium through playwright-core), against the built
 * service as `npm start` runs it: on defaults, a page of the service works as localhost and as
 * 127.0.0.1; and an SPA on another origin works through CORS when ALLOWED_ORIGINS lists it.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import {
  CHROMIUM,
  CHROMIUM_ARGS,
  skip,
  startService as startPagesService,
  type RunningService,
} from './pages-support.js'
import { freePort } from '../server/support.js'

const profiles: string[] = []
let context: BrowserContext | undefined

/** The built service as `npm start` runs it, on the memory store with cookie mode on. */
function startService(env: Record<string, string>): Promise<RunningService> {
  return startPagesService({ STORE: 'memory', COOKIE_MODE: 'true', ...env })
}

/** A static page server for the SPA's origin. */
async function startSpa(): Promise<{ port: number; server: Server }> {
  const port = await freePort()
  const server = createServer((_request, response) => {
    response
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>spa</title>')
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  return { port, server }
}

before(async () => {
  if (skip !== false) return
  const profile = mkdtempSync(join(tmpdir(), 'revocable-chromium-'))
  profiles.push(profile)
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [...CHROMIUM_ARGS],
  })
})
after(async () => {
  await context?.close()
  for (const profile of profiles) rmSync(profile, { recursive: true, force: true })
})

interface Journey {
  register: number
  login: number
  hasRefreshTokenInBody: boolean
  me: number
  refresh: number
  logout: number
  refreshAfterLogout: number
}

/**
 * Runs in the page: register, log in, call /auth/me, refresh with the cookie and the CSRF
 * header, log out with the cookie alone (as after a reload: no access token), refresh again.
 */
function journey(page: Page, base: string, username: string): Promise<Journey> {
  return page.evaluate(
    async ({ base, username }) => {
      const json = { 'content-type': 'application/json' }
      const form = { 'content-type': 'application/x-www-form-urlencoded' }
      const credentials = 'include' as const
      const password = 'correct horse battery staple'
      const body = JSON.stringify({ username, password })
      const register = await fetch(`${base}/auth/register`, {
        method: 'POST',
        headers: json,
        body,
        credentials,
      })
      const login = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: json,
        body,
        credentials,
      })
      const tokens = (await login.json()) as Record<string, string>
      const me = await fetch(`${base}/auth/me`, {
        headers: { authorization: `Bearer ${tokens.access_token}` },
        credentials,
      })
      const refresh = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { ...form, 'x-csrf-token': tokens.csrf_token ?? '' },
        body: 'grant_type=refresh_token',
        credentials,
      })
      const refreshed = (await refresh.json()) as Record<string, string>
      const csrf = refreshed.csrf_token ?? ''
      const logout = await fetch(`${base}/auth/logout`, {
        method: 'POST',
        headers: { 'x-csrf-token': csrf },
        credentials,
      })
      const again = await fetch(`${base}/oauth/token`, {
        method: 'POST',
        headers: { ...form, 'x-csrf-token': csrf },
        body: 'grant_type=refresh_token',
        credentials,
      })
      return {
        register: register.status,
        login: login.status,
        hasRefreshTokenInBody: 'refresh_token' in tokens,
        me: me.status,
        refresh: refresh.status,
        logout: logout.status,
        refreshAfterLogout: again.status,
      }
    },
    { base, username },
  )
}

const SUCCESS: Journey = {
  register: 201,
  login: 200,
  hasRefreshTokenInBody: false,
  me: 200,
  refresh: 200,
  logout: 204,
  refreshAfterLogout: 400,
}

test(
  'Chromium: on defaults, a page of the service works as localhost and as 127.0.0.1',
  { skip },
  async () => {
    const service = await startService({})
    const page = await (context as BrowserContext).newPage()
    try {
      for (const host of ['localhost', '127.0.0.1']) {
        const base = `http://${host}:${service.port}`
        await page.goto(`${base}/healthz`)
        assert.deepEqual(await journey(page, base, `user-${host}`), SUCCESS, host)
      }
    } finally {
      await page.close()
      await service.stop()
    }
  },
)

test(
  'Chromium: an SPA on another origin listed in ALLOWED_ORIGINS works through CORS',
  { skip },
  async () => {
    const spa = await startSpa()
    const service = await startService({ ALLOWED_ORIGINS: `http://localhost:${spa.port}` })
    const page = await (context as BrowserContext).newPage()
    try {
      await page.goto(`http://localhost:${spa.port}/`)
      const base = `http://localhost:${service.port}`
      assert.deepEqual(await journey(page, base, 'spa-user'), SUCCESS)
    } finally {
      await page.close()
      await service.stop()
      spa.server.closeAllConnections()
      await new Promise((resolve) => spa.server.close(resolve))
    }
  },
)

test('Chromium: an origin not in ALLOWED_ORIGINS cannot read any answer', { skip }, async () => {
  const spa = await startSpa()
  const service = await startService({ ALLOWED_ORIGINS: `http://localhost:${spa.port}` })
  const page = await (context as BrowserContext).newPage()
  try {
    // The same page, opened under another name: another origin, not listed.
    await page.goto(`http://127.0.0.1:${spa.port}/`)
    const outcome = await page.evaluate(async (base) => {
      try {
        await fetch(`${base}/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'x', password: 'y' }),
          credentials: 'include',
        })
        return 'answered'
      } catch {
        return 'blocked'
      }
    }, `http://localhost:${service.port}`)
    assert.equal(outcome, 'blocked')
  } finally {
    await page.close()
    await service.stop()
    spa.server.closeAllConnections()
    await new Promise((resolve) => spa.server.close(resolve))
  }
})
