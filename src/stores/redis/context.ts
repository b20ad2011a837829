import type { Clock } from '../../clock.js'
import type { Cutoffs } from '../../records/cutoff.js'
import type { RedisConnection } from './connection.js'
import type { FeedWriter } from './feed-writer.js'
import type { RedisKeys } from './keys.js'

/**
 * What the store's contract methods (sessions.ts, revocations.ts, signing-keys.ts) work with:
 * the connection with its deadline, the key names, the clock and the feed. `RedisStore` gates
 * each call (the data-loss check) before handing it over.
 */
export interface StoreContext {
  readonly redis: RedisConnection
  readonly keys: RedisKeys
  readonly clock: Clock
  readonly feed: FeedWriter
  /** The gate again, for a step that follows others (a rotation ending a session). */
  ready(): Promise<void>
}

/** Milliseconds from now to `expiresAt` (may be negative). */
export function ttl(context: StoreContext, expiresAt: number): number {
  return Math.ceil(expiresAt - context.clock())
}

/** The global epoch, or undefined. */
export async function readEpoch(context: StoreContext): Promise<number | undefined> {
  const value = await context.redis.get(context.keys.epoch)
  return value === null ? undefined : Number(value)
}

/** The user's cutoff and the epoch. */
export async function readCutoffs(context: StoreContext, sub: string): Promise<Cutoffs> {
  const [user, epoch] = await Promise.all([
    context.redis.get(context.keys.user(sub).cutoff),
    readEpoch(context),
  ])
  return { user: user === null ? undefined : Number(user), epoch }
}

/** Which user a session belongs to, or null. */
export function readOwner(context: StoreContext, sid: string): Promise<string | null> {
  return context.redis.get(context.keys.sessionOwner(sid))
}
