/**
 * Replica start-up on Redis (issue #20 item 4): the snapshot reads the revocation index, never
 * the keyspace, so keys under other prefixes cost nothing; a replica over N revocations agrees
 * with the store on every one; a data set written before the index existed still loads (one
 * migration scan, then never again); a replica that fell behind a trimmed feed resyncs and
 * agrees. Runs on a redis-server of its own: INFO commandstats counts every client's commands,
 * and the shared server's are other tests' business.
 */
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createClient } from 'redis'
import { FeedFollower } from '../../src/revocation/feed.js'
import { Replica } from '../../src/revocation/replica.js'
import type { RevocationQuery } from '../../src/records/revocation-reason.js'
import type { ChangeFeed } from '../../src/stores/change-feed.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { REVOKED_INDEX_BUCKETS } from '../../src/stores/redis/keys.js'
import { eventually, RedisProcess } from '../support/redis-server.js'

const N = 20_000
const FOREIGN = 50_000
const HOUR = 3_600_000

type Client = ReturnType<typeof createClient>

/** Calls of each command since the last CONFIG RESETSTAT, from INFO commandstats. */
async function commandCounts(client: Client): Promise<Map<string, number>> {
  const info = await client.info('commandstats')
  const counts = new Map<string, number>()
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    counts.set(match[1] as string, Number(match[2]))
  }
  return counts
}

function query(jti: string, now: number): RevocationQuery {
  return { jti, sid: 'no-session', sub: 'no-user', kid: 'k1', now }
}

async function startReplica(
  store: RedisStore,
  wrap: (feed: ChangeFeed) => ChangeFeed = (feed) => feed,
  indexWindow?: number,
): Promise<{ replica: Replica; follower: FeedFollower }> {
  const replica = new Replica()
  const feed = wrap(
    await store.openChangeFeed({ ...(indexWindow !== undefined && { indexWindow }) }),
  )
  const follower = new FeedFollower(feed, replica, {
    clock: Date.now,
    blockMs: 50,
    sweepInterval: 60_000,
  })
  await follower.start()
  return { replica, follower }
}

/**
 * Revokes `count` jtis named `<name>-<i>`, a thousand at a time (pipelined), their expiries
 * spread over an hour and more.
 */
async function revokeMany(store: RedisStore, name: string, count: number): Promise<string[]> {
  const jtis = Array.from({ length: count }, (_, i) => `${name}-${i}`)
  const start = Date.now() + HOUR
  for (let i = 0; i < jtis.length; i += 1000) {
    await Promise.all(
      jtis.slice(i, i + 1000).map((jti, k) => store.revokeJti(jti, start + (i + k) * 200)),
    )
  }
  return jtis
}

/** Asserts the replica answers as the store does for every jti (and for some never revoked). */
async function assertAgreement(store: RedisStore, replica: Replica, jtis: string[]) {
  const now = Date.now()
  const probes = [...jtis, ...Array.from({ length: 1000 }, (_, i) => `never-revoked-${i}`)]
  for (let i = 0; i < probes.length; i += 1000) {
    const batch = probes.slice(i, i + 1000)
    const answers = await Promise.all(batch.map((jti) => store.checkRevocation(query(jti, now))))
    batch.forEach((jti, k) => {
      const local = replica.check(query(jti, now)).status.jtiRevoked
      assert.equal(local, answers[k]?.jtiRevoked, `replica and store disagree on ${jti}`)
    })
  }
}

describe('replica start-up from the revocation index', () => {
  let redis: RedisProcess
  let client: Client

  before(async () => {
    redis = await RedisProcess.start({
      name: 'revocable-replica-startup',
      args: ['--appendonly', 'no', '--save', ''],
    })
    client = createClient({ url: redis.url })
    await client.connect()
    // Unrelated keys under another prefix: another application sharing the database.
    for (let i = 0; i < FOREIGN; i += 5000) {
      const batch = Array.from({ length: 5000 }, (_, k) => client.set(`other-app:${i + k}`, 'x'))
      await Promise.all(batch)
    }
  })
  after(async () => {
    await client.close()
    await redis.destroy()
  })

  test('a replica over 20,000 revocations loads without SCAN and agrees with the store on every jti', async () => {
    const store = await RedisStore.connect({
      url: redis.url,
      prefix: 'big:',
      warn: () => {},
      commandTimeout: 5000,
    })
    try {
      const jtis = await revokeMany(store, 'jti', N)
      await store.revokeSession('sid-1', Date.now() + HOUR)
      await store.revokeUser('user-1', Date.now(), Date.now() + HOUR)
      await store.suspendUser('user-2', { since: Date.now() })
      await store.setClaimsCutoff('user-3', Date.now(), Date.now() + HOUR)
      await client.configResetStat()
      const { replica, follower } = await startReplica(store)
      try {
        const counts = await commandCounts(client)
        assert.equal(counts.get('scan') ?? 0, 0, 'the snapshot scanned the keyspace')
        assert.equal(counts.get('keys') ?? 0, 0)
        // Every bucket read in a handful of windows, not one command per revocation.
        assert.ok((counts.get('zrange') ?? 0) < REVOKED_INDEX_BUCKETS * 5)
        assert.ok((counts.get('get') ?? 0) < 20, 'the snapshot read keys one by one')
        assert.equal(replica.size().jtis, N)
        await assertAgreement(store, replica, jtis)
        const now = Date.now()
        const status = (sid: string, sub: string) =>
          replica.check({ jti: 'x', sid, sub, kid: 'k1', now }).status
        assert.equal(status('sid-1', 'nobody').sessionRevoked, true)
        assert.equal(status('s', 'user-1').userCutoff !== undefined, true)
        assert.equal(status('s', 'user-2').userSuspended, true)
        assert.equal(status('s', 'user-3').claimsCutoff !== undefined, true)
      } finally {
        await follower.stop()
      }
      // Small windows: each bucket is read in many of them, and nothing falls between two.
      await client.configResetStat()
      const windowed = await startReplica(store, undefined, 100)
      try {
        assert.ok((await commandCounts(client)).get('zrange')! > REVOKED_INDEX_BUCKETS * 5)
        assert.equal(windowed.replica.size().jtis, N)
        await assertAgreement(store, windowed.replica, jtis)
      } finally {
        await windowed.follower.stop()
      }
    } finally {
      await store.close()
    }
  })

  test('revocations written before the index existed load once by a scan, then from the index', async () => {
    const store = await RedisStore.connect({
      url: redis.url,
      prefix: 'old:',
      warn: () => {},
      commandTimeout: 5000,
    })
    try {
      const jtis = await revokeMany(store, 'legacy', 2000)
      await store.revokeUser('user-old', Date.now(), Date.now() + HOUR)
      // The data set as a version without the index left it: markers, no index, no flag.
      const index = Array.from({ length: REVOKED_INDEX_BUCKETS }, (_, n) => `old:{rv${n}}:revoked`)
      await client.del([...index, 'old:{g}:revoked:indexed'])
      await client.configResetStat()
      const first = await startReplica(store)
      try {
        assert.ok((await commandCounts(client)).get('scan')! > 0, 'the migration scans once')
        await assertAgreement(store, first.replica, jtis)
        const now = Date.now()
        const cut = first.replica.check({ jti: 'x', sid: 's', sub: 'user-old', kid: 'k', now })
        assert.notEqual(cut.status.userCutoff, undefined)
      } finally {
        await first.follower.stop()
      }
      assert.equal(await client.get('old:{g}:revoked:indexed'), '1')
      await client.configResetStat()
      const second = await startReplica(store)
      try {
        assert.equal((await commandCounts(client)).get('scan') ?? 0, 0)
        await assertAgreement(store, second.replica, jtis)
        const now = Date.now()
        const cut = second.replica.check({ jti: 'x', sid: 's', sub: 'user-old', kid: 'k', now })
        assert.notEqual(cut.status.userCutoff, undefined)
      } finally {
        await second.follower.stop()
      }
    } finally {
      await store.close()
    }
  })

  test('a replica that fell behind a trimmed feed resyncs from the index and agrees', async () => {
    const store = await RedisStore.connect({
      url: redis.url,
      prefix: 'lag:',
      warn: () => {},
      commandTimeout: 5000,
    })
    try {
      const early = await revokeMany(store, 'early', 1000)
      // A feed whose reads wait behind a gate: the replica falls behind while it is shut.
      let open: () => void = () => {}
      let gate: Promise<void> | undefined
      const { replica, follower } = await startReplica(store, (feed) => ({
        snapshot: (apply) => feed.snapshot(apply),
        next: async (cursor, blockMs) => {
          await gate
          return feed.next(cursor, blockMs)
        },
        close: () => feed.close(),
      }))
      try {
        gate = new Promise((resolve) => (open = resolve))
        await new Promise((resolve) => setTimeout(resolve, 200)) // a read already under way ends
        const late = await revokeMany(store, 'late', 1000)
        // Every entry the replica has not read is trimmed away (as age would, sooner).
        const [newest] = await client.xRevRange('lag:{g}:feed', '+', '-', { COUNT: 1 })
        await client.xTrim('lag:{g}:feed', 'MINID', newest!.id)
        const resyncs = follower.stats().resyncs
        open()
        assert.equal(
          await eventually(() => follower.stats().resyncs > resyncs, 5000),
          true,
          'the gap was not noticed',
        )
        await assertAgreement(store, replica, [...early, ...late])
      } finally {
        open()
        await follower.stop()
      }
    } finally {
      await store.close()
    }
  })
})
