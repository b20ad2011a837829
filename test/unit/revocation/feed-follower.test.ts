import assert from 'node:assert/strict'
import { test } from 'node:test'
import { FeedFollower } from '../../../src/revocation/feed.js'
import { Replica } from '../../../src/revocation/replica.js'
import {
  FeedGap,
  type Change,
  type ChangeFeed,
  type FeedBatch,
} from '../../../src/stores/change-feed.js'
import { manualClock } from '../../support/clock.js'

/**
 * A ChangeFeed of our own interface, driven by the test: it hands out what was pushed, can be
 * told to fail or to report a gap. (The Redis feed itself is tested against a real Redis.)
 */
class ScriptedFeed implements ChangeFeed {
  log: Change[] = []
  snapshots = 0
  failing = false
  gapOnce = false
  snapshotFails = false
  /** Awaited half way through the snapshot, after the cursor was taken. */
  duringSnapshot: () => Promise<void> = async () => {}
  async snapshot(apply: (change: Change) => void): Promise<{ cursor: string }> {
    this.snapshots += 1
    const cursor = String(this.log.length)
    const log = [...this.log]
    await this.duringSnapshot()
    for (const change of log) apply(change)
    if (this.snapshotFails) throw new Error('connection lost during the snapshot')
    return { cursor }
  }
  async next(cursor: string): Promise<FeedBatch> {
    await new Promise((resolve) => setImmediate(resolve))
    if (this.failing) throw new Error('connection lost')
    if (this.gapOnce) {
      this.gapOnce = false
      throw new FeedGap('trimmed')
    }
    return { changes: this.log.slice(Number(cursor)), cursor: String(this.log.length) }
  }
  async close(): Promise<void> {}
}

const query = (clock: () => number, jti: string) => ({
  now: clock(),
  jti,
  sid: 's',
  sub: 'u',
  kid: 'k',
})

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve))
}

test('the snapshot is applied before start resolves, then changes are tailed', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  feed.log.push({ kind: 'jti', jti: 'a', expiresAt: clock() + 60_000 })
  const replica = new Replica()
  const follower = new FeedFollower(feed, replica, { clock, blockMs: 10, sweepInterval: 60_000 })
  await follower.start()
  assert.equal(replica.check(query(clock, 'a')).status.jtiRevoked, true)
  feed.log.push({ kind: 'jti', jti: 'b', expiresAt: clock() + 60_000 })
  await settle()
  assert.equal(replica.check(query(clock, 'b')).status.jtiRevoked, true)
  await follower.stop()
})

test('a failing feed stops proving freshness, so the replica goes stale after maxStaleness', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  const follower = new FeedFollower(feed, new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
  })
  await follower.start()
  await settle()
  assert.equal(follower.isFresh(1000), true)
  feed.failing = true
  await settle()
  clock.advance(1001)
  assert.equal(follower.isFresh(1000), false)
  assert.equal(follower.stats().connected, false)
  assert.ok(follower.stats().feedErrors > 0)
  await follower.stop()
})

test('after a feed failure the follower resynchronises from a snapshot', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  const follower = new FeedFollower(feed, new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
  })
  await follower.start()
  feed.failing = true
  await settle()
  feed.failing = false
  await new Promise((resolve) => setTimeout(resolve, 120)) // the first retry waits 50 ms
  assert.equal(feed.snapshots, 2)
  assert.equal(follower.stats().connected, true)
  await follower.stop()
})

test('a gap in the feed triggers a resynchronisation that drops stale state', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  const replica = new Replica()
  feed.log.push({ kind: 'jti', jti: 'a', expiresAt: clock() + 60_000 })
  const follower = new FeedFollower(feed, replica, { clock, blockMs: 10, sweepInterval: 60_000 })
  await follower.start()
  feed.log = [{ kind: 'jti', jti: 'b', expiresAt: clock() + 60_000 }]
  feed.gapOnce = true
  await settle()
  assert.equal(follower.stats().resyncs, 2)
  assert.equal(replica.check(query(clock, 'b')).status.jtiRevoked, true)
  assert.equal(replica.check(query(clock, 'a')).status.jtiRevoked, false)
  await follower.stop()
})

test('a replica acknowledges its position before its snapshot and after every read', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  feed.log.push({ kind: 'jti', jti: 'a', expiresAt: clock() + 60_000 })
  const positions: string[] = []
  const follower = new FeedFollower(feed, new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
    acknowledge: { write: async (position) => void positions.push(position), ttlMs: 2000 },
  })
  await follower.start()
  // Registered behind everything before the snapshot, then at the snapshot's position.
  assert.deepEqual(positions.slice(0, 2), ['0-0', '1'])
  feed.log.push({ kind: 'jti', jti: 'b', expiresAt: clock() + 60_000 })
  await settle()
  assert.equal(positions.at(-1), '2')
  await follower.stop()
})

test('a replica whose acknowledgements fail goes stale, though its feed reads succeed', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  let failing = false
  const follower = new FeedFollower(feed, new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
    acknowledge: {
      write: async () => {
        if (failing) throw new Error('READONLY')
      },
      ttlMs: 2000,
    },
  })
  await follower.start()
  await settle()
  assert.equal(follower.isFresh(1000), true)
  failing = true
  await settle()
  clock.advance(2001)
  await settle()
  // A revocation waiting for replicas skips this one once its acknowledgement expired: it must
  // not answer from memory any more.
  assert.equal(follower.isFresh(1000), false)
  failing = false
  await settle()
  assert.equal(follower.isFresh(1000), true)
  await follower.stop()
})

test('a read that began after its acknowledgement expired does not prove freshness', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  let slowOnce = false
  let readsLeft = Infinity
  const next = feed.next.bind(feed)
  feed.next = async (cursor: string) => {
    if (readsLeft <= 0) throw new Error('connection lost')
    readsLeft -= 1
    return next(cursor)
  }
  const follower = new FeedFollower(feed, new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
    acknowledge: {
      write: async () => {
        if (!slowOnce) return
        slowOnce = false
        // The acknowledgement reached Redis, but its answer came back only after its TTL: it
        // may have expired before the next read even began.
        clock.advance(2000)
        readsLeft = 1
      },
      ttlMs: 2000,
    },
  })
  await follower.start()
  await settle()
  slowOnce = true
  await settle()
  // The one read after the slow acknowledgement succeeded, yet proves nothing.
  assert.equal(readsLeft, 0)
  assert.equal(follower.isFresh(1000), false)
  await follower.stop()
})

test('a stopped replica is no longer fresh and withdraws its acknowledgement', async () => {
  const clock = manualClock()
  let withdrawn = 0
  const follower = new FeedFollower(new ScriptedFeed(), new Replica(), {
    clock,
    blockMs: 10,
    sweepInterval: 60_000,
    acknowledge: { write: async () => {}, ttlMs: 2000, withdraw: async () => void withdrawn++ },
  })
  await follower.start()
  await settle()
  assert.equal(follower.isFresh(1000), true)
  await follower.stop()
  assert.equal(follower.isFresh(1000), false)
  assert.equal(withdrawn, 1)
})

test('a snapshot that fails half way leaves the replica as it was', async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  feed.log.push({ kind: 'jti', jti: 'a', expiresAt: clock() + 60_000 })
  const replica = new Replica()
  const follower = new FeedFollower(feed, replica, { clock, blockMs: 10, sweepInterval: 60_000 })
  await follower.start()
  feed.snapshotFails = true
  feed.gapOnce = true
  await settle()
  assert.ok(feed.snapshots > 1)
  assert.equal(replica.check(query(clock, 'a')).status.jtiRevoked, true)
  await follower.stop()
})

test("this instance's own revocation made during a resync survives the swap", async () => {
  const clock = manualClock()
  const feed = new ScriptedFeed()
  const replica = new Replica()
  // Applied to the replica at once (as Revoker does) while the snapshot is being read; its
  // feed entry comes after the snapshot's cursor and has not been tailed yet.
  feed.duringSnapshot = async () => {
    replica.apply({ kind: 'jti', jti: 'own', expiresAt: clock() + 60_000 })
  }
  const follower = new FeedFollower(feed, replica, { clock, blockMs: 10, sweepInterval: 60_000 })
  feed.failing = true // no tailing: only the snapshot and the swap count
  await follower.start()
  assert.equal(replica.check(query(clock, 'own')).status.jtiRevoked, true)
  await follower.stop()
})
