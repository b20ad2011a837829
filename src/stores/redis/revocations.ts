/**
 * The store contract's revocation half on Redis: markers (jti, session), cutoffs (user, epoch),
 * the one-round-trip revocation check, jwt-redis's issued records, and the replicas'
 * acknowledgements that tell when a revocation reached every instance.
 */
import { isSessionActive } from '../../records/session.js'
import { isSuspended } from '../../records/user-state.js'
import type { RevocationQuery, RevocationStatus, SessionRecord } from '../store.js'
import { ttl, type StoreContext } from './context.js'
import { SCRIPTS } from './scripts.js'
import { RedisUserState } from './user-state.js'

/**
 * Most entries one script call prunes or ends per pass (expired, cut off, evicted): every script
 * costs O(log n) plus this bound, however many sessions the user has. Exported for the tests.
 */
export const SESSION_SLICE = 50

export async function revokeJti(context: StoreContext, jti: string, expiresAt: number) {
  const left = ttl(context, expiresAt)
  if (left <= 0) return
  await Promise.all([
    context.feed.append({ kind: 'jti', jti, expiresAt }),
    SCRIPTS.setMarker.run(context.redis, [context.keys.jti(jti)], [left]),
  ])
}

export async function recordIssued(
  context: StoreContext,
  jti: string,
  record: string,
  expiresAt: number,
): Promise<void> {
  const left = ttl(context, expiresAt)
  if (left <= 0) return
  await context.redis.set(context.keys.issued(jti), record, {
    expiration: { type: 'PX', value: left },
  })
}

export function readIssued(context: StoreContext, jti: string): Promise<string | null> {
  return context.redis.get(context.keys.issued(jti))
}

export async function deleteIssued(context: StoreContext, jti: string): Promise<boolean> {
  return (await context.redis.del(context.keys.issued(jti))) === 1
}

export async function revokeUser(
  context: StoreContext,
  sub: string,
  cutoff: number,
  expiresAt: number,
  everySession: boolean,
): Promise<SessionRecord[]> {
  const user = context.keys.user(sub)
  const [, ended] = (await Promise.all([
    context.feed.append({ kind: 'user', sub, cutoff, expiresAt }),
    SCRIPTS.revokeUser.run(
      context.redis,
      [user.cutoff, user.sessions, user.sessionsByExpiry, user.sessionsByCreation],
      [
        cutoff,
        Math.max(ttl(context, expiresAt), 1),
        user.sessionPrefix,
        user.revokedSessionPrefix,
        everySession ? 1 : 0,
        SESSION_SLICE,
      ],
    ),
  ])) as [string, string[]]
  const sessions = ended.map((record) => JSON.parse(record) as SessionRecord)
  // Which sessions ended is known only now; their tokens issued after the cutoff need it.
  await context.feed.appendSessionEnds(sessions, expiresAt)
  return sessions
}

/** Without the gate: the data-loss check itself raises the epoch. */
export async function setEpoch(context: StoreContext, cutoff: number): Promise<void> {
  await Promise.all([
    context.feed.append({ kind: 'epoch', cutoff }),
    SCRIPTS.setCutoff.run(context.redis, [context.keys.epoch], [cutoff, 0]),
  ])
}

export async function checkRevocation(
  context: StoreContext,
  query: RevocationQuery,
): Promise<RevocationStatus> {
  const { keys, redis } = context
  const user = keys.user(query.sub)
  // Issued together, node-redis writes these in one pipeline: one round trip (per node).
  const [jti, bareSession, userState, epoch, retired] = await Promise.all([
    redis.exists(keys.jti(query.jti)),
    redis.exists(keys.revokedSession(query.sid)),
    redis.mGet([
      user.cutoff,
      user.revokedSession(query.sid),
      user.session(query.sid),
      user.suspension,
      user.claimsCutoff,
    ]),
    redis.get(keys.epoch),
    redis.sIsMember(keys.retiredKids, query.kid),
  ])
  const [cutoff = null, userSession = null, record = null, suspended = null, claims = null] =
    userState
  const lifecycle = RedisUserState.parse(suspended, claims)
  const epochValue = epoch === null ? undefined : Number(epoch)
  const session = record === null ? undefined : (JSON.parse(record) as SessionRecord)
  return {
    jtiRevoked: jti > 0,
    sessionRevoked: bareSession > 0 || userSession !== null,
    userCutoff: cutoff === null ? undefined : Number(cutoff),
    epoch: epochValue,
    kidRetired: retired === true || retired === 1,
    sessionActive:
      session !== undefined &&
      session.sub === query.sub &&
      isSessionActive(session, query.now, {
        user: cutoff === null ? undefined : Number(cutoff),
        epoch: epochValue,
      }),
    userSuspended: isSuspended(lifecycle.suspension, query.now),
    claimsCutoff: lifecycle.claimsCutoff,
  }
}

export async function acknowledgeFeed(
  context: StoreContext,
  replicaId: string,
  position: string,
  ttlMs: number,
): Promise<void> {
  await SCRIPTS.acknowledgeFeed.run(
    context.redis,
    [context.keys.replicaAck(replicaId), context.keys.replicas],
    [replicaId, position, Math.max(1, Math.ceil(ttlMs))],
  )
}

export async function replicasBehind(context: StoreContext, position: string): Promise<number> {
  return Number(
    await SCRIPTS.replicasBehind.run(
      context.redis,
      [context.keys.replicas],
      [context.keys.replicaAckPrefix, position],
    ),
  )
}
