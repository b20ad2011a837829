// TRUST_PROXY (issue 11): a hop count or proxy addresses/CIDRs, never `true`; behind one
// trusted hop, a client that writes its own left-most X-Forwarded-For entry changes neither the
// IP its login attempts are counted under nor the IP its session records.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/service/config.js'
import { PASSWORD, postJson, signUp, startService, uniqueName, type Service } from './support.js'

describe('TRUST_PROXY', () => {
  test('takes false, a hop count, or a list of addresses and CIDRs', () => {
    const trust = (value: string) => loadConfig({ TRUST_PROXY: value }).trustProxy
    assert.equal(loadConfig({}).trustProxy, false)
    assert.equal(trust('false'), false)
    assert.equal(trust('0'), false)
    assert.equal(trust('1'), 1)
    assert.deepEqual(trust('10.0.0.1, 192.168.0.0/16,::1, fd00::/8'), [
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'fd00::/8',
    ])
  })

  test('refuses true, saying why', () => {
    assert.throws(
      () => loadConfig({ TRUST_PROXY: 'true' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.variable === 'TRUST_PROXY' &&
        /left-most X-Forwarded-For/.test(error.message),
    )
  })

  /** Logs in with the wrong password, as if forwarded by a proxy for client 203.0.113.7. */
  async function failLogin(service: Service, username: string, spoofed: string) {
    return postJson(
      service,
      '/auth/login',
      { username, password: 'wrong password' },
      { 'x-forwarded-for': `${spoofed}, 203.0.113.7` },
    )
  }

  for (const setting of ['1', '127.0.0.1', '127.0.0.0/8']) {
    test(`TRUST_PROXY=${setting}: a spoofed left-most X-Forwarded-For changes neither the rate limit nor the session IP`, async () => {
      const service = await startService({ TRUST_PROXY: setting, LOGIN_RATE_LIMIT: '5' })
      try {
        const username = uniqueName()
        const statuses: number[] = []
        for (let i = 0; i < 8; i += 1) {
          statuses.push((await failLogin(service, username, `198.51.100.${i}`)).status)
        }
        // Five attempts per minute from 203.0.113.7, whatever the left-most entry said.
        assert.deepEqual(statuses, [401, 401, 401, 401, 401, 429, 429, 429])
      } finally {
        await service.close()
      }
    })
  }

  test('behind one trusted hop the session list shows the address the proxy saw', async () => {
    const service = await startService({ TRUST_PROXY: '1' })
    try {
      const { username } = await signUp(service)
      const login = await postJson(
        service,
        '/auth/login',
        { username, password: PASSWORD },
        { 'x-forwarded-for': '198.51.100.99, 203.0.113.7' },
      )
      assert.equal(login.status, 200)
      const { access_token: token } = (await login.json()) as { access_token: string }
      const listed = await fetch(`${service.url}/auth/sessions`, {
        headers: { authorization: `Bearer ${token}` },
      })
      const { sessions } = (await listed.json()) as {
        sessions: Array<{ ip: string; current: boolean }>
      }
      assert.equal(sessions.find((session) => session.current)?.ip, '203.0.113.7')
    } finally {
      await service.close()
    }
  })

  test('without TRUST_PROXY, X-Forwarded-For is ignored', async () => {
    const service = await startService({ LOGIN_RATE_LIMIT: '2' })
    try {
      const username = uniqueName()
      const statuses: number[] = []
      for (let i = 0; i < 3; i += 1) {
        statuses.push((await failLogin(service, username, `198.51.100.${i}`)).status)
      }
      assert.deepEqual(statuses, [401, 401, 429])
    } finally {
      await service.close()
    }
  })
})
