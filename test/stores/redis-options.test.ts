import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { RedisStore } from '../../src/stores/redis/index.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const prefix = `rvk-test-options-${process.pid}:`
after(() => deletePrefix(REDIS_URL, prefix))

// A bad interval used to be handed to setInterval as it came: NaN, 0 or -1 ran the data-loss
// check every millisecond. Each option is refused at connect, naming itself (issue #18).
const BAD = [0, -1, Number.NaN, Infinity, 1.5, '5000'] as const

for (const option of ['dataLossCheckInterval', 'feedRetention'] as const) {
  test(`RedisStore.connect refuses a bad "${option}" with a TypeError naming it`, async () => {
    for (const value of BAD) {
      const outcome = await RedisStore.connect({
        url: REDIS_URL,
        prefix,
        [option]: value as number,
      }).then(
        async (store) => {
          await store.close()
          return undefined
        },
        (error: unknown) => error,
      )
      assert.ok(outcome instanceof TypeError, `${option}: ${String(value)} was accepted`)
      assert.match(outcome.message, new RegExp(`^"${option}" must be`))
    }
  })
}
