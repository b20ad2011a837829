import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import {
  ADMIN_TOKEN,
  bearer,
  me,
  PASSWORD,
  postForm,
  postJson,
  startService,
  uniqueName,
  type Service,
  type Tokens,
} from './support.js'

const TRIALS = 300

/** Logs in on `service` as a new user (through the public client, so RFC 7009 may revoke). */
async function signIn(service: Service): Promise<{ sub: string; tokens: Tokens }> {
  const username = uniqueName('await')
  const registered = await postJson(service, '/auth/register', { username, password: PASSWORD })
  assert.equal(registered.status, 201)
  const { sub } = (await registered.json()) as { sub: string }
  const response = await postJson(service, '/auth/login', {
    username,
    password: PASSWORD,
    client_id: 'spa',
  })
  assert.equal(response.status, 200)
  return { sub, tokens: (await response.json()) as Tokens }
}

describe('two service instances on one Redis', () => {
  const prefix = `rvk-test:svc-await:${randomBytes(6).toString('hex')}:`
  let a: Service
  let b: Service

  before(async () => {
    const env = { STORE: REDIS_URL, REDIS_PREFIX: prefix }
    a = await startService(env)
    b = await startService(env)
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await deletePrefix(REDIS_URL, prefix)
  })

  test('a token revoked on A is rejected by B the moment A answers, by every revoking route', async () => {
    const post = (path: string, token: string) =>
      fetch(a.url + path, { method: 'POST', headers: bearer(token) })
    const routes: Record<string, (sub: string, tokens: Tokens) => Promise<Response>> = {
      logout: (_sub, tokens) => post('/auth/logout', tokens.access_token),
      'logout-all': (_sub, tokens) => post('/auth/logout-all', tokens.access_token),
      'session delete': async (_sub, tokens) => {
        const listed = await fetch(`${a.url}/auth/sessions`, {
          headers: bearer(tokens.access_token),
        })
        const { sessions } = (await listed.json()) as { sessions: { id: string }[] }
        const id = (sessions[0] as { id: string }).id
        return fetch(`${a.url}/auth/sessions/${id}`, {
          method: 'DELETE',
          headers: bearer(tokens.access_token),
        })
      },
      'RFC 7009 revoke': (_sub, tokens) =>
        postForm(a, '/oauth/revoke', { token: tokens.access_token, client_id: 'spa' }),
      'admin revoke': (sub) => post(`/admin/users/${encodeURIComponent(sub)}/revoke`, ADMIN_TOKEN),
    }
    const names = Object.keys(routes)
    const accepted: string[] = []
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const name = names[trial % names.length] as string
      const { sub, tokens } = await signIn(a)
      // B has seen the token as good: its answer after the revocation comes from its replica.
      assert.equal((await me(b, tokens.access_token)).status, 200)
      const revoked = await (routes[name] as (s: string, t: Tokens) => Promise<Response>)(
        sub,
        tokens,
      )
      assert.ok(revoked.status === 204 || revoked.status === 200, `${name}: ${revoked.status}`)
      if ((await me(b, tokens.access_token)).status !== 401) accepted.push(name)
    }
    assert.deepEqual(accepted, [], `B accepted ${accepted.length} of ${TRIALS} revoked tokens`)
  })
})
