/**
 * Clients with rights (issue 16 items 1 and 2): what each configured client may do at the token,
 * revocation and introspection endpoints and at login, over real HTTP.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  basic,
  CLIENT_ID,
  CLIENT_SECRET,
  clientBasic,
  me,
  PASSWORD,
  postForm,
  postJson,
  startService,
  uniqueName,
  type Service,
  type Tokens,
} from './support.js'

const RS = { id: 'gateway', secret: 'gateway-Secret-7Qm2xVb9LkP4wZr8' }
const BACKEND = { id: 'backend', secret: 'backend-Secret-3Nf8cTy6HjW1qEs5' }
const NARROW = { id: 'reporter', secret: 'reporter-Secret-9Kd4vBn2MxR7tGh1' }

const CLIENTS = JSON.stringify([
  { id: RS.id, secret: RS.secret, resource_server: true },
  { id: BACKEND.id, secret: BACKEND.secret, scopes: ['reports:read', 'reports:write'] },
  { id: NARROW.id, secret: NARROW.secret, grant_types: ['refresh_token'] },
  { id: 'spa', public: true },
  { id: 'mobile', public: true },
])

let service: Service

async function register(target: Service): Promise<string> {
  const username = uniqueName('client')
  const response = await postJson(target, '/auth/register', { username, password: PASSWORD })
  assert.equal(response.status, 201)
  return username
}

async function login(
  target: Service,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
): Promise<Response> {
  const username = await register(target)
  return postJson(target, '/auth/login', { username, password: PASSWORD, ...extra }, headers)
}

async function loginTokens(extra: Record<string, string> = {}, headers = {}): Promise<Tokens> {
  const response = await login(service, extra, headers)
  assert.equal(response.status, 200)
  return (await response.json()) as Tokens
}

async function introspect(token: string, headers: Record<string, string>) {
  const response = await postForm(service, '/oauth/introspect', { token }, headers)
  assert.equal(response.status, 200)
  return (await response.json()) as Record<string, unknown>
}

async function refreshStatus(token: string, clientId?: string): Promise<number> {
  const response = await postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: token,
    ...(clientId !== undefined && { client_id: clientId }),
  })
  return response.status
}

describe('CLIENTS as a JSON array (rights spelled out)', () => {
  before(async () => {
    service = await startService({ CLIENTS })
  })
  after(() => service.close())

  describe('introspection (RFC 7662) by rights', () => {
    test('a resource server introspects the tokens of every client', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const answer = await introspect(tokens.access_token, basic(RS.id, RS.secret))
      assert.equal(answer.active, true)
      assert.equal(answer.client_id, 'spa')
    })

    test('a client that is not a resource server gets {"active":false} for another client\'s token', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const access = await introspect(tokens.access_token, basic(BACKEND.id, BACKEND.secret))
      const refresh = await introspect(tokens.refresh_token, basic(BACKEND.id, BACKEND.secret))
      assert.deepEqual(access, { active: false })
      assert.deepEqual(refresh, { active: false })
    })

    test('a client that is not a resource server introspects its own tokens', async () => {
      const issued = await postForm(
        service,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(BACKEND.id, BACKEND.secret),
      )
      const { access_token } = (await issued.json()) as { access_token: string }
      const answer = await introspect(access_token, basic(BACKEND.id, BACKEND.secret))
      assert.equal(answer.active, true)
    })

    test('a public client may not introspect: 401 invalid_client', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const response = await postForm(service, '/oauth/introspect', {
        token: tokens.access_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 401)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
    })
  })

  describe('revocation (RFC 7009) by rights', () => {
    test('a public client revokes its own refresh token with only its client_id', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.refresh_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 200)
      assert.equal(await refreshStatus(tokens.refresh_token, 'spa'), 400)
      assert.equal((await me(service, tokens.access_token)).status, 401)
    })

    test('a public client revokes its own access token with only its client_id', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.access_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 200)
      assert.equal((await me(service, tokens.access_token)).status, 401)
    })

    test("a public client's revocation of another client's token is 200 and changes nothing", async () => {
      const tokens = await loginTokens({ client_id: 'mobile' })
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.refresh_token,
        client_id: 'spa',
      })
      assert.equal(response.status, 200)
      assert.equal((await me(service, tokens.access_token)).status, 200)
      assert.equal(await refreshStatus(tokens.refresh_token, 'mobile'), 200)
    })

    test("a confidential client that is not a resource server cannot revoke another client's tokens", async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      for (const token of [tokens.access_token, tokens.refresh_token]) {
        const response = await postForm(
          service,
          '/oauth/revoke',
          { token },
          basic(BACKEND.id, BACKEND.secret),
        )
        assert.equal(response.status, 200)
      }
      assert.equal((await me(service, tokens.access_token)).status, 200)
    })

    test('an unknown public client_id is 401 invalid_client', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const response = await postForm(service, '/oauth/revoke', {
        token: tokens.refresh_token,
        client_id: 'nobody-knows-me',
      })
      assert.equal(response.status, 401)
      assert.equal((await me(service, tokens.access_token)).status, 200)
    })
  })

  describe('client_id at login', () => {
    test('an unknown client_id is 401 invalid_client and starts no session', async () => {
      const response = await login(service, { client_id: 'web-app-that-does-not-exist' })
      assert.equal(response.status, 401)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
    })

    test("a confidential client's id without its secret is 401 invalid_client", async () => {
      const response = await login(service, { client_id: RS.id })
      assert.equal(response.status, 401)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
    })

    test('a confidential client that authenticates gets a session bound to it', async () => {
      const tokens = await loginTokens({ client_id: BACKEND.id }, basic(BACKEND.id, BACKEND.secret))
      const claims = (await (await me(service, tokens.access_token)).json()) as {
        client_id: string
      }
      assert.equal(claims.client_id, BACKEND.id)
    })

    test('a registered public client is carried in the access token', async () => {
      const tokens = await loginTokens({ client_id: 'spa' })
      const claims = (await (await me(service, tokens.access_token)).json()) as {
        client_id: string
      }
      assert.equal(claims.client_id, 'spa')
    })
  })

  describe('the token endpoint by rights', () => {
    test('client_credentials grants the allowed scopes', async () => {
      const response = await postForm(
        service,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'reports:read' },
        basic(BACKEND.id, BACKEND.secret),
      )
      assert.equal(response.status, 200)
      assert.equal(((await response.json()) as { scope: string }).scope, 'reports:read')
    })

    test('client_credentials with a scope outside the allowed ones is 400 invalid_scope', async () => {
      const response = await postForm(
        service,
        '/oauth/token',
        { grant_type: 'client_credentials', scope: 'reports:read admin' },
        basic(BACKEND.id, BACKEND.secret),
      )
      assert.equal(response.status, 400)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_scope')
    })

    test('a client not allowed client_credentials gets 400 unauthorized_client', async () => {
      const response = await postForm(
        service,
        '/oauth/token',
        { grant_type: 'client_credentials' },
        basic(NARROW.id, NARROW.secret),
      )
      assert.equal(response.status, 400)
      assert.equal(((await response.json()) as { error: string }).error, 'unauthorized_client')
    })

    test('a refresh naming an unknown client_id is 401 invalid_client', async () => {
      const tokens = await loginTokens()
      assert.equal(await refreshStatus(tokens.refresh_token, 'nobody-knows-me'), 401)
    })
  })
})

describe('CLIENTS=id:secret (the default rights)', () => {
  let compact: Service
  before(async () => {
    compact = await startService({ CLIENTS: `${CLIENT_ID}:${CLIENT_SECRET}` })
  })
  after(() => compact.close())

  test('client_credentials asking for any scope is 400 invalid_scope', async () => {
    const response = await postForm(
      compact,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'admin users:delete openid' },
      clientBasic(),
    )
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_scope')
  })

  test('the client is a resource server: it introspects a user token', async () => {
    const response = await login(compact)
    const tokens = (await response.json()) as Tokens
    const answer = await postForm(
      compact,
      '/oauth/introspect',
      { token: tokens.access_token },
      clientBasic(),
    )
    assert.equal(((await answer.json()) as { active: boolean }).active, true)
  })

  test("a user token cannot be stamped with the client's id at login", async () => {
    const response = await login(compact, { client_id: CLIENT_ID })
    assert.equal(response.status, 401)
  })
})
