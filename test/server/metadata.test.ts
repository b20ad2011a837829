import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import * as oauth from 'oauth4webapi'
import {
  CLIENT_ID,
  CLIENT_SECRET,
  freePort,
  me,
  PASSWORD,
  postJson,
  signUp,
  startService,
  testConfig,
  uniqueName,
  type Service,
} from './support.js'
import { buildApp } from '../../src/server/app.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

describe('published metadata', () => {
  test('RFC 8414 metadata names every endpoint under the issuer', async () => {
    const response = await fetch(`${service.url}/.well-known/oauth-authorization-server`)
    assert.equal(response.status, 200)
    assert.deepEqual(await response.json(), {
      issuer: 'http://auth.test',
      token_endpoint: 'http://auth.test/oauth/token',
      jwks_uri: 'http://auth.test/.well-known/jwks.json',
      revocation_endpoint: 'http://auth.test/oauth/revoke',
      introspection_endpoint: 'http://auth.test/oauth/introspect',
      response_types_supported: [],
      grant_types_supported: ['refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post', 'none'],
      revocation_endpoint_auth_methods_supported: [
        'client_secret_basic',
        'client_secret_post',
        'none',
      ],
      introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    })
  })

  test('the JWKS holds public keys only', async () => {
    const response = await fetch(`${service.url}/.well-known/jwks.json`)
    assert.equal(response.status, 200)
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] }
    assert.ok(keys.length >= 1)
    for (const key of keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) {
        assert.equal(key[secret], undefined, `member ${secret}`)
      }
      assert.equal(typeof key.kid, 'string')
      assert.equal(key.use, 'sig')
    }
  })
})

describe('a client that is not ours', () => {
  let issuer: URL
  let independent: Service

  before(async () => {
    const port = await freePort()
    issuer = new URL(`http://127.0.0.1:${port}`)
    const config = testConfig({ ISSUER: issuer.href, PORT: String(port) })
    const app = await buildApp(config)
    await app.listen({ port, host: '127.0.0.1' })
    independent = { url: issuer.origin, app, config, close: () => app.close() }
  })
  after(() => independent.close())

  const insecure = { [oauth.allowInsecureRequests]: true }

  async function discover(): Promise<oauth.AuthorizationServer> {
    const response = await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure })
    return oauth.processDiscoveryResponse(issuer, response)
  }

  test('jose verifies our access tokens through the metadata and JWKS', async () => {
    const as = await discover()
    const { sub, tokens } = await signUp(independent)
    const jwks = createRemoteJWKSet(new URL(as.jwks_uri as string))
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, {
      issuer: as.issuer,
      audience: independent.config.audience,
      typ: 'at+jwt',
    })
    assert.equal(payload.sub, sub)
    assert.equal(protectedHeader.alg, 'ES256')
  })

  test('oauth4webapi refreshes, introspects and revokes with our endpoints', async () => {
    const as = await discover()
    const username = uniqueName('spa')
    await postJson(independent, '/auth/register', { username, password: PASSWORD })
    const login = await postJson(independent, '/auth/login', {
      username,
      password: PASSWORD,
      client_id: 'spa',
    })
    const { refresh_token } = (await login.json()) as { refresh_token: string }

    const spa = { client_id: 'spa' }
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      spa,
      await oauth.refreshTokenGrantRequest(as, spa, oauth.None(), refresh_token, insecure),
    )
    assert.equal(refreshed.token_type, 'bearer')
    assert.equal(typeof refreshed.refresh_token, 'string')

    const backend = { client_id: CLIENT_ID }
    const auth = oauth.ClientSecretBasic(CLIENT_SECRET)
    const active = await oauth.processIntrospectionResponse(
      as,
      backend,
      await oauth.introspectionRequest(as, backend, auth, refreshed.access_token, insecure),
    )
    assert.equal(active.active, true)
    assert.equal(active.client_id, 'spa')

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, backend, auth, refreshed.access_token, insecure),
    )
    const inactive = await oauth.processIntrospectionResponse(
      as,
      backend,
      await oauth.introspectionRequest(as, backend, auth, refreshed.access_token, insecure),
    )
    assert.equal(inactive.active, false)
    assert.equal((await me(independent, refreshed.access_token)).status, 401)
  })
})
