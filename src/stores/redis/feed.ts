import { FeedGap, type Change, type ChangeFeed, type FeedBatch } from '../change-feed.js'
import type { RedisConnection, ScannableNode, StreamEntry } from './connection.js'
import type { RedisKeys } from './keys.js'

const SCAN_COUNT = 1000
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
 * older than one token lifetime only describe expired denials). A replica takes a snapshot of
 * the revocation keys themselves (SCAN: a background resync, never a request path), then tails
 * the stream with a blocking XREAD on a connection of its own.
 */
export class RedisChangeFeed implements ChangeFeed {
  readonly #redis: RedisConnection
  readonly #blocking: RedisConnection
  readonly #keys: RedisKeys
  readonly #retentionMs: number
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
    this.#now = options.now
    this.#nodes = options.nodes
    this.#checkData = options.checkData
    this.#assertData = options.assertData
    this.#seen = options.seen ?? (() => {})
    this.#onClose = options.onClose ?? (() => {})
  }

  /**
   * The cursor is read first and the keys after: a change made during the scan is then either
   * in the scan, or after the cursor, or both (applying a change twice is harmless).
   */
  async snapshot(): Promise<FeedBatch> {
    await this.#checkData()
    const [last] = await this.#redis.xRevRange(this.#keys.feed, '+', '-', { COUNT: 1 })
    const cursor = last?.id ?? '0-0'
    if (last !== undefined) this.#seen(last.id)
    const now = this.#now()
    const changes: Change[] = []
    const { scan } = this.#keys
    for (const node of await this.#nodes()) {
      const patterns = [
        scan.jtis,
        scan.sessions,
        scan.userCutoffs,
        scan.userSessions,
        scan.suspensions,
        scan.claimsCutoffs,
      ]
      for (const pattern of patterns) {
        for await (const keys of node.scanIterator({ MATCH: pattern.match, COUNT: SCAN_COUNT })) {
          if (keys.length === 0) continue
          // One GET per key, not one MGET per batch: on a cluster master, a batch holds keys
          // of many slots and MGET across slots fails with CROSSSLOT. Issued together, they
          // still go out as one pipeline.
          const [values, ttls] = await Promise.all([
            Promise.all(keys.map((key) => (pattern.kind === 'user' ? node.get(key) : null))),
            Promise.all(keys.map((key) => node.pTTL(key))),
          ])
          keys.forEach((key, i) => {
            const ttl = ttls[i] as number
            if (ttl === -2) return // expired between SCAN and PTTL
            const expiresAt = ttl === -1 ? Number.MAX_SAFE_INTEGER : now + ttl
            const change = pattern.parse(key, values[i] ?? null, expiresAt)
            if (change !== undefined) changes.push(change)
          })
        }
      }
    }
    // The permanent state: the epoch and the retirements.
    const [epoch, retired] = await Promise.all([
      this.#redis.get(this.#keys.epoch),
      this.#redis.sMembers(this.#keys.retiredKids),
    ])
    if (epoch !== null) changes.push({ kind: 'epoch', cutoff: Number(epoch) })
    for (const kid of retired) changes.push({ kind: 'retired', kid })
    return { changes, cursor }
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
