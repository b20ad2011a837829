import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { RedisStore } from '../src/stores/redis/index.js'

export interface ReplicaStart {
  readonly revocations: number
  /** Seconds `createRevocable` took to load the replica (a fresh process). */
  readonly seconds: number
  readonly peak_rss_mb: number
  readonly rss_before_mb: number
  readonly rss_settled_mb: number
  readonly replica_jtis: number
  /** Seconds the bench took to write the revocations (not part of the figure). */
  readonly seed_seconds: number
}

/** Revokes jtis `from`..`to`-1 under `prefix`, up to 1,000 calls in flight. */
async function seed(store: RedisStore, from: number, to: number, expiresAt: number) {
  const batch = 1000
  for (let i = from; i < to; i += batch) {
    const calls = []
    for (let j = i; j < Math.min(to, i + batch); j += 1) {
      calls.push(store.revokeJti(`bench-jti-${j.toString(36).padStart(8, '0')}`, expiresAt))
    }
    await Promise.all(calls)
  }
}

/**
 * Replica start-up at each count of revoked jtis (ascending): the revocations are written under
 * one fresh prefix, then a new process loads a replica from it (bench/replica-start-child.ts).
 * The counts are cumulative, so 1,000,000 writes each revocation once.
 */
export async function benchReplicaStart(options: {
  redisUrl: string
  prefix: string
  counts: number[]
}): Promise<ReplicaStart[]> {
  const store = await RedisStore.connect({
    url: options.redisUrl,
    prefix: options.prefix,
    warn: () => {},
    // Seeding keeps many calls in flight on a loaded machine: a slow answer is not a failure.
    commandTimeout: 10_000,
  })
  const child = fileURLToPath(new URL('./replica-start-child.ts', import.meta.url))
  const results: ReplicaStart[] = []
  try {
    // Long enough to outlive the run: nothing expires while it is measured.
    const expiresAt = Date.now() + 3 * 3_600_000
    let written = 0
    for (const count of options.counts) {
      const seeding = performance.now()
      await seed(store, written, count, expiresAt)
      written = count
      const seedSeconds = (performance.now() - seeding) / 1000
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['--expose-gc', '--import', 'tsx', child, options.redisUrl, options.prefix],
        { maxBuffer: 1 << 20 },
      )
      const measured = JSON.parse(stdout) as Omit<ReplicaStart, 'revocations' | 'seed_seconds'>
      results.push({
        revocations: count,
        ...measured,
        seed_seconds: Number(seedSeconds.toFixed(1)),
      })
    }
    return results
  } finally {
    await store.close()
  }
}
