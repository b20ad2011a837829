/**
 * Replica start-up at 10k / 100k / 1M revoked jtis (issue #20 item 4), on a redis-server of its
 * own: fills it through the store (the real write path: feed entry, marker, index member), then
 * starts a replica in a fresh process and times its snapshot, with its peak RSS; also the Redis
 * bytes per revocation (MEMORY USAGE of the marker, the feed and the index, averaged), and the
 * start-up with nothing revoked beside 143,000 keys of another application. The lead or
 * bench/index.ts call `benchReplicaStartup`; `node --import tsx bench/replica-startup.ts [counts]`
 * runs it alone.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createClient } from 'redis'
import { RedisStore } from '../src/stores/redis/index.js'
import { RedisProcess } from '../test/support/redis-server.js'

export interface ReplicaStartupRow {
  /** Revoked jtis in the store. */
  readonly revocations: number
  /** Keys of another application in the same database. */
  readonly foreignKeys: number
  /** The replica's snapshot, start to finish (ms), and the CPU its process spent on it (ms). */
  readonly startupMs: number
  readonly startupCpuMs: number
  /** Peak RSS of the replica's process during the load, and once loaded (MB). */
  readonly peakRssMb: number
  readonly loadedRssMb: number
  /** Redis bytes per revocation: marker key, feed entry, index member, and their sum. */
  readonly markerBytes: number
  readonly feedBytes: number
  readonly indexBytes: number
  readonly bytesPerRevocation: number
}

const HOUR = 3_600_000
const run = promisify(execFile)

async function startReplica(url: string, prefix: string) {
  const child = fileURLToPath(new URL('./replica-startup-child.ts', import.meta.url))
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', child, url, prefix],
    { maxBuffer: 1 << 20 },
  )
  return JSON.parse(stdout) as {
    ms: number
    cpuMs: number
    jtis: number
    peakRss: number
    rssLoaded: number
  }
}

/** MEMORY USAGE of every key matching `pattern` (SAMPLES 0: exact), summed. */
async function bytesOf(client: ReturnType<typeof createClient>, keys: string[]): Promise<number> {
  let total = 0
  for (const key of keys) total += (await client.memoryUsage(key, { SAMPLES: 0 })) ?? 0
  return total
}

async function fill(store: RedisStore, count: number): Promise<string[]> {
  const expiresAt = Date.now() + HOUR
  const sample: string[] = []
  for (let i = 0; i < count; i += 2000) {
    const batch = Array.from({ length: Math.min(2000, count - i) }, () =>
      randomBytes(16).toString('base64url'),
    )
    if (sample.length < 1000) sample.push(...batch.slice(0, 1000 - sample.length))
    await Promise.all(batch.map((jti) => store.revokeJti(jti, expiresAt)))
  }
  return sample
}

export async function benchReplicaStartup(
  counts: readonly number[] = [10_000, 100_000, 1_000_000],
  foreignKeys = 143_000,
  report: (row: ReplicaStartupRow) => void = () => {},
): Promise<ReplicaStartupRow[]> {
  const rows: ReplicaStartupRow[] = []
  const redis = await RedisProcess.start({
    name: 'revocable-replica-startup',
    args: ['--appendonly', 'no', '--save', ''],
  })
  const client = createClient({ url: redis.url })
  await client.connect()
  try {
    // Nothing revoked, another application's keys beside the store's.
    for (let i = 0; i < foreignKeys; i += 5000) {
      const n = Math.min(5000, foreignKeys - i)
      await Promise.all(Array.from({ length: n }, (_, k) => client.set(`other-app:${i + k}`, 'x')))
    }
    const empty = await startReplica(redis.url, 'empty:')
    const none: ReplicaStartupRow = {
      revocations: 0,
      foreignKeys,
      startupMs: empty.ms,
      startupCpuMs: empty.cpuMs,
      peakRssMb: empty.peakRss / 2 ** 20,
      loadedRssMb: empty.rssLoaded / 2 ** 20,
      markerBytes: 0,
      feedBytes: 0,
      indexBytes: 0,
      bytesPerRevocation: 0,
    }
    rows.push(none)
    report(none)
    for (const count of counts) {
      const prefix = `n${count}:`
      const store = await RedisStore.connect({
        url: redis.url,
        prefix,
        commandTimeout: 10_000,
        warn: () => {},
      })
      const sample = await fill(store, count)
      await store.close()
      const markers = await bytesOf(
        client,
        sample.map((jti) => `${prefix}j:${jti}`),
      )
      const feed = await bytesOf(client, [`${prefix}{g}:feed`])
      const index = await bytesOf(
        client,
        Array.from({ length: 16 }, (_, n) => `${prefix}{rv${n}}:revoked`),
      )
      const loaded = await startReplica(redis.url, prefix)
      if (loaded.jtis < count) throw new Error(`the replica loaded ${loaded.jtis} of ${count}`)
      const row: ReplicaStartupRow = {
        revocations: count,
        foreignKeys,
        startupMs: loaded.ms,
        startupCpuMs: loaded.cpuMs,
        peakRssMb: loaded.peakRss / 2 ** 20,
        loadedRssMb: loaded.rssLoaded / 2 ** 20,
        markerBytes: markers / sample.length,
        feedBytes: feed / count,
        indexBytes: index / count,
        bytesPerRevocation: markers / sample.length + feed / count + index / count,
      }
      rows.push(row)
      report(row)
      await client.flushAll() // the next count on a clean server (foreign keys re-added)
      for (let i = 0; i < foreignKeys; i += 5000) {
        const n = Math.min(5000, foreignKeys - i)
        await Promise.all(
          Array.from({ length: n }, (_, k) => client.set(`other-app:${i + k}`, 'x')),
        )
      }
    }
  } finally {
    await client.close()
    await redis.destroy()
  }
  return rows
}

export function formatReplicaStartupRow(row: ReplicaStartupRow): string {
  const fixed = (n: number) => n.toFixed(0).padStart(6)
  return [
    `${String(row.revocations).padStart(9)} revoked, ${row.foreignKeys} foreign keys:`,
    `start-up ${fixed(row.startupMs)} ms (CPU ${fixed(row.startupCpuMs)} ms),`,
    `peak RSS ${fixed(row.peakRssMb)} MB (loaded ${fixed(row.loadedRssMb)} MB),`,
    `Redis ${fixed(row.bytesPerRevocation)} B/revocation`,
    `(marker ${row.markerBytes.toFixed(0)}, feed ${row.feedBytes.toFixed(0)}, index ${row.indexBytes.toFixed(0)})`,
  ].join(' ')
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const counts = process.argv.slice(2).map(Number)
  await benchReplicaStartup(counts.length > 0 ? counts : undefined, 143_000, (row) =>
    console.log(formatReplicaStartupRow(row)),
  )
}
