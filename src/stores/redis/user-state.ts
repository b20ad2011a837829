/**
 * The Redis side of the per-user state of issue #15 (suspension, claims cutoff, forgetting a
 * user, re-authentication), kept apart from index.ts: the store delegates to it. Every key is a
 * user key (`{u:<sub>}`), so each script stays in the user's cluster slot.
 */
import { StoreUnavailable } from '../../errors.js'
import type { SuspensionRecord, UserStateRecord } from '../../records/user-state.js'
import { isCutOff, type Cutoffs } from '../../records/cutoff.js'
import {
  decideReauthentication,
  type ReauthenticationRequest,
} from '../../records/reauthentication.js'
import type { Change } from '../change-feed.js'
import type { SessionRecord } from '../store.js'
import type { RedisConnection } from './connection.js'
import type { RedisKeys } from './keys.js'
import { SCRIPTS } from './scripts.js'

export interface RedisUserStateDeps {
  readonly redis: RedisConnection
  readonly keys: RedisKeys
  /** Milliseconds from now until `expiresAt` on the store's clock option. */
  readonly ttl: (expiresAt: number) => number
  /** Appends a change to the feed (issued before the write it describes). */
  readonly append: (change: Change) => Promise<string>
  /** The owner (sub) of a session id, or null. */
  readonly owner: (sid: string) => Promise<string | null>
  readonly epoch: () => Promise<number | undefined>
  /** Ends a session as `revokeSession` does. */
  readonly revokeSession: (sid: string, expiresAt: number) => Promise<unknown>
}

// A suspension's key outlives its `until` by this much, so a verifier whose clock runs behind
// Redis's still reads it; `isSuspended` decides with the `until` in the record.
const SUSPENSION_SLACK_MS = 86_400_000
// Session records one forgetUser script call deletes (see forget-sessions.lua).
const FORGET_SLICE = 200
// Keys deleted at once by forgetUser (one DEL each, issued together as a pipeline).
const DELETE_BATCH = 50
// Compare-and-swap attempts of a re-authentication before giving up (as rotation does).
const MAX_SWAP_ATTEMPTS = 10

/**
 * Records that the owner pointer of `sid` names `sub` (createSession calls it beside the pointer
 * write), so that forgetUser finds every pointer of the user.
 */
export async function noteOwnedSession(
  redis: RedisConnection,
  keys: RedisKeys,
  sub: string,
  sid: string,
  ttlMs: number,
): Promise<void> {
  await SCRIPTS.noteOwned.run(redis, [keys.user(sub).ownedSids], [sid, ttlMs])
}

export class RedisUserState {
  readonly #deps: RedisUserStateDeps

  constructor(deps: RedisUserStateDeps) {
    this.#deps = deps
  }

  /** Parses what checkRevocation read from the two keys. */
  static parse(suspension: string | null, claimsCutoff: string | null): UserStateRecord {
    return {
      ...(suspension !== null && { suspension: JSON.parse(suspension) as SuspensionRecord }),
      ...(claimsCutoff !== null && { claimsCutoff: Number(claimsCutoff) }),
    }
  }

  async get(sub: string): Promise<UserStateRecord> {
    const user = this.#deps.keys.user(sub)
    const [suspension = null, claims = null] = await this.#deps.redis.mGet([
      user.suspension,
      user.claimsCutoff,
    ])
    return RedisUserState.parse(suspension, claims)
  }

  async suspend(sub: string, suspension: SuspensionRecord): Promise<void> {
    const { redis, keys, ttl, append } = this.#deps
    const value = JSON.stringify(suspension)
    const key = keys.user(sub).suspension
    const change: Change =
      suspension.until === undefined
        ? { kind: 'suspension', sub }
        : { kind: 'suspension', sub, until: suspension.until }
    await Promise.all([
      append(change),
      suspension.until === undefined
        ? redis.set(key, value)
        : redis.set(key, value, {
            expiration: {
              type: 'PX',
              value: Math.max(ttl(suspension.until), 1) + SUSPENSION_SLACK_MS,
            },
          }),
    ])
  }

  async reinstate(sub: string): Promise<SuspensionRecord | undefined> {
    const { redis, keys, append } = this.#deps
    const key = keys.user(sub).suspension
    const [, previous] = (await Promise.all([
      append({ kind: 'reinstated', sub }),
      SCRIPTS.takeKey.run(redis, [key], []),
    ])) as [string, string | null]
    return previous === null ? undefined : (JSON.parse(previous) as SuspensionRecord)
  }

  async setClaimsCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    const { redis, keys, ttl, append } = this.#deps
    await Promise.all([
      append({ kind: 'claims', sub, cutoff, expiresAt }),
      SCRIPTS.setCutoff.run(
        redis,
        [keys.user(sub).claimsCutoff],
        [cutoff, Math.max(ttl(expiresAt), 1)],
      ),
    ])
  }

  async forget(sub: string): Promise<void> {
    const { redis, keys, append } = this.#deps
    const user = keys.user(sub)
    await append({ kind: 'reinstated', sub })
    const forgotten = new Set<string>()
    for (;;) {
      const sids = (await SCRIPTS.forgetSessions.run(
        redis,
        [user.sessions, user.sessionsByExpiry, user.sessionsByCreation],
        [user.sessionPrefix, FORGET_SLICE],
      )) as string[]
      if (sids.length === 0) break
      for (const sid of sids) forgotten.add(sid)
      await this.#deleteEach(sids.map((sid) => keys.sessionOwner(sid)))
    }
    // Sessions ended before (revoked, suspended, the slice revokeUser ended) left their records
    // gone but their owner pointers, which name the user: every one of them goes too. (Pointers
    // written before the owned set existed are not in it; they expire with their sessions.)
    const owned = (await redis.sMembers(user.ownedSids)).filter((sid) => !forgotten.has(sid))
    await this.#deleteEach(owned.flatMap((sid) => [keys.sessionOwner(sid), user.session(sid)]))
    await this.#deleteEach([user.suspension, user.claimsCutoff, user.ownedSids])
  }

  /**
   * Deletes keys of any slots, a bounded batch at a time: one DEL per key (a batch spans
   * slots), never a burst of thousands that would queue behind each other past the deadline.
   */
  async #deleteEach(names: readonly string[]): Promise<void> {
    const { redis } = this.#deps
    for (let start = 0; start < names.length; start += DELETE_BATCH) {
      await Promise.all(names.slice(start, start + DELETE_BATCH).map((name) => redis.del(name)))
    }
  }

  /** Compare-and-swap of the session record, as rotation does (swap-session.lua). */
  async reauthenticate(request: ReauthenticationRequest): Promise<SessionRecord | undefined> {
    const { redis, keys, ttl, owner, epoch, append } = this.#deps
    const [sub, epochValue] = await Promise.all([owner(request.sid), epoch()])
    if (sub === null) return undefined
    const user = keys.user(sub)
    const recordKey = user.session(request.sid)
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt += 1) {
      const [raw = null, cutoff = null] = await redis.mGet([recordKey, user.cutoff])
      if (raw === null) return undefined
      const session = JSON.parse(raw) as SessionRecord
      const cutoffs: Cutoffs = {
        user: cutoff === null ? undefined : Number(cutoff),
        epoch: epochValue,
      }
      const next = decideReauthentication(session, request, cutoffs)
      if (next === undefined) return undefined
      const swapped = await SCRIPTS.swapSession.run(
        redis,
        [
          recordKey,
          user.sessions,
          user.revokedSession(request.sid),
          user.cutoff,
          user.sessionsByExpiry,
          user.sessionsByCreation,
        ],
        [
          raw,
          'save',
          request.sid,
          JSON.stringify(next),
          ttl(next.purgeAt),
          next.lastUsedAt,
          cutoff ?? '',
          next.expiresAt,
          next.createdAt,
        ],
      )
      if (swapped !== 1) continue
      // The epoch lives in another slot: a revokeAll that landed since it was read ends the
      // session now, as rotation does.
      if (isCutOff(next.createdAt, { user: cutoffs.user, epoch: await epoch() })) {
        await this.#deps.revokeSession(request.sid, request.revocationExpiresAt)
        return undefined
      }
      const { sid, createdAt, expiresAt } = next
      await append({ kind: 'session-active', sid, sub, createdAt, expiresAt })
      return next
    }
    throw new StoreUnavailable('session record kept changing during re-authentication; try again')
  }
}
