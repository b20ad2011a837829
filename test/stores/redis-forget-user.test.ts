/**
 * What deleteUser leaves in Redis: no session record, owner pointer or user state of the user;
 * only the entries that keep issued tokens rejected (the user cutoff, revoked-session markers).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { createClient } from 'redis'
import { createRevocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

async function keysUnder(prefix: string): Promise<string[]> {
  const client = createClient({ url: REDIS_URL })
  await client.connect()
  try {
    const found: string[] = []
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      found.push(...keys)
    }
    return found.sort()
  } finally {
    await client.close()
  }
}

test('deleteUser leaves only the revocation entries of a large account in Redis', async () => {
  const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'forget' }],
    store,
  })
  try {
    const sids: string[] = []
    // More than one script slice ends (50) or forgets (200) at once.
    for (let i = 0; i < 230; i += 1) sids.push((await auth.startSession({ sub: 'big' })).session.id)
    await auth.markClaimsChanged('big')
    await auth.suspendUser('big', { until: Date.now() + 60_000 })
    await auth.reinstateUser('big')
    await auth.suspendUser('big')
    await auth.deleteUser('big')
    const user = `${prefix}{u:big}`
    const left = (await keysUnder(prefix)).filter(
      (key) => key.startsWith(user) || sids.some((sid) => key === `${prefix}so:${sid}`),
    )
    const kinds = new Set(
      left.map((key) =>
        key.startsWith(user) ? key.slice(user.length).replace(/:rs:.*$/, ':rs:*') : 'so:*',
      ),
    )
    assert.deepEqual([...kinds].sort(), [':cut', ':rs:*'])
  } finally {
    await auth.close()
    await store.close()
    await deletePrefix(REDIS_URL, prefix)
  }
})
