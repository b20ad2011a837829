import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createConnection } from 'node:net'
import { after, before, describe, test } from 'node:test'
import { createClient } from 'redis'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import {
  bearer,
  clientBasic,
  freePort,
  me,
  PASSWORD,
  postForm,
  postJson,
  signUp,
  startService,
  type Service,
} from './support.js'

describe('on the shared Redis', () => {
  const prefix = `rvk-test:svc:${randomBytes(6).toString('hex')}:`
  let service: Service
  before(async () => {
    service = await startService({ STORE: REDIS_URL, REDIS_PREFIX: prefix })
  })
  after(async () => {
    await service.close()
    await deletePrefix(REDIS_URL, prefix)
  })

  test('users live in a Redis hash under the prefix, and the whole flow works', async () => {
    const { sub, username, tokens } = await signUp(service)
    const client = createClient({ url: REDIS_URL })
    await client.connect()
    try {
      const raw = await client.hGet(`${prefix}users`, username)
      assert.equal((JSON.parse(raw as string) as { sub: string }).sub, sub)
    } finally {
      await client.close()
    }
    assert.equal((await me(service, tokens.access_token)).status, 200)
    await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    assert.equal((await me(service, tokens.access_token)).status, 401)
  })

  test('GET /metrics exposes the replica: staleness, lag, resyncs, feed state and entries', async () => {
    const { tokens } = await signUp(service)
    await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: bearer(tokens.access_token),
    })
    const text = await (await fetch(`${service.url}/metrics`)).text()
    const value = (name: string) => {
      const match = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)
      assert.ok(match?.[1] !== undefined, `${name} is exported`)
      return Number(match[1])
    }
    const staleness = value('revocable_replica_staleness_seconds')
    assert.ok(
      Number.isFinite(staleness) && staleness >= 0,
      `staleness ${staleness} s is a proven age`,
    )
    assert.ok(value('revocable_replica_lag_seconds') >= 0)
    assert.ok(value('revocable_replica_resyncs') >= 1, 'the replica loaded a snapshot')
    assert.equal(value('revocable_replica_connected'), 1)
    assert.match(text, /^revocable_replica_entries\{kind="sessions"\} [1-9]\d*$/m)
  })

  test('a username registered twice is a 409 on Redis too', async () => {
    const { username } = await signUp(service)
    const response = await postJson(service, '/auth/register', { username, password: PASSWORD })
    assert.equal(response.status, 409)
  })
})

describe('two instances on one Redis', () => {
  test('share one login rate limit: the limit holds across instances, not per instance', async () => {
    const prefix = `rvk-test:svc-rl:${randomBytes(6).toString('hex')}:`
    const env = { STORE: REDIS_URL, REDIS_PREFIX: prefix, LOGIN_RATE_LIMIT: '2' }
    const a = await startService(env)
    const b = await startService(env)
    try {
      const statuses: number[] = []
      for (const instance of [a, b, b]) {
        const response = await postJson(instance, '/auth/login', {
          username: 'nobody',
          password: PASSWORD,
        })
        statuses.push(response.status)
      }
      // Per-instance counters would answer 401 three times (B has seen only two logins).
      assert.deepEqual(statuses, [401, 401, 429])
    } finally {
      await a.close()
      await b.close()
      await deletePrefix(REDIS_URL, prefix)
    }
  })
})

function waitForPort(port: number, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' })
      socket.once('connect', () => {
        socket.destroy()
        resolve()
      })
      socket.once('error', () => {
        socket.destroy()
        if (Date.now() > deadline) reject(new Error(`port ${port} never opened`))
        else setTimeout(attempt, 50)
      })
    }
    attempt()
  })
}

describe('when Redis goes down', () => {
  let redis: ChildProcess
  let service: Service
  let tokens: { access_token: string; refresh_token: string }

  before(async () => {
    const port = await freePort()
    redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    )
    await waitForPort(port)
    service = await startService({ STORE: `redis://127.0.0.1:${port}`, REDIS_PREFIX: 'outage:' })
    tokens = (await signUp(service)).tokens
    assert.equal((await me(service, tokens.access_token)).status, 200)
    redis.kill('SIGKILL')
    await new Promise((resolve) => redis.once('exit', resolve))
  })
  after(async () => {
    if (redis.exitCode === null && redis.signalCode === null) redis.kill('SIGKILL')
    await service.close()
  })

  async function assertUnavailable(response: Response) {
    assert.equal(response.status, 503)
    assert.equal(response.headers.get('retry-after'), '1')
    const body = (await response.json()) as { error: string }
    assert.equal(body.error, 'temporarily_unavailable')
  }

  test('a protected route answers 503 with Retry-After, never 401, once the replica is stale', async () => {
    // The replica may vouch for a token for up to maxStaleness (1 s) after the last proof of
    // freshness; then every verify asks Redis, which is gone.
    let response = await me(service, tokens.access_token)
    for (let i = 0; i < 100 && response.status === 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      response = await me(service, tokens.access_token)
    }
    await assertUnavailable(response)
  })

  test('introspection answers 503, never {"active":false}', async () => {
    await assertUnavailable(
      await postForm(service, '/oauth/introspect', { token: tokens.access_token }, clientBasic()),
    )
  })

  test('revocation answers 503, never a 200 that revoked nothing', async () => {
    await assertUnavailable(
      await postForm(service, '/oauth/revoke', { token: tokens.refresh_token }, clientBasic()),
    )
  })

  test('refresh, login and readiness answer 503', async () => {
    await assertUnavailable(
      await postForm(service, '/oauth/token', {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token,
      }),
    )
    await assertUnavailable(
      await postJson(service, '/auth/login', { username: 'anyone', password: PASSWORD }),
    )
    const ready = await fetch(`${service.url}/readyz`)
    assert.equal(ready.status, 503)
    assert.equal(ready.headers.get('retry-after'), '1')
    assert.equal((await fetch(`${service.url}/healthz`)).status, 200)
  })
})

describe('connecting', () => {
  test('the service connects to Redis as the store does: ERR_STORE_UNAVAILABLE with the cause, no password', async () => {
    const { loadConfig } = await import('../../src/service/config.js')
    const { openRuntime } = await import('../../src/service/runtime.js')
    const port = await freePort() // nothing listens there
    const config = loadConfig({
      STORE: `redis://app:s3cret-pass@127.0.0.1:${port}`,
      ISSUER: 'http://x.test',
    })
    const error = await openRuntime(config, { warn: () => {} }).then(
      () => assert.fail('connected to nothing'),
      (failure: unknown) => failure as Error & { code?: string; cause?: unknown },
    )
    assert.equal(error.code, 'ERR_STORE_UNAVAILABLE')
    assert.ok(error.cause instanceof Error, 'has a cause')
    assert.match(String((error.cause as Error).message), /ECONNREFUSED/)
    assert.match(error.message, /could not connect to Redis at redis:\/\/\[redacted\]@127\.0\.0\.1/)
    assert.doesNotMatch(error.message, /s3cret-pass/)
  })
})
