import { FeedGap, type Change, type ChangeFeed, type FeedBatch } from '../change-feed.js'
import type { RedisConnection, StreamEntry } from './connection.js'
import type { RedisKeys } from './keys.js'

const PAGE = 10_000
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
 * older than one token lifetime only describe expired denials). A replica reads a snapshot
 * with XRANGE, then tails with a blocking XREAD on a connection of its own.
 */
export class RedisChangeFeed implements ChangeFeed {
  readonly #redis: RedisConnection
  readonly #blocking: RedisConnection
  readonly #keys: RedisKeys
  readonly #retentionMs: number
  readonly #now: () => number

  constructor(
    redis: RedisConnection,
    blocking: RedisConnection,
    keys: RedisKeys,
    retentionMs: number,
    now: () => number,
  ) {
    this.#redis = redis
    this.#blocking = blocking
    this.#keys = keys
    this.#retentionMs = retentionMs
    this.#now = now
  }

  async snapshot(): Promise<FeedBatch> {
    const changes: Change[] = []
    let start = '-'
    let cursor = '0-0'
    for (;;) {
      const page = await this.#redis.xRange(this.#keys.feed, start, '+', { COUNT: PAGE })
      changes.push(...decode(page))
      const last = page.at(-1)
      if (last !== undefined) cursor = last.id
      if (page.length < PAGE) break
      start = `(${cursor}`
    }
    // The permanent state is read directly: the stream forgets, the epoch and retirements don't.
    const [epoch, retired] = await Promise.all([
      this.#redis.get(this.#keys.epoch),
      this.#redis.sMembers(this.#keys.retiredKids),
    ])
    if (epoch !== null) changes.push({ kind: 'epoch', cutoff: Number(epoch) })
    for (const kid of retired) changes.push({ kind: 'retired', kid })
    return { changes, cursor }
  }

  async next(cursor: string, blockMs: number): Promise<FeedBatch> {
    await this.#assertNoGap(cursor)
    const reply = await this.#blocking.xRead(
      { key: this.#keys.feed, id: cursor },
      { COUNT: 1000, BLOCK: blockMs },
    )
    const messages = reply?.[0]?.messages ?? []
    return { changes: decode(messages), cursor: messages.at(-1)?.id ?? cursor }
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
    await this.#blocking.close()
  }
}
