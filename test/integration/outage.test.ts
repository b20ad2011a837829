import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test, type TestContext } from 'node:test'
import { createClient } from 'redis'
import { createRevocable, type Revocable, type RevocableOptions } from '../../src/index.js'
import { indexMember, redisKeys } from '../../src/stores/redis/keys.js'
import {
  MAX_PENDING_COMMANDS,
  RedisStore,
  type RedisStoreOptions,
} from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { b64, parts } from '../support/forge.js'
import { DURABLE_ARGS, eventually, rawCommand, RedisProcess } from '../support/redis-server.js'
import { verifyVerdict } from '../support/verdict.js'

/** Only a guard against a hang: no assertion is made on how fast anything settles. */
const HANG_GUARD_MS = 5000

/** The real time plus an offset the test moves: lets a replica go stale without sleeping. */
interface OffsetClock {
  (): number
  advance(ms: number): void
}
function offsetClock(): OffsetClock {
  let offset = 0
  const clock = (() => Date.now() + offset) as OffsetClock
  clock.advance = (ms) => {
    offset += ms
  }
  return clock
}

interface Instance {
  auth: Revocable
  store: RedisStore
  warnings: string[]
}

/** Every instance a test opens, closed (store too) in its `finally` through `closeAll`. */
async function open(
  redis: RedisProcess,
  prefix: string,
  options: Partial<RevocableOptions> = {},
  storeOptions: Partial<RedisStoreOptions> = {},
  opened: Instance[] = [],
): Promise<Instance> {
  const warnings: string[] = []
  const store = await RedisStore.connect({
    url: redis.url,
    prefix,
    warn: (message) => warnings.push(message),
    ...(options.clock !== undefined && { clock: options.clock }),
    ...storeOptions,
  })
  try {
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'outage' }],
      store,
      ...options,
    })
    const instance = { auth, store, warnings }
    opened.push(instance)
    return instance
  } catch (error) {
    await store.close()
    throw error
  }
}

async function closeAll(opened: Instance[]): Promise<void> {
  for (const { auth, store } of opened.splice(0)) {
    await auth.close().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

/** How a verify settled ('valid' or the error code, with the reason when there is one). */
/** The verdict and how long it took to settle; 'hung' past the guard. */
async function timedVerdict(
  t: TestContext,
  auth: Revocable,
  token: string,
): Promise<{ outcome: string; ms: number }> {
  const started = performance.now()
  let guard: NodeJS.Timeout | undefined
  const outcome = await Promise.race([
    verifyVerdict(auth, token),
    new Promise<string>((resolve) => {
      guard = setTimeout(() => resolve('hung'), HANG_GUARD_MS)
    }),
  ])
  clearTimeout(guard)
  const ms = performance.now() - started
  t.diagnostic(`verify settled as ${outcome} in ${ms.toFixed(1)} ms`)
  return { outcome, ms }
}

/** The same token with a different payload: its signature no longer matches. */
function tamper(token: string): string {
  const { payload, signature } = parts(token)
  const [header] = token.split('.')
  return `${header}.${b64({ ...payload, sub: 'mallory' })}.${signature}`
}

async function withAdmin<T>(
  redis: RedisProcess,
  body: (client: ReturnType<typeof createClient>) => Promise<T>,
): Promise<T> {
  const client = createClient({ url: redis.url })
  await client.connect()
  try {
    return await body(client)
  } finally {
    await client.close()
  }
}

const newPrefix = () => `rvk-out:${randomBytes(6).toString('hex')}:`

describe('a Redis outage under fail-closed (the default)', () => {
  let redis: RedisProcess
  const opened: Instance[] = []

  before(async () => {
    redis = await RedisProcess.start({ name: 'revocable-outage' })
  })
  after(async () => {
    await closeAll(opened)
    await redis?.destroy()
  })

  /** Every test starts and ends with Redis up and its instances closed. */
  async function cleanup(): Promise<void> {
    redis.resume()
    await redis.start()
    await closeAll(opened)
  }

  test('with Redis stopped and the replica stale, verify rejects with ERR_STORE_UNAVAILABLE', async (t) => {
    try {
      const clock = offsetClock()
      const { auth } = await open(redis, newPrefix(), { clock }, {}, opened)
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')

      await redis.stop()
      clock.advance(2000) // past maxStaleness (1 s): the replica cannot prove it is fresh
      const direct = auth.stats().directLookups
      const { outcome } = await timedVerdict(t, auth, token)
      assert.equal(outcome, 'ERR_STORE_UNAVAILABLE')
      assert.equal(auth.stats().directLookups, direct + 1)
      assert.equal(auth.stats().revocationChecksSkipped, 0)
    } finally {
      await cleanup()
    }
  })

  test('a hung Redis holds at most MAX_PENDING_COMMANDS: past them, lookups fail at once', async () => {
    try {
      const { auth } = await open(
        redis,
        newPrefix(),
        { replica: false, tokenCacheSize: 0 },
        {},
        opened,
      )
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')
      redis.pause()
      const outcomes = await Promise.all(
        Array.from({ length: MAX_PENDING_COMMANDS + 500 }, () =>
          auth.verify(token).then(
            () => 'valid',
            (error: { code?: string; cause?: { message?: string } }) =>
              error.cause?.message === 'The queue is full' ? 'queue full' : String(error.code),
          ),
        ),
      )
      assert.equal(outcomes.includes('valid'), false)
      assert.ok(outcomes.includes('queue full'), 'some lookups were refused by the full queue')
      assert.ok(outcomes.includes('ERR_STORE_UNAVAILABLE'), 'the queued ones hit their deadline')
    } finally {
      await cleanup()
    }
  })

  test('connecting to a Redis that hangs fails with ERR_STORE_UNAVAILABLE instead of hanging', async () => {
    redis.pause() // the port accepts connections (the kernel does), nothing answers
    try {
      let guard: NodeJS.Timeout | undefined
      const outcome = await Promise.race([
        RedisStore.connect({ url: redis.url, prefix: newPrefix(), warn: () => {} }).then(
          async (store) => {
            await store.close()
            return 'connected'
          },
          (error: { code?: string }) => String(error.code),
        ),
        new Promise<string>((resolve) => {
          guard = setTimeout(() => resolve('hung'), HANG_GUARD_MS)
        }),
      ])
      clearTimeout(guard)
      assert.equal(outcome, 'ERR_STORE_UNAVAILABLE')
    } finally {
      await cleanup()
    }
  })

  test('a Redis that hangs counts as down once the command timeout passes', async (t) => {
    try {
      const { auth } = await open(redis, newPrefix(), { replica: false }, {}, opened)
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')

      redis.pause() // SIGSTOP: the connection stays open and nothing answers
      const { outcome } = await timedVerdict(t, auth, token)
      assert.equal(outcome, 'ERR_STORE_UNAVAILABLE')
      redis.resume()
      assert.equal(
        await eventually(async () => (await verifyVerdict(auth, token)) === 'valid', 10_000),
        true,
      )
    } finally {
      await cleanup()
    }
  })

  test('after Redis restarts on the same port, the same instance verifies again and its replica resyncs', async (t) => {
    try {
      const clock = offsetClock()
      const { auth } = await open(redis, newPrefix(), { clock }, {}, opened)
      const token = await auth.issue({ sub: 'alice' })
      await redis.stop()
      clock.advance(2000)
      assert.equal(await verifyVerdict(auth, token), 'ERR_STORE_UNAVAILABLE')
      const resyncs = auth.stats().replica?.resyncs ?? 0

      await redis.start()
      const restarted = performance.now()
      assert.equal(
        await eventually(async () => (await verifyVerdict(auth, token)) === 'valid', 10_000),
        true,
      )
      t.diagnostic(
        `verify worked again ${(performance.now() - restarted).toFixed(0)} ms after the restart`,
      )
      assert.equal(
        await eventually(() => (auth.stats().replica?.resyncs ?? 0) > resyncs, 10_000),
        true,
      )
      assert.equal(auth.stats().replica?.connected, true)
      // Fresh again: the next verify is answered by the replica, not by Redis.
      const direct = auth.stats().directLookups
      assert.equal(
        await eventually(async () => {
          await auth.verify(token)
          return auth.stats().directLookups === direct
        }, 5000),
        true,
      )
    } finally {
      await cleanup()
    }
  })

  test('a stale replica never answers valid for a token Redis had revoked before the outage', async () => {
    try {
      const clock = offsetClock()
      const prefix = newPrefix()
      const { auth } = await open(redis, prefix, { clock }, {}, opened)
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')
      // Revoked in Redis by a write the feed never carried (the marker and its entry in the
      // revocation index that snapshots read, no feed entry): this replica cannot know of it.
      const jti = parts(token).payload.jti as string
      const expiresAt = Date.now() + 600_000
      const member = indexMember({ kind: 'jti', jti, expiresAt }) as string
      const keys = redisKeys(prefix)
      await withAdmin(redis, async (client) => {
        await client.set(keys.jti(jti), '1', { expiration: { type: 'PX', value: 600_000 } })
        await client.zAdd(keys.revokedIndexFor(member), { score: expiresAt, value: member })
      })

      await redis.stop()
      clock.advance(2000)
      for (let i = 0; i < 3; i += 1) {
        assert.equal(await verifyVerdict(auth, token), 'ERR_STORE_UNAVAILABLE')
      }

      // Back up: the replica resyncs from the keys themselves and now knows the revocation.
      const resyncs = auth.stats().replica?.resyncs ?? 0
      await redis.start()
      assert.equal(
        await eventually(() => (auth.stats().replica?.resyncs ?? 0) > resyncs, 10_000),
        true,
      )
      assert.equal(await eventually(() => auth.stats().replica?.connected === true, 10_000), true)
      const direct = auth.stats().directLookups
      assert.equal(await verifyVerdict(auth, token), 'ERR_TOKEN_REVOKED:token')
      assert.equal(auth.stats().directLookups, direct)
    } finally {
      await cleanup()
    }
  })

  test('a killed feed connection is counted, the replica resyncs and a revocation made meanwhile arrives', async () => {
    try {
      const prefix = newPrefix()
      const reader = await open(redis, prefix, {}, {}, opened)
      const writer = await open(redis, prefix, { replica: false }, {}, opened)
      const token = await reader.auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(reader.auth, token), 'valid')
      const before = reader.auth.stats().replica
      assert.ok(before !== undefined)

      // The feed's connection is the one blocked in XREAD; kill it from the server side.
      const killed = await withAdmin(redis, async (client) => {
        const list = await client.clientList()
        const feeds = list.filter((entry) => entry.cmd === 'xread')
        for (const entry of feeds) await client.clientKill({ filter: 'ID', id: entry.id })
        return feeds.length
      })
      assert.equal(killed, 1)
      await writer.auth.revokeToken(token)

      assert.equal(
        await eventually(async () => (await verifyVerdict(reader.auth, token)) !== 'valid', 10_000),
        true,
      )
      assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:token')
      const stats = reader.auth.stats().replica
      assert.ok(stats !== undefined)
      assert.ok(stats.feedErrors > before.feedErrors, 'the broken read is counted')
      assert.ok(
        await eventually(
          () => (reader.auth.stats().replica?.resyncs ?? 0) > before.resyncs,
          10_000,
        ),
        'the replica resynchronised after the broken read',
      )
    } finally {
      await cleanup()
    }
  })
})

describe('a Redis outage under fail-open', () => {
  let redis: RedisProcess
  const opened: Instance[] = []
  const clock = offsetClock()
  let auth: Revocable
  const tokens: Record<'valid' | 'revoked' | 'shortLived', string> = {
    valid: '',
    revoked: '',
    shortLived: '',
  }

  before(async () => {
    redis = await RedisProcess.start({ name: 'revocable-fail-open' })
    ;({ auth } = await open(
      redis,
      newPrefix(),
      { clock, onStoreError: 'fail-open', replica: false },
      {},
      opened,
    ))
    tokens.valid = await auth.issue({ sub: 'alice' })
    tokens.revoked = await auth.issue({ sub: 'alice' })
    tokens.shortLived = await auth.issue({ sub: 'alice', ttl: 60 })
    await auth.revokeToken(tokens.revoked)
    await redis.stop()
  })
  after(async () => {
    await redis?.start().catch(() => undefined)
    await closeAll(opened)
    await redis?.destroy()
  })

  test('a valid token is accepted and the skipped revocation check is counted', async (t) => {
    const skipped = auth.stats().revocationChecksSkipped
    const { outcome } = await timedVerdict(t, auth, tokens.valid)
    assert.equal(outcome, 'valid')
    assert.equal(auth.stats().revocationChecksSkipped, skipped + 1)
  })

  test('a token revoked before the outage is accepted too, and counted: what fail-open costs', async () => {
    const skipped = auth.stats().revocationChecksSkipped
    assert.equal(await verifyVerdict(auth, tokens.revoked), 'valid')
    assert.equal(auth.stats().revocationChecksSkipped, skipped + 1)
  })

  test('a token whose signature does not match is still rejected, and nothing is skipped', async () => {
    const skipped = auth.stats().revocationChecksSkipped
    assert.equal(await verifyVerdict(auth, tamper(tokens.valid)), 'ERR_SIGNATURE_INVALID')
    assert.equal(auth.stats().revocationChecksSkipped, skipped)
  })

  test('an expired token is still rejected, and nothing is skipped', async () => {
    const skipped = auth.stats().revocationChecksSkipped
    clock.advance((60 + 5) * 1000) // ttl plus the default clockTolerance
    assert.equal(await verifyVerdict(auth, tokens.shortLived), 'ERR_TOKEN_EXPIRED')
    assert.equal(auth.stats().revocationChecksSkipped, skipped)
  })

  test('once Redis is back, revocation is checked again and the revoked token is rejected', async () => {
    await redis.start()
    assert.equal(
      await eventually(async () => (await verifyVerdict(auth, tokens.revoked)) !== 'valid', 10_000),
      true,
    )
    const skipped = auth.stats().revocationChecksSkipped
    assert.equal(await verifyVerdict(auth, tokens.revoked), 'ERR_TOKEN_REVOKED:token')
    assert.equal(await verifyVerdict(auth, tokens.valid), 'valid')
    assert.equal(auth.stats().revocationChecksSkipped, skipped)
  })
})

describe('startup and health checks on a dedicated Redis', () => {
  let redis: RedisProcess
  const opened: Instance[] = []

  before(async () => {
    redis = await RedisProcess.start({ name: 'revocable-health' })
  })
  after(async () => {
    await closeAll(opened)
    await redis?.destroy()
  })

  /** How many client connections the server has, besides the one asking. */
  async function otherConnections(): Promise<number> {
    const list = await rawCommand(redis.port, ['CLIENT', 'LIST'])
    return list.split('\n').filter((line) => line.trim() !== '').length - 1
  }

  async function withEvictionPolicy(policy: string, body: () => Promise<void>): Promise<void> {
    await withAdmin(redis, (client) => client.configSet('maxmemory-policy', policy))
    try {
      await body()
    } finally {
      await withAdmin(redis, (client) => client.configSet('maxmemory-policy', 'noeviction'))
      await closeAll(opened)
    }
  }

  test('an evicting maxmemory-policy is reported loudly at connect', async () => {
    await withEvictionPolicy('allkeys-lru', async () => {
      const { warnings } = await open(redis, newPrefix(), { replica: false }, {}, opened)
      const warning = warnings.find((message) => message.includes('maxmemory-policy'))
      assert.ok(warning !== undefined, 'a warning names the policy')
      assert.match(warning, /allkeys-lru/)
      assert.match(warning, /noeviction/)
    })
  })

  test('with onUnsafeEviction "refuse", connect refuses an evicting Redis and keeps no connection', async () => {
    await withEvictionPolicy('allkeys-lru', async () => {
      await assert.rejects(
        RedisStore.connect({ url: redis.url, onUnsafeEviction: 'refuse', warn: () => {} }),
        (error: Error) => error instanceof TypeError && /allkeys-lru/.test(error.message),
      )
      assert.equal(await eventually(async () => (await otherConnections()) === 0, 5000), true)
    })
  })

  test('noeviction passes the check without a warning', async () => {
    try {
      const { warnings } = await open(redis, newPrefix(), { replica: false }, {}, opened)
      assert.deepEqual(
        warnings.filter((message) => message.includes('maxmemory-policy')),
        [],
      )
    } finally {
      await closeAll(opened)
    }
  })

  test('a Redis that lost its data raises the global epoch by default: earlier tokens are rejected', async () => {
    try {
      const clock = offsetClock()
      const { auth, store, warnings } = await open(
        redis,
        newPrefix(),
        { clock, replica: false },
        {},
        opened,
      )
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')
      await withAdmin(redis, (client) => client.flushAll())

      assert.equal(await store.checkDataLoss(), true)
      assert.ok(warnings.some((message) => message.includes('raised the global epoch')))
      assert.equal(await verifyVerdict(auth, token), 'ERR_TOKEN_REVOKED:global')
      clock.advance(1)
      assert.equal(await verifyVerdict(auth, await auth.issue({ sub: 'alice' })), 'valid')
    } finally {
      await closeAll(opened)
    }
  })

  test('a replica notices lost data through its feed and never serves the emptied state as valid', async () => {
    try {
      const prefix = newPrefix()
      // The periodic check is pushed out of reach: only the feed can notice the loss here.
      const { auth, warnings } = await open(
        redis,
        prefix,
        {},
        { dataLossCheckInterval: 600_000 },
        opened,
      )
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')
      // A revocation, so the feed has history that the loss then takes away.
      await auth.revokeToken(await auth.issue({ sub: 'bob' }))
      await withAdmin(redis, (client) => client.flushAll())

      assert.equal(
        await eventually(async () => (await verifyVerdict(auth, token)) !== 'valid', 5000),
        true,
        'the token issued before the loss is rejected',
      )
      assert.equal(await verifyVerdict(auth, token), 'ERR_TOKEN_REVOKED:global')
      assert.ok(warnings.some((message) => message.includes('lost its data')))
    } finally {
      await closeAll(opened)
    }
  })

  test('with onDataLoss "fail-closed", verify fails with ERR_STORE_UNAVAILABLE until acknowledgeDataLoss()', async () => {
    try {
      const clock = offsetClock()
      const { auth, store, warnings } = await open(
        redis,
        newPrefix(),
        { clock },
        { onDataLoss: 'fail-closed', dataLossCheckInterval: 600_000 },
        opened,
      )
      const token = await auth.issue({ sub: 'alice' })
      assert.equal(await verifyVerdict(auth, token), 'valid')
      await withAdmin(redis, (client) => client.flushAll())

      assert.equal(await store.checkDataLoss(), true)
      assert.ok(warnings.some((message) => message.includes('failing closed')))
      clock.advance(2000) // past maxStaleness: whatever the replica held is no proof now
      assert.equal(await verifyVerdict(auth, token), 'ERR_STORE_UNAVAILABLE')
      // Given time to resync from the emptied Redis, the replica still never vouches for it.
      assert.equal(
        await eventually(
          async () => (await verifyVerdict(auth, token)) !== 'ERR_STORE_UNAVAILABLE',
          1500,
        ),
        false,
      )

      store.acknowledgeDataLoss()
      assert.equal(
        await eventually(async () => (await verifyVerdict(auth, token)) === 'valid', 10_000),
        true,
      )
    } finally {
      await closeAll(opened)
    }
  })
})

describe('a Redis restarted without persistence', () => {
  let redis: RedisProcess
  const opened: Instance[] = []

  before(async () => {
    redis = await RedisProcess.start({
      name: 'revocable-volatile',
      args: ['--appendonly', 'no', '--save', ''],
    })
  })
  after(async () => {
    await closeAll(opened)
    await redis?.destroy()
  })

  test('is caught by the periodic generation check of a running instance, which raises the epoch', async () => {
    const { auth, warnings } = await open(
      redis,
      newPrefix(),
      { replica: false },
      { dataLossCheckInterval: 100 },
      opened,
    )
    const token = await auth.issue({ sub: 'alice' })
    assert.equal(await verifyVerdict(auth, token), 'valid')

    await redis.restart() // comes back empty
    assert.equal(
      await eventually(
        async () => (await verifyVerdict(auth, token)) === 'ERR_TOKEN_REVOKED:global',
        10_000,
      ),
      true,
    )
    assert.ok(warnings.some((message) => message.includes('lost its data')))
  })
})

describe('a replica that cannot load', () => {
  let redis: RedisProcess

  before(async () => {
    // A Redis without ZCARD (the snapshot sizes each bucket of the revocation index with it) nor
    // SCAN (the one-time migration of a data set from before the index): the snapshot fails.
    redis = await RedisProcess.start({
      name: 'revocable-no-snapshot',
      args: [...DURABLE_ARGS, '--rename-command', 'ZCARD', '', '--rename-command', 'SCAN', ''],
    })
  })
  after(async () => {
    await redis?.destroy()
  })

  test('fails createRevocable with ERR_STORE_UNAVAILABLE and releases its feed connection', async () => {
    const store = await RedisStore.connect({ url: redis.url, prefix: newPrefix(), warn: () => {} })
    try {
      await assert.rejects(
        createRevocable({
          issuer: ISSUER,
          audience: AUDIENCE,
          store,
          replica: 'auto',
          allowPlaintextKeys: true,
        }),
        { code: 'ERR_STORE_UNAVAILABLE' },
      )
    } finally {
      await store.close()
    }
    assert.equal(
      await eventually(async () => {
        const list = await rawCommand(redis.port, ['CLIENT', 'LIST'])
        return list.split('\n').filter((line) => line.trim() !== '').length === 1
      }, 5000),
      true,
      'only the connection asking is left',
    )
  })
})
