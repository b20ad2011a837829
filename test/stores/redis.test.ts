import { randomBytes } from 'node:crypto'
import { createClient } from 'redis'
import { RedisStore } from '../../src/stores/redis/index.js'
import { storeContract } from './contract.js'

// The machine's shared Redis; each test gets its own key prefix and deletes it afterwards.
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'

/** Deletes every key under `prefix` (SCAN is fine in a test, never on a request path). */
export async function deletePrefix(url: string, prefix: string): Promise<void> {
  const client = createClient({ url })
  await client.connect()
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      if (keys.length > 0) await client.del(keys)
    }
  } finally {
    await client.close()
  }
}

storeContract('redis', {
  clockDrivesExpiry: false,
  async makeStore(clock) {
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const store = await RedisStore.connect({ url: REDIS_URL, prefix, clock, warn: () => {} })
    return {
      store,
      async cleanup() {
        await store.close()
        await deletePrefix(REDIS_URL, prefix)
      },
    }
  },
})
