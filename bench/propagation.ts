import { fork } from 'node:child_process'
import { once } from 'node:events'
import { createRevocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'
import { distribution } from './harness.js'

/**
 * Revoke in process A, time until process B rejects: B keeps verifying the token (yielding to
 * I/O between attempts) until its replica has heard of the revocation.
 */
export async function benchPropagation(options: {
  count: number
  redisUrl: string
  prefix: string
}) {
  const { count, redisUrl, prefix } = options
  const store = await RedisStore.connect({ url: redisUrl, prefix, warn: () => {} })
  const auth = await createRevocable({
    issuer: 'https://bench.example',
    audience: 'api',
    store,
    tokenCacheSize: 0,
    allowPlaintextKeys: true,
  })
  const child = fork(new URL('./propagation-child.ts', import.meta.url), [redisUrl, prefix], {
    execArgv: ['--import', 'tsx'],
  })
  try {
    await once(child, 'message') // ready
    const samples: number[] = []
    for (let i = 0; i < count; i += 1) {
      const token = await auth.issue({ sub: `user-${i % 100}` })
      const { jti } = await auth.verify(token)
      const started = once(child, 'message') as Promise<[{ startedAt: number }]>
      child.send({ jti })
      let rejectedAt = 0
      while (rejectedAt === 0) {
        try {
          await auth.verify(token)
          await new Promise((resolve) => setImmediate(resolve))
        } catch {
          rejectedAt = performance.timeOrigin + performance.now()
        }
      }
      const [{ startedAt }] = await started
      samples.push(rejectedAt - startedAt)
    }
    const { replicaLookups, directLookups } = auth.stats()
    return {
      ...distribution(samples),
      replica_lookups: replicaLookups,
      direct_lookups: directLookups,
    }
  } finally {
    child.send({ done: true })
    await once(child, 'exit')
    await auth.close()
    await store.close()
  }
}
