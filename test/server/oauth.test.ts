import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { MemoryStore } from '../../src/stores/memory.js'
import { MemoryUserDirectory } from '../../src/service/users/memory.js'
import { manualClock } from '../support/clock.js'
import {
  basic,
  bearer,
  CLIENT_ID,
  CLIENT_SECRET,
  clientBasic,
  ISSUER,
  me,
  postForm,
  signUp,
  startService,
  testConfig,
  type Service,
} from './support.js'

let service: Service
before(async () => {
  service = await startService()
})
after(() => service.close())

const INVALID_CLIENT_CHALLENGE = 'Basic realm="revocable", charset="UTF-8"'

async function refresh(refreshToken: string, extra: Record<string, string> = {}) {
  return postForm(service, '/oauth/token', {
    grant_type: 'refresh_token',
    refresh_token: refreshToken,
    ...extra,
  })
}

async function introspect(token: string, headers = clientBasic()) {
  return postForm(service, '/oauth/introspect', { token }, headers)
}

describe('POST /oauth/token, refresh_token', () => {
  test('a refresh token is exchanged for a new pair, and the new access token works', async () => {
    const { tokens } = await signUp(service)
    const response = await refresh(tokens.refresh_token)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    const next = (await response.json()) as Record<string, unknown>
    assert.deepEqual(Object.keys(next).sort(), [
      'access_token',
      'expires_in',
      'refresh_token',
      'token_type',
    ])
    assert.notEqual(next.refresh_token, tokens.refresh_token)
    assert.equal((await me(service, next.access_token as string)).status, 200)
  })

  test('a spent refresh token is invalid_grant and kills the whole session', async () => {
    const { tokens } = await signUp(service)
    const heir = (await (await refresh(tokens.refresh_token)).json()) as Record<string, string>
    // The heir is used: the first token is now spent for good (not a retry of a lost answer).
    const next = (await (await refresh(heir.refresh_token as string)).json()) as Record<
      string,
      string
    >
    const reuse = await refresh(tokens.refresh_token)
    assert.equal(reuse.status, 400)
    const body = (await reuse.json()) as { error: string }
    assert.equal(body.error, 'invalid_grant')
    assert.equal((await me(service, next.access_token as string)).status, 401)
    assert.equal((await me(service, tokens.access_token)).status, 401)
    const successor = await refresh(next.refresh_token as string)
    assert.equal(successor.status, 400)
    assert.equal(((await successor.json()) as { error: string }).error, 'invalid_grant')
  })

  test('an unknown or malformed refresh token is invalid_grant', async () => {
    for (const token of ['rvk_rt_nosuchsession.' + 'A'.repeat(43), 'not-a-refresh-token']) {
      const response = await refresh(token)
      assert.equal(response.status, 400)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant')
    }
  })

  test('a refresh token of a logged-out session is invalid_grant', async () => {
    const { tokens } = await signUp(service)
    await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    const response = await refresh(tokens.refresh_token)
    assert.equal(response.status, 400)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_grant')
  })

  test('a missing refresh_token is invalid_request and an unknown grant is unsupported', async () => {
    const missing = await postForm(service, '/oauth/token', { grant_type: 'refresh_token' })
    assert.equal(missing.status, 400)
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request')
    const password = await postForm(service, '/oauth/token', { grant_type: 'password' })
    assert.equal(password.status, 400)
    assert.equal(((await password.json()) as { error: string }).error, 'unsupported_grant_type')
  })

  test('a confidential client_id without its secret is 401 invalid_client', async () => {
    const { tokens } = await signUp(service)
    const response = await refresh(tokens.refresh_token, { client_id: CLIENT_ID })
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), INVALID_CLIENT_CHALLENGE)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
  })
})

describe('POST /oauth/token, client_credentials', () => {
  test('a confidential client gets an access token for itself', async () => {
    const response = await postForm(
      service,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'introspect metrics' },
      clientBasic(),
    )
    assert.equal(response.status, 200)
    const body = (await response.json()) as Record<string, unknown>
    assert.deepEqual(Object.keys(body).sort(), [
      'access_token',
      'expires_in',
      'scope',
      'token_type',
    ])
    assert.equal(body.scope, 'introspect metrics')
    const claims = (await (await me(service, body.access_token as string)).json()) as Record<
      string,
      unknown
    >
    assert.equal(claims.sub, CLIENT_ID)
    assert.equal(claims.client_id, CLIENT_ID)
    assert.equal(claims.scope, 'introspect metrics')
  })

  test('client_credentials without client authentication is 401 invalid_client', async () => {
    const response = await postForm(service, '/oauth/token', { grant_type: 'client_credentials' })
    assert.equal(response.status, 401)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
  })

  test('client_credentials with a wrong secret is 401 invalid_client', async () => {
    const response = await postForm(
      service,
      '/oauth/token',
      { grant_type: 'client_credentials' },
      basic(CLIENT_ID, 'wrong-secret-wrong-secret'),
    )
    assert.equal(response.status, 401)
    assert.equal(response.headers.get('www-authenticate'), INVALID_CLIENT_CHALLENGE)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
  })
})

describe('POST /oauth/revoke (RFC 7009)', () => {
  test('an access token revoked with client_secret_basic is rejected from then on', async () => {
    const { tokens } = await signUp(service)
    const response = await postForm(
      service,
      '/oauth/revoke',
      { token: tokens.access_token, token_type_hint: 'access_token' },
      clientBasic(),
    )
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '')
    assert.equal((await me(service, tokens.access_token)).status, 401)
  })

  test('an access token revoked with client_secret_post is rejected from then on', async () => {
    const { tokens } = await signUp(service)
    const response = await postForm(service, '/oauth/revoke', {
      token: tokens.access_token,
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    })
    assert.equal(response.status, 200)
    assert.equal((await me(service, tokens.access_token)).status, 401)
  })

  test('revoking a refresh token ends its session', async () => {
    const { tokens } = await signUp(service)
    const response = await postForm(
      service,
      '/oauth/revoke',
      { token: tokens.refresh_token, token_type_hint: 'refresh_token' },
      clientBasic(),
    )
    assert.equal(response.status, 200)
    assert.equal((await me(service, tokens.access_token)).status, 401)
    const reuse = await refresh(tokens.refresh_token)
    assert.equal(reuse.status, 400)
  })

  test('an unknown, foreign or garbage token gets 200', async () => {
    for (const token of ['garbage', 'a.b.c', `rvk_rt_nosuch.${'A'.repeat(43)}`]) {
      const response = await postForm(service, '/oauth/revoke', { token }, clientBasic())
      assert.equal(response.status, 200, token)
    }
  })

  test('a forged refresh token naming a real session ends nothing', async () => {
    const { tokens } = await signUp(service)
    const sid = tokens.refresh_token.slice('rvk_rt_'.length).split('.')[0] as string
    const forged = `rvk_rt_${sid}.${'B'.repeat(43)}`
    const response = await postForm(service, '/oauth/revoke', { token: forged }, clientBasic())
    assert.equal(response.status, 200)
    assert.equal((await me(service, tokens.access_token)).status, 200)
  })

  test('no client authentication, a wrong secret or an unknown client is 401 invalid_client', async () => {
    const { tokens } = await signUp(service)
    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{ token: tokens.access_token }, {}],
      [{ token: tokens.access_token }, basic(CLIENT_ID, 'wrong-secret-0123456789')],
      [{ token: tokens.access_token }, basic('nobody', CLIENT_SECRET)],
      [{ token: tokens.access_token, client_id: CLIENT_ID, client_secret: 'nope' }, {}],
      [
        { token: tokens.access_token, client_id: CLIENT_ID, client_secret: CLIENT_SECRET },
        clientBasic(),
      ],
    ]
    for (const [params, headers] of attempts) {
      const response = await postForm(service, '/oauth/revoke', params, headers)
      assert.equal(response.status, 401)
      assert.equal(response.headers.get('www-authenticate'), INVALID_CLIENT_CHALLENGE)
      assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
    }
    assert.equal((await me(service, tokens.access_token)).status, 200)
  })
})

describe('POST /oauth/introspect (RFC 7662)', () => {
  test('an active access token gets the full answer', async () => {
    const { sub, tokens } = await signUp(service)
    const response = await introspect(tokens.access_token)
    assert.equal(response.status, 200)
    assert.equal(response.headers.get('cache-control'), 'no-store')
    const body = (await response.json()) as Record<string, unknown>
    const claims = (await (await me(service, tokens.access_token)).json()) as Record<
      string,
      unknown
    >
    assert.deepEqual(body, {
      active: true,
      token_type: 'Bearer',
      sub,
      exp: claims.exp,
      iat: claims.iat,
      iss: ISSUER,
      aud: ISSUER,
      jti: claims.jti,
      sid: claims.sid,
    })
  })

  test('client_id and scope appear when the token has them', async () => {
    const issued = await postForm(
      service,
      '/oauth/token',
      { grant_type: 'client_credentials', scope: 'read' },
      clientBasic(),
    )
    const { access_token } = (await issued.json()) as { access_token: string }
    const body = (await (await introspect(access_token)).json()) as Record<string, unknown>
    assert.equal(body.active, true)
    assert.equal(body.client_id, CLIENT_ID)
    assert.equal(body.scope, 'read')
  })

  test('a revoked access token is exactly {"active":false}', async () => {
    const { tokens } = await signUp(service)
    await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    const response = await introspect(tokens.access_token)
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '{"active":false}')
  })

  test('an unknown or garbage token is exactly {"active":false}', async () => {
    for (const token of ['garbage', 'a.b.c', `rvk_rt_nosuch.${'A'.repeat(43)}`]) {
      const response = await introspect(token)
      assert.equal(response.status, 200)
      assert.equal(await response.text(), '{"active":false}')
    }
  })

  test('another issuer\'s token is exactly {"active":false}', async () => {
    const foreign = await createRevocable({ issuer: 'https://elsewhere.test', audience: ISSUER })
    const token = await foreign.issue({ sub: 'intruder' })
    const response = await introspect(token)
    assert.equal(await response.text(), '{"active":false}')
    await foreign.close()
  })

  test('introspection without client authentication is 401 invalid_client', async () => {
    const { tokens } = await signUp(service)
    const response = await introspect(tokens.access_token, {})
    assert.equal(response.status, 401)
    assert.equal(((await response.json()) as { error: string }).error, 'invalid_client')
  })

  test('a current refresh token is active; a spent one is {"active":false}', async () => {
    const { sub, tokens } = await signUp(service)
    const active = (await (await introspect(tokens.refresh_token)).json()) as Record<
      string,
      unknown
    >
    assert.equal(active.active, true)
    assert.equal(active.token_type, 'refresh_token')
    assert.equal(active.sub, sub)
    assert.equal(active.iss, ISSUER)
    await refresh(tokens.refresh_token)
    const spent = await introspect(tokens.refresh_token)
    assert.equal(await spent.text(), '{"active":false}')
  })
})

test('an expired access token introspects as exactly {"active":false}', async () => {
  const clock = manualClock(Date.now())
  const config = testConfig()
  const auth = await createRevocable({
    issuer: config.issuer,
    audience: config.audience,
    store: new MemoryStore({ clock }),
    clock,
  })
  const expiring = await startService({
    config,
    runtime: {
      auth,
      store: auth.store,
      users: new MemoryUserDirectory(),
      close: () => auth.close(),
    },
  })
  try {
    const token = await auth.issue({ sub: 'user-1' })
    const before = await postForm(expiring, '/oauth/introspect', { token }, clientBasic())
    assert.equal(((await before.json()) as { active: boolean }).active, true)
    clock.advance(3600_000)
    const response = await postForm(expiring, '/oauth/introspect', { token }, clientBasic())
    assert.equal(response.status, 200)
    assert.equal(await response.text(), '{"active":false}')
    const resource = await me(expiring, token)
    assert.equal(resource.status, 401)
    assert.equal(
      resource.headers.get('www-authenticate'),
      'Bearer error="invalid_token", error_description="token has expired"',
    )
  } finally {
    await expiring.close()
  }
})
