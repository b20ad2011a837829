import type { Clock } from '../../clock.js'
import type { SessionRecord } from '../store.js'
import type { Change } from '../change-feed.js'
import type { RedisConnection } from './connection.js'
import { compareIds } from './feed.js'
import type { RedisKeys } from './keys.js'

/**
 * The writing end of the change feed (a Redis stream replicas tail; `feed.ts` is the reading
 * end). Callers issue an append in the same tick as, and before, the write it describes: on one
 * connection the two go out in that order, and if the write is lost the replicas are merely
 * stricter than the store, never laxer.
 */
export class FeedWriter {
  readonly #redis: RedisConnection
  readonly #keys: RedisKeys
  readonly #clock: Clock
  readonly #retention: number
  readonly #seen: (id: string) => void
  /** The id of the newest change this instance appended (what a revocation waits for). */
  #appended: string | undefined

  constructor(options: {
    redis: RedisConnection
    keys: RedisKeys
    clock: Clock
    retentionMs: number
    /** Told every id appended: the data-loss watchdog's revision. */
    seen: (id: string) => void
  }) {
    this.#redis = options.redis
    this.#keys = options.keys
    this.#clock = options.clock
    this.#retention = options.retentionMs
    this.#seen = options.seen
  }

  /** The id of the newest change this instance appended. */
  get position(): string | undefined {
    return this.#appended
  }

  async append(change: Change): Promise<string> {
    const id = await this.#redis.xAdd(
      this.#keys.feed,
      '*',
      { c: JSON.stringify(change) },
      {
        TRIM: {
          strategy: 'MINID',
          strategyModifier: '~',
          threshold: this.#clock() - this.#retention,
        },
      },
    )
    this.#seen(id)
    if (this.#appended === undefined || compareIds(id, this.#appended) > 0) this.#appended = id
    return id
  }

  appendActive(session: SessionRecord): Promise<string> {
    const { sid, sub, createdAt, expiresAt } = session
    return this.append({ kind: 'session-active', sid, sub, createdAt, expiresAt })
  }

  appendSessionEnds(sessions: SessionRecord[], expiresAt: number): Promise<unknown> {
    return Promise.all(
      sessions.map((session) => this.append({ kind: 'session', sid: session.sid, expiresAt })),
    )
  }
}
