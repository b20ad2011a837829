import { randomBytes } from 'node:crypto'
import { RedisStore } from '../../src/stores/redis/index.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import { storeContract } from './contract.js'

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
