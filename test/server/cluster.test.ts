import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { RedisCluster } from '../support/redis-cluster.js'
import { bearer, clientBasic, me, postForm, signUp, startService, type Service } from './support.js'

describe('the service on a 3-node Redis Cluster', () => {
  let cluster: RedisCluster
  let service: Service
  before(async () => {
    cluster = await RedisCluster.start(3)
    const hosts = cluster.rootNodes.map(({ url }) => new URL(url).host).join(',')
    service = await startService({
      STORE: `redis-cluster://${hosts}`,
      REDIS_PREFIX: `rvk-test:cl:${randomBytes(4).toString('hex')}:`,
    })
  })
  after(async () => {
    await service?.close()
    await cluster?.destroy()
  })

  test('register, login, a protected call, refresh, logout and introspection work across slots', async () => {
    // Users on different slots ({u:<sub>} hash tags spread them over the masters).
    const users = await Promise.all(Array.from({ length: 6 }, () => signUp(service)))
    for (const { tokens } of users) {
      assert.equal((await me(service, tokens.access_token)).status, 200)
    }
    const [first] = users as [(typeof users)[number]]
    const refreshed = await postForm(service, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: first.tokens.refresh_token,
    })
    assert.equal(refreshed.status, 200)
    const next = (await refreshed.json()) as { access_token: string }

    const logout = await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(next.access_token),
    })
    assert.equal(logout.status, 204)
    assert.equal((await me(service, next.access_token)).status, 401)
    const introspected = await postForm(
      service,
      '/oauth/introspect',
      { token: next.access_token },
      clientBasic(),
    )
    assert.deepEqual(await introspected.json(), { active: false })
    // The other users are untouched.
    for (const { tokens } of users.slice(1)) {
      assert.equal((await me(service, tokens.access_token)).status, 200)
    }
  })

  test('logout everywhere ends every session of the caller on the cluster', async () => {
    const { tokens } = await signUp(service)
    const response = await fetch(`${service.url}/auth/logout-all`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    assert.equal(response.status, 204)
    assert.equal((await me(service, tokens.access_token)).status, 401)
  })
})
