import { FeedGap, type Change, type ChangeFeed, type FeedBatch } from '../change-feed.js'
import {
  withDeadline,
  type RedisConnection,
  type ScannableNode,
  type StreamEntry,
} from './connection.js'
import { indexChange } from './feed-writer.js'
import type { RedisKeys, ScanPattern } from './keys.js'

const SCAN_COUNT = 1000
/** Members a window of a bucket of the index holds, about (when expiries spread evenly). */
const INDEX_WINDOW = 5000
/** Least deadline of one window of the snapshot: 16 are in flight at once. */
const SNAPSHOT_PAGE_MS = 5000
// Redis stamps stream ids with its own clock; tolerate this much skew against ours.
const CLOCK_SLACK_MS = 60_000

function idTime(id: string): number {
  return Number(id.slice(0, id.indexOf('-')))
}

/** Orders stream ids ("<ms>-<seq>"). */
export function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number)
  const [bm = 0, bs = 0] = b.split('-').map(Number)
  return am - bm || as - bs
}

function decode(entries: StreamEntry[]): Change[] {
  const changes: Change[] = []
  for (const entry of entries) {
    const raw = entry.message.c
    if (raw !== undefined) changes.push(JSON.parse(raw) as Change)
  }
  return changes
}

/**
 * The Redis change feed: a stream written next to every revocation, trimmed by age (entries
 * older than one token lifetime only describe expired denials). A replica loads a snapshot from
 * the revocation index (keys.ts `revokedIndex`: a few sorted sets read with ZSCAN, never a scan
 * of the keyspace), then tails the stream with a blocking XREAD on a connection of its own.
 */
export class RedisChangeFeed implements ChangeFeed {
  readonly #redis: RedisConnection
  readonly #blocking: RedisConnection
  readonly #keys: RedisKeys
  readonly #retentionMs: number
  readonly #pageTimeout: number
  readonly #indexWindow: number
  readonly #now: () => number
  readonly #nodes: () => Promise<ScannableNode[]>
  readonly #checkData: () => Promise<void>
  readonly #assertData: () => void
  readonly #seen: (id: string) => void
  readonly #onClose: () => void

  constructor(options: {
    redis: RedisConnection
    blocking: RedisConnection
    keys: RedisKeys
    retentionMs: number
    /** The store's command deadline (ms); a window of the snapshot gets at least 5 s. */
    commandTimeout?: number
    /** Members a window of the snapshot holds, about (default 5000; tests lower it). */
    indexWindow?: number
    now: () => number
    /** Every node to scan: the one server, or each master of a cluster. */
    nodes: () => Promise<ScannableNode[]>
    /**
     * Runs the store's data-loss check (the generation marker) before each snapshot: a gap may
     * mean Redis lost its data, and the loss must be handled (the epoch raised) before the
     * snapshot is read, or the replica would load the emptied state as the truth.
     */
    checkData: () => Promise<void>
    /** Throws while the store fails closed after a data loss: the feed then proves nothing. */
    assertData: () => void
    /** Hears the id of every entry read, so the store knows the newest revision it has seen. */
    seen?: (id: string) => void
    /** Runs once the blocking connection is closed. */
    onClose?: () => void
  }) {
    this.#redis = options.redis
    this.#blocking = options.blocking
    this.#keys = options.keys
    this.#retentionMs = options.retentionMs
    this.#pageTimeout = options.commandTimeout ?? 0
    this.#indexWindow = options.indexWindow ?? INDEX_WINDOW
    this.#now = options.now
    this.#nodes = options.nodes
    this.#checkData = options.checkData
    this.#assertData = options.assertData
    this.#seen = options.seen ?? (() => {})
    this.#onClose = options.onClose ?? (() => {})
  }

  /**
   * The cursor is read first and the index after: a change made during the read is then either
   * in the index, or after the cursor, or both (applying a change twice is harmless). The index's
   * buckets are read side by side in windows of a few thousand members, each applied as it
   * arrives; no key outside the index (and the user keys it names) is touched, whatever else
   * Redis holds.
   */
  async snapshot(
    apply: (change: Change) => void,
    expect: (count: number) => void = () => {},
  ): Promise<{ cursor: string }> {
    await this.#checkData()
    const [[last], indexed, ...sizes] = await Promise.all([
      this.#redis.xRevRange(this.#keys.feed, '+', '-', { COUNT: 1 }),
      this.#redis.get(this.#keys.revokedIndexed),
      ...this.#keys.revokedIndex.map((bucket) => this.#redis.zCard(bucket)),
    ])
    const cursor = last?.id ?? '0-0'
    if (last !== undefined) this.#seen(last.id)
    if (indexed === null) await this.#migrate(apply)
    else {
      expect((sizes as number[]).reduce((sum, size) => sum + size, 0))
      // Every bucket side by side, each a chain of windows on the feed's own connection (idle
      // until the tail starts), with a deadline per window that allows for the queue.
      const bulk = withDeadline(this.#blocking, Math.max(this.#pageTimeout, SNAPSHOT_PAGE_MS))
      await Promise.all(
        this.#keys.revokedIndex.map((bucket, i) =>
          this.#readBucket(bulk, bucket, sizes[i] as number, apply),
        ),
      )
    }
    // The permanent state: the epoch and the retirements.
    const [epoch, retired] = await Promise.all([
      this.#redis.get(this.#keys.epoch),
      this.#redis.sMembers(this.#keys.retiredKids),
    ])
    if (epoch !== null) apply({ kind: 'epoch', cutoff: Number(epoch) })
    for (const kid of retired) apply({ kind: 'retired', kid })
    return { cursor }
  }

  /**
   * One bucket of the index, in windows of expiry read in ascending order, each by one
   * ZRANGE BYSCORE (members only) and applied as it arrives. A window is read whole, and a
   * member only ever moves to a later expiry (ZADD GT) or leaves once expired, so none can slip
   * from a window not yet read into one already read. jti and session members carry their
   * expiry; a user's cutoff, suspension or claims cutoff is read from the user's own keys (the
   * index only says which users have one), exactly as the migration scan reads them.
   */
  async #readBucket(
    bulk: RedisConnection,
    bucket: string,
    size: number,
    apply: (change: Change) => void,
  ): Promise<void> {
    if (size === 0) return
    const now = Math.floor(this.#now())
    const bounds = [`(${now}`]
    if (size > this.#indexWindow * 1.5) {
      const [latest] = await bulk.zRangeWithScores(bucket, -1, -1)
      const last = latest?.score ?? now
      if (Number.isFinite(last) && last > now) {
        const windows = Math.ceil(size / this.#indexWindow)
        const width = Math.max(1, Math.ceil((last - now) / windows))
        for (let edge = now + width; edge < last; edge += width) bounds.push(`(${edge}`)
      }
    }
    bounds.push('+inf')
    const { scan, user } = this.#keys
    for (let i = 0; i + 1 < bounds.length; i += 1) {
      // "(a" to "(b" is a < score < b: the edge itself goes to the next window's "[".
      const min = i === 0 ? (bounds[0] as string) : (bounds[i] as string).slice(1)
      const max = bounds[i + 1] as string
      const members = await bulk.zRange(bucket, min, max, { BY: 'SCORE' })
      const lookups: { key: string; pattern: ScanPattern }[] = []
      for (const value of members) {
        switch (value.charCodeAt(0)) {
          case 106: // j:<expiresAt>:<jti>
          case 115: {
            // s:<expiresAt>:<sid>
            const colon = value.indexOf(':', 2)
            const expiresAt = Number(value.slice(2, colon))
            if (expiresAt <= now) break
            const id = value.slice(colon + 1)
            apply(
              value.charCodeAt(0) === 106
                ? { kind: 'jti', jti: id, expiresAt }
                : { kind: 'session', sid: id, expiresAt },
            )
            break
          }
          case 117: // u:<sub>
            lookups.push({ key: user(value.slice(2)).cutoff, pattern: scan.userCutoffs })
            break
          case 112: // p:<sub>
            lookups.push({ key: user(value.slice(2)).suspension, pattern: scan.suspensions })
            break
          case 99: // c:<sub>
            lookups.push({ key: user(value.slice(2)).claimsCutoff, pattern: scan.claimsCutoffs })
            break
        }
      }
      if (lookups.length > 0) await this.#readUserKeys(this.#redis, lookups, apply)
    }
  }

  /** GET and PTTL of user keys (each in its own slot: one command per key, pipelined). */
  async #readUserKeys(
    node: Pick<ScannableNode, 'get' | 'pTTL'>,
    lookups: { key: string; pattern: ScanPattern }[],
    apply: (change: Change) => void,
  ): Promise<void> {
    const now = this.#now()
    const [values, ttls] = await Promise.all([
      Promise.all(
        lookups.map(({ key, pattern }) => (pattern.kind === 'user' ? node.get(key) : null)),
      ),
      Promise.all(lookups.map(({ key }) => node.pTTL(key))),
    ])
    lookups.forEach(({ key, pattern }, i) => {
      const ttl = ttls[i] as number
      if (ttl === -2) return // expired (or removed) since it was indexed
      const expiresAt = ttl === -1 ? Number.MAX_SAFE_INTEGER : now + ttl
      const change = pattern.parse(key, values[i] ?? null, expiresAt)
      if (change !== undefined) apply(change)
    })
  }

  /**
   * A data set written before the index existed: one scan of the store's key patterns (on each
   * master), which loads the replica and fills the index as it goes, then marks the data set
   * indexed so no snapshot scans again. Revocations made meanwhile are indexed by their writers.
   */
  async #migrate(apply: (change: Change) => void): Promise<void> {
    const { scan } = this.#keys
    const patterns = [
      scan.jtis,
      scan.sessions,
      scan.userCutoffs,
      scan.userSessions,
      scan.suspensions,
      scan.claimsCutoffs,
    ]
    for (const node of await this.#nodes()) {
      for (const pattern of patterns) {
        for await (const keys of node.scanIterator({ MATCH: pattern.match, COUNT: SCAN_COUNT })) {
          if (keys.length === 0) continue
          const found: Change[] = []
          await this.#readUserKeys(
            node,
            keys.map((key) => ({ key, pattern })),
            (change) => {
              found.push(change)
              apply(change)
            },
          )
          const now = this.#now()
          await Promise.all(
            found.map((change) => indexChange(this.#redis, this.#keys, change, now, false)),
          )
        }
      }
    }
    await this.#redis.set(this.#keys.revokedIndexed, '1')
  }

  async next(cursor: string, blockMs: number): Promise<FeedBatch> {
    const reply = await this.#blocking.xRead(
      { key: this.#keys.feed, id: cursor },
      { COUNT: 1000, BLOCK: blockMs },
    )
    // Checked after the read: a trim during the blocking read is caught too. XREAD itself
    // silently skips entries that were trimmed away.
    await this.#assertNoGap(cursor)
    this.#assertData()
    const messages = reply?.[0]?.messages ?? []
    const last = messages.at(-1)?.id
    if (last !== undefined) this.#seen(last)
    return { changes: decode(messages), cursor: last ?? cursor }
  }

  /**
   * Entries after `cursor` are gone when the cursor is recent (so they cannot have aged out)
   * and yet the stream no longer reaches back to it: trimmed by hand, or lost with Redis's data.
   */
  async #assertNoGap(cursor: string): Promise<void> {
    if (cursor === '0-0') return
    if (idTime(cursor) < this.#now() - this.#retentionMs + CLOCK_SLACK_MS) return
    const [first] = await this.#redis.xRange(this.#keys.feed, '-', '+', { COUNT: 1 })
    if (first === undefined || compareIds(first.id, cursor) > 0) {
      throw new FeedGap(`the change feed no longer reaches back to ${cursor}`)
    }
  }

  async close(): Promise<void> {
    this.#onClose()
    await this.#blocking.close()
  }
}
