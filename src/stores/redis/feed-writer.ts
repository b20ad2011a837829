import type { Clock } from '../../clock.js'
import type { SessionRecord } from '../store.js'
import type { Change } from '../change-feed.js'
import type { RedisConnection } from './connection.js'
import { compareIds } from './feed.js'
import { indexExpiry, indexMember, type RedisKeys } from './keys.js'
import { SCRIPTS } from './scripts.js'

/** An index bucket drops its expired members on every this many of this instance's additions. */
const PRUNE_EVERY = 256
/**
 * The writing end of the change feed (a Redis stream replicas tail; `feed.ts` is the reading
 * end). Callers issue an append in the same tick as, and before, the write it describes: on one
 * connection the two go out in that order, and if the write is lost the replicas are merely
 * stricter than the store, never laxer.
 *
 * Each change a new replica must load is also added to the revocation index (keys.ts:
 * `revokedIndex`), in the same tick: the snapshot reads that index, never the keyspace. The stream
 * itself is trimmed by age (MINID, the feed retention), so it holds one token lifetime at most.
 */
export class FeedWriter {
  readonly #redis: RedisConnection
  readonly #keys: RedisKeys
  readonly #clock: Clock
  readonly #retention: number
  readonly #seen: (id: string) => void
  /** The id of the newest change this instance appended (what a revocation waits for). */
  #appended: string | undefined
  #indexed = 0

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
    const indexed = this.#index(change)
    const added = this.#redis.xAdd(
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
    const [id] = await Promise.all([added, indexed])
    this.#seen(id)
    if (this.#appended === undefined || compareIds(id, this.#appended) > 0) this.#appended = id
    return id
  }

  /** Adds the change's member to its bucket of the index; now and then prunes the bucket. */
  #index(change: Change): Promise<unknown> {
    this.#indexed += 1
    return indexChange(
      this.#redis,
      this.#keys,
      change,
      this.#clock(),
      this.#indexed % PRUNE_EVERY === 0,
    )
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

/**
 * Adds a change's member to its bucket of the revocation index (nothing for the changes a
 * snapshot does not load); `prune` also drops the bucket's expired members.
 */
export function indexChange(
  redis: RedisConnection,
  keys: RedisKeys,
  change: Change,
  now: number,
  prune: boolean,
): Promise<unknown> {
  const member = indexMember(change)
  if (member === undefined) return Promise.resolve()
  const expiry = indexExpiry(change)
  return SCRIPTS.indexRevocation.run(
    redis,
    [keys.revokedIndexFor(member)],
    [member, expiry === Number.POSITIVE_INFINITY ? '+inf' : expiry, now, prune ? 1 : 0],
  )
}
