import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { PASSWORD, postJson, startService, uniqueName, type Service } from './support.js'

const SPA = 'http://localhost:5173'
let service: Service
before(async () => {
  service = await startService({ COOKIE_MODE: 'true', ALLOWED_ORIGINS: SPA })
})
after(() => service.close())

function preflight(origin: string, path = '/oauth/token') {
  return fetch(`${service.url}${path}`, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-csrf-token',
    },
  })
}

test('a preflight from an allowed origin is 204 with the exact origin and credentials', async () => {
  const response = await preflight(SPA)
  assert.equal(response.status, 204)
  assert.equal(response.headers.get('access-control-allow-origin'), SPA)
  assert.equal(response.headers.get('access-control-allow-credentials'), 'true')
  assert.equal(response.headers.get('access-control-allow-methods'), 'GET, POST, DELETE')
  assert.equal(
    response.headers.get('access-control-allow-headers'),
    'authorization, content-type, x-csrf-token',
  )
  assert.equal(response.headers.get('vary'), 'Origin')
})

test('a preflight from any other origin is 403 without CORS headers', async () => {
  for (const origin of ['https://evil.test', 'http://localhost:5174', 'null']) {
    const response = await preflight(origin)
    assert.equal(response.status, 403, origin)
    assert.equal(response.headers.get('access-control-allow-origin'), null)
    assert.equal(response.headers.get('access-control-allow-credentials'), null)
  }
})

test('answers to an allowed origin carry the CORS headers; others do not', async () => {
  const username = uniqueName('cors')
  const allowed = await postJson(
    service,
    '/auth/register',
    { username, password: PASSWORD },
    { origin: SPA },
  )
  assert.equal(allowed.status, 201)
  assert.equal(allowed.headers.get('access-control-allow-origin'), SPA)
  assert.equal(
    allowed.headers.get('access-control-expose-headers'),
    'www-authenticate, retry-after',
  )
  const foreign = await postJson(
    service,
    '/auth/login',
    { username, password: PASSWORD },
    { origin: 'https://evil.test' },
  )
  assert.equal(foreign.status, 403)
  assert.equal(foreign.headers.get('access-control-allow-origin'), null)
})

test('on defaults, cookie-mode login works from the issuer origin under every loopback name', async () => {
  const local = await startService({ COOKIE_MODE: 'true', ISSUER: 'http://localhost:3000' })
  try {
    const username = uniqueName('loopback')
    await postJson(local, '/auth/register', { username, password: PASSWORD })
    for (const origin of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      const login = await postJson(
        local,
        '/auth/login',
        { username, password: PASSWORD },
        { origin },
      )
      assert.equal(login.status, 200, origin)
    }
    const other = await postJson(
      local,
      '/auth/login',
      { username, password: PASSWORD },
      { origin: 'http://127.0.0.1:3001' },
    )
    assert.equal(other.status, 403)
  } finally {
    await local.close()
  }
})
