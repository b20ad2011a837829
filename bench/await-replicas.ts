import { performance } from 'node:perf_hooks'
import { createRevocable, type Revocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'
import { distribution } from './harness.js'

/**
 * What waiting for the replicas adds to a logout: `revokeSession` on instance A, with B (and A
 * itself) keeping replicas on the same Redis, timed without and with `awaitReplicas`,
 * alternating so both see the same load. Sequential: one logout at a time.
 */
export async function benchAwaitReplicas(options: {
  count: number
  redisUrl: string
  prefix: string
}) {
  const { count, redisUrl, prefix } = options
  const open = async () => {
    const store = await RedisStore.connect({ url: redisUrl, prefix, warn: () => {} })
    const auth = await createRevocable({
      issuer: 'https://bench.example',
      audience: 'api',
      store,
      allowPlaintextKeys: true,
    })
    return { auth, store }
  }
  const a = await open()
  const b = await open()
  const logout = async (auth: Revocable, awaitReplicas: boolean, i: number) => {
    const { accessToken } = await auth.startSession({ sub: `logout-${i}` })
    const { sid } = await auth.verify(accessToken)
    const started = performance.now()
    await auth.revokeSession(sid, { awaitReplicas })
    return performance.now() - started
  }
  try {
    const plain: number[] = []
    const awaited: number[] = []
    for (let i = 0; i < count; i += 1) {
      plain.push(await logout(a.auth, false, 2 * i))
      awaited.push(await logout(a.auth, true, 2 * i + 1))
    }
    const without = distribution(plain)
    const withWait = distribution(awaited)
    const round = (v: number) => Number(v.toFixed(3))
    return {
      replicas: 2,
      without_await: without,
      with_await: withWait,
      added_p50_ms: round(withWait.p50_ms - without.p50_ms),
      added_p99_ms: round(withWait.p99_ms - without.p99_ms),
    }
  } finally {
    await a.auth.close()
    await b.auth.close()
    await a.store.close()
    await b.store.close()
  }
}
