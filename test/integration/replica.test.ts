import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { parts } from '../support/forge.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const run = promisify(execFile)
const ISSUER = 'https://auth.example.test'
const AUDIENCE = 'api.example.test'

async function open(
  prefix: string,
  replica: 'auto' | false = 'auto',
): Promise<{ auth: Revocable; store: RedisStore }> {
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    replica,
    allowPlaintextKeys: true,
  })
  return { auth, store }
}

/** Polls `probe` until it returns true or `ms` pass; resolves to whether it did. */
async function eventually(probe: () => Promise<boolean> | boolean, ms = 3000): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await probe()) return true
    await new Promise((resolve) => setTimeout(resolve, 5))
  }
  return false
}

const rejected = (auth: Revocable, token: string) => () =>
  auth.verify(token).then(
    () => false,
    (error: { code?: string }) => error.code === 'ERR_TOKEN_REVOKED',
  )

describe('the replica on Redis', () => {
  const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
  let b: { auth: Revocable; store: RedisStore }

  before(async () => {
    b = await open(prefix)
  })
  after(async () => {
    await b.auth.close()
    await b.store.close()
    await deletePrefix(REDIS_URL, prefix)
  })

  test('a verify on a fresh replica makes no store round trip', async () => {
    const token = await b.auth.issue({ sub: 'alice' })
    const before = b.auth.stats()
    for (let i = 0; i < 100; i += 1) await b.auth.verify(token)
    const after = b.auth.stats()
    assert.equal(after.directLookups, before.directLookups)
    assert.equal(after.replicaLookups - before.replicaLookups, 100)
  })

  test('a revocation made in another process is rejected here once the feed delivers it', async () => {
    const token = await b.auth.issue({ sub: 'alice' })
    assert.equal((await b.auth.verify(token)).sub, 'alice')
    const directBefore = b.auth.stats().directLookups
    const { stdout } = await run(process.execPath, [
      '--import',
      'tsx',
      'test/integration/fixtures/revoke-elsewhere.ts',
      REDIS_URL,
      prefix,
      parts(token).payload.jti as string,
    ])
    assert.equal(stdout.trim(), 'revoked')
    assert.equal(await eventually(rejected(b.auth, token)), true)
    // The rejection came from the replica, not from a lookup in the store.
    assert.equal(b.auth.stats().directLookups, directBefore)
  })

  test('a revocation made by this instance is honoured at once, before the feed echoes it', async () => {
    const token = await b.auth.issue({ sub: 'bob' })
    await b.auth.revokeUser('bob')
    await assert.rejects(b.auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'user' })
  })

  test('a new replica loads live revocations from the store, not only from the feed', async () => {
    const token = await b.auth.issue({ sub: 'carol' })
    await b.auth.revokeSession(parts(token).payload.sid as string)
    const client = createClient({ url: REDIS_URL })
    await client.connect()
    await client.del(`${prefix}{g}:feed`) // the stream alone would no longer know
    await client.close()
    const c = await open(prefix)
    try {
      await assert.rejects(c.auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'session' })
      assert.equal(c.auth.stats().directLookups, 0)
    } finally {
      await c.auth.close()
      await c.store.close()
    }
  })

  test('a trimmed feed triggers a resync, after which revoked tokens stay rejected', async () => {
    const a = await open(prefix, false)
    try {
      const token = await b.auth.issue({ sub: 'dave' })
      await a.auth.revokeToken(token)
      assert.equal(await eventually(rejected(b.auth, token)), true)
      const resyncs = b.auth.stats().replica?.resyncs ?? 0
      const client = createClient({ url: REDIS_URL })
      await client.connect()
      await client.xTrim(`${prefix}{g}:feed`, 'MAXLEN', 0)
      await client.close()
      await a.auth.revokeToken(await b.auth.issue({ sub: 'erin' })) // something new to read
      assert.equal(await eventually(() => (b.auth.stats().replica?.resyncs ?? 0) > resyncs), true)
      await assert.rejects(b.auth.verify(token), { code: 'ERR_TOKEN_REVOKED' })
    } finally {
      await a.auth.close()
      await a.store.close()
    }
  })
})
