/**
 * The store contract on a node-redis v4 client (the client jwt-redis 7 apps have): the package's
 * `redis` peer range includes v4, so the store must keep every promise on it too.
 */
import { randomBytes } from 'node:crypto'
import { createClient } from 'redis4'
import { RedisStore } from '../../src/stores/redis/index.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import { storeContract } from './contract.js'

storeContract('redis (node-redis v4 client)', {
  clockDrivesExpiry: false,
  async makeStore(clock) {
    const prefix = `rvk-test-v4:${randomBytes(6).toString('hex')}:`
    const client = createClient({ url: REDIS_URL, disableOfflineQueue: true })
    await client.connect()
    const store = await RedisStore.connect({ client, prefix, clock, warn: () => {} })
    return {
      store,
      async cleanup() {
        await store.close()
        await client.quit()
        await deletePrefix(REDIS_URL, prefix)
      },
    }
  },
})
