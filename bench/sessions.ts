import { createRevocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'
import { concurrent, type CaseResult } from './harness.js'

/** Sessions started and refresh rotations per second on Redis, 64 in flight. */
export async function benchSessions(options: {
  seconds: number
  redisUrl: string
  prefix: string
}) {
  const { seconds, redisUrl, prefix } = options
  const store = await RedisStore.connect({ url: redisUrl, prefix, warn: () => {} })
  const auth = await createRevocable({
    issuer: 'https://bench.example',
    audience: 'api',
    store,
    allowPlaintextKeys: true,
  })
  const results: CaseResult[] = []
  try {
    let n = 0
    results.push(
      await concurrent(
        'sessions started (redis)',
        'ES256',
        () => auth.startSession({ sub: `user-${n++ % 10_000}` }),
        seconds,
      ),
    )
    // A pool of refresh tokens: each call takes one, rotates it, and puts the new one back.
    const pool = await Promise.all(
      Array.from(
        { length: 64 },
        async (_, i) => (await auth.startSession({ sub: `refresher-${i}` })).refreshToken,
      ),
    )
    results.push(
      await concurrent(
        'refresh rotations (redis)',
        'ES256',
        async () => {
          const token = pool.pop() as string
          pool.unshift((await auth.refresh(token)).refreshToken)
        },
        seconds,
      ),
    )
    return results
  } finally {
    await auth.close()
    await store.close()
  }
}
