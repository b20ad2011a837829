// A known path with the wrong method is a 405 with `Allow` (RFC 9110 §15.5.6), on every route
// of the service; an unknown path stays a 404.
import assert from 'node:assert/strict'
import { after, before, test } from 'node:test'
import { startService, type Service } from './support.js'

// Every route of the service (ADMIN_TOKEN set) and the methods it takes. The test below also
// checks this list against the app's own, so a new route cannot skip the 405 check.
const ROUTES: ReadonlyArray<{ path: string; url: string; methods: string[] }> = [
  { path: '/.well-known/oauth-authorization-server', methods: ['GET', 'HEAD'] },
  { path: '/.well-known/jwks.json', methods: ['GET', 'HEAD'] },
  { path: '/auth/register', methods: ['POST'] },
  { path: '/auth/login', methods: ['POST'] },
  { path: '/auth/me', methods: ['GET', 'HEAD'] },
  { path: '/auth/logout', methods: ['POST'] },
  { path: '/auth/logout-all', methods: ['POST'] },
  { path: '/auth/sessions', methods: ['GET', 'HEAD'] },
  { path: '/auth/sessions/some-id', url: '/auth/sessions/:id', methods: ['DELETE'] },
  { path: '/auth/reauthenticate', methods: ['POST'] },
  { path: '/auth/password', methods: ['POST'] },
  { path: '/auth/account', methods: ['DELETE'] },
  { path: '/oauth/token', methods: ['POST'] },
  { path: '/oauth/revoke', methods: ['POST'] },
  { path: '/oauth/introspect', methods: ['POST'] },
  { path: '/admin/users/u1/revoke', url: '/admin/users/:sub/revoke', methods: ['POST'] },
  { path: '/admin/revoke-all', methods: ['POST'] },
  { path: '/admin/keys/rotate', methods: ['POST'] },
  { path: '/admin/users/u1/sessions', url: '/admin/users/:sub/sessions', methods: ['GET', 'HEAD'] },
  { path: '/admin/users', methods: ['GET', 'HEAD'] },
  { path: '/admin/users/u1', url: '/admin/users/:sub', methods: ['DELETE', 'GET', 'HEAD'] },
  { path: '/admin/users/u1/suspend', url: '/admin/users/:sub/suspend', methods: ['POST'] },
  { path: '/admin/users/u1/reinstate', url: '/admin/users/:sub/reinstate', methods: ['POST'] },
  { path: '/admin/users/u1/claims', url: '/admin/users/:sub/claims', methods: ['PUT'] },
  {
    path: '/admin/login-locks/alice',
    url: '/admin/login-locks/:username',
    methods: ['DELETE', 'GET', 'HEAD'],
  },
  { path: '/healthz', methods: ['GET', 'HEAD'] },
  { path: '/readyz', methods: ['GET', 'HEAD'] },
  { path: '/metrics', methods: ['GET', 'HEAD'] },
  // The pages (issue 17) and their assets.
  { path: '/', methods: ['GET', 'HEAD'] },
  { path: '/register', methods: ['GET', 'HEAD'] },
  { path: '/account', methods: ['GET', 'HEAD'] },
  { path: '/account/sessions', methods: ['GET', 'HEAD'] },
  { path: '/account/sessions/end-others', methods: ['POST'] },
  { path: '/admin', methods: ['GET', 'HEAD'] },
  { path: '/admin/console/sign-in', methods: ['POST'] },
  { path: '/admin/console/sign-out', methods: ['POST'] },
  { path: '/admin/console/end-session', methods: ['POST'] },
  { path: '/admin/console/end-all', methods: ['POST'] },
  { path: '/admin/console/rotate-key', methods: ['POST'] },
  { path: '/admin/console/retire-key', methods: ['POST'] },
  { path: '/admin/console/suspend', methods: ['POST'] },
  { path: '/admin/console/reinstate', methods: ['POST'] },
  { path: '/admin/console/claims', methods: ['POST'] },
  { path: '/admin/console/delete-user', methods: ['POST'] },
  { path: '/admin/console/summary', methods: ['GET', 'HEAD'] },
  ...['account.js', 'admin.js', 'api.js', 'app.css', 'favicon.svg', 'sign-in.js'].map((file) => ({
    path: `/assets/${file}`,
    methods: ['GET', 'HEAD'],
  })),
].map((route) => ({ url: route.path, ...route }))

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

test('the list of routes tested here is every route the service has', () => {
  const actual = service.app.routeTable
    .list()
    .map(({ url, methods }) => `${methods.join(',')} ${url}`)
    .sort()
  const expected = ROUTES.map(({ url, methods }) => `${methods.join(',')} ${url}`).sort()
  assert.deepEqual(actual, expected)
})

for (const route of ROUTES) {
  test(`${route.url}: every other method is a 405 with Allow: ${route.methods.join(', ')}`, async () => {
    for (const method of METHODS.filter((m) => !route.methods.includes(m))) {
      const response = await fetch(service.url + route.path + '?x=1', { method })
      assert.equal(response.status, 405, `${method} ${route.path}`)
      assert.equal(response.headers.get('allow'), route.methods.join(', '))
      if (method !== 'HEAD') {
        assert.deepEqual(await response.json(), {
          error: 'invalid_request',
          error_description: 'method not allowed',
        })
      }
    }
  })
}

test('an unknown path is still a 404, whatever the method', async () => {
  for (const method of ['GET', 'POST', 'DELETE']) {
    const response = await fetch(`${service.url}/no/such/path`, { method })
    assert.equal(response.status, 404)
    assert.equal(response.headers.get('allow'), null)
  }
})
