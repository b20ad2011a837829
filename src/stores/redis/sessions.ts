/**
 * The store contract's session half on Redis: a user's sessions live in the user's slot
 * (`{u:<sub>}`): records, three indexes and revoked markers, changed only by scripts; the rules
 * (who wins a rotation, is a session active, is it cut off) are the shared pure ones.
 */
import { StoreUnavailable } from '../../errors.js'
import { isCutOff, type Cutoffs } from '../../records/cutoff.js'
import {
  decideRotation,
  type RotationRequest,
  type RotationResult,
} from '../../records/rotation.js'
import { isSessionActive } from '../../records/session.js'
import type { CreateSessionResult, SessionLimit, SessionRecord } from '../store.js'
import { readCutoffs, readEpoch, readOwner, ttl, type StoreContext } from './context.js'
import { SESSION_SLICE } from './revocations.js'
import { SCRIPTS } from './scripts.js'
import { noteOwnedSession } from './user-state.js'

// How many times a refresh re-reads a session whose record changed under it. Each retry means
// another caller won; after the first winner and one reuse, the record is gone, so 3 suffices
// in practice and the bound only guards against a pathological loop.
const MAX_SWAP_ATTEMPTS = 10
// How many session records listSessions reads per MGET, so one huge account never blocks Redis.
const LIST_CHUNK = 500

export async function revokeSession(
  context: StoreContext,
  sid: string,
  expiresAt: number,
): Promise<SessionRecord | undefined> {
  const left = Math.max(ttl(context, expiresAt), 1)
  // The bare marker first: from here on the session's tokens are rejected whatever follows.
  const [, , owner] = await Promise.all([
    context.feed.append({ kind: 'session', sid, expiresAt }),
    SCRIPTS.setMarker.run(context.redis, [context.keys.revokedSession(sid)], [left]),
    readOwner(context, sid),
  ])
  if (owner === null) return undefined
  const user = context.keys.user(owner)
  const record = (await SCRIPTS.endSession.run(
    context.redis,
    [
      user.session(sid),
      user.sessions,
      user.revokedSession(sid),
      user.sessionsByExpiry,
      user.sessionsByCreation,
    ],
    [sid, left],
  )) as string | null
  return record === null ? undefined : (JSON.parse(record) as SessionRecord)
}

export async function createSession(
  context: StoreContext,
  session: SessionRecord,
  limit: SessionLimit,
): Promise<CreateSessionResult> {
  const user = context.keys.user(session.sub)
  const recordTtl = ttl(context, session.purgeAt)
  // The owner pointer first, so no session exists that a bare sid cannot reach. It lives as
  // long as the record can (the absolute expiry plus retention bounds every purgeAt).
  const pointerTtl = Math.max(
    recordTtl,
    ttl(context, session.absoluteExpiresAt + (session.purgeAt - session.expiresAt)),
  )
  await Promise.all([
    context.redis.set(context.keys.sessionOwner(session.sid), session.sub, {
      expiration: { type: 'PX', value: pointerTtl },
    }),
    // Issue #15: so that forgetUser (user-state.ts) finds every pointer that names the user.
    noteOwnedSession(context.redis, context.keys, session.sub, session.sid, pointerTtl),
  ])
  // The epoch lives in another slot: checked here, just before the script. The user's cutoff
  // is checked inside it, atomically with the write (the same rule: isCutOff).
  const epoch = await readEpoch(context)
  if (isCutOff(session.createdAt, { user: undefined, epoch })) {
    return { created: false, revoked: true, evicted: [] }
  }
  const reply = (await SCRIPTS.createSession.run(
    context.redis,
    [
      user.sessions,
      user.session(session.sid),
      user.cutoff,
      user.sessionsByExpiry,
      user.sessionsByCreation,
    ],
    [
      session.sid,
      JSON.stringify(session),
      recordTtl,
      session.lastUsedAt,
      limit.max === Infinity ? 'inf' : limit.max,
      limit.onLimit,
      limit.now,
      epoch ?? '',
      Math.max(ttl(context, limit.revocationExpiresAt), 1),
      user.sessionPrefix,
      user.revokedSessionPrefix,
      session.createdAt,
      session.expiresAt,
      SESSION_SLICE,
    ],
  )) as [number, ...string[]]
  const [created, ...evictedRecords] = reply
  if (created === -1) return { created: false, revoked: true, evicted: [] }
  const evicted = evictedRecords.map((record) => JSON.parse(record) as SessionRecord)
  if (created === 1) {
    await Promise.all([
      context.feed.appendSessionEnds(evicted, limit.revocationExpiresAt),
      context.feed.appendActive(session),
    ])
  }
  return { created: created === 1, evicted }
}

export async function getSession(
  context: StoreContext,
  sid: string,
): Promise<SessionRecord | undefined> {
  const owner = await readOwner(context, sid)
  if (owner === null) return undefined
  const user = context.keys.user(owner)
  const [record = null, cutoff = null] = await context.redis.mGet([user.session(sid), user.cutoff])
  if (record === null) return undefined
  const session = JSON.parse(record) as SessionRecord
  // revokeUser ends a bounded slice at once and leaves the rest to its cutoff: ended all the same.
  const cutoffs: Cutoffs = { user: cutoff === null ? undefined : Number(cutoff), epoch: undefined }
  return isCutOff(session.createdAt, cutoffs) ? undefined : session
}

async function userSessions(context: StoreContext, sub: string): Promise<SessionRecord[]> {
  const user = context.keys.user(sub)
  const sids = await context.redis.zRange(user.sessions, 0, -1)
  const records: string[] = []
  for (let start = 0; start < sids.length; start += LIST_CHUNK) {
    const chunk = sids.slice(start, start + LIST_CHUNK)
    const found = await context.redis.mGet(chunk.map((sid) => user.session(sid)))
    for (const record of found) if (record !== null) records.push(record)
  }
  return records.map((r) => JSON.parse(r) as SessionRecord)
}

export async function listSessions(
  context: StoreContext,
  sub: string,
  now: number,
): Promise<SessionRecord[]> {
  const [sessions, cutoffs] = await Promise.all([
    userSessions(context, sub),
    readCutoffs(context, sub),
  ])
  return sessions
    .filter((session) => isSessionActive(session, now, cutoffs))
    .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
}

/**
 * Rotation as compare-and-swap: read the record, apply the pure refresh rules, and write the
 * outcome only if the record is still what was read; otherwise read again. Of any number of
 * concurrent callers with one token, exactly one swaps in a rotation.
 */
export async function rotateRefreshToken(
  context: StoreContext,
  request: RotationRequest,
): Promise<RotationResult> {
  const [owner, epoch] = await Promise.all([readOwner(context, request.sid), readEpoch(context)])
  if (owner === null) return { outcome: 'unknown' }
  const user = context.keys.user(owner)
  const recordKey = user.session(request.sid)
  const markerKey = user.revokedSession(request.sid)
  const endSession = async () => {
    await context.ready()
    await revokeSession(context, request.sid, request.revocationExpiresAt)
  }
  for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt += 1) {
    // The record and the user's cutoff in one read; the swap checks both are still as read.
    const [raw = null, cutoff = null] = await context.redis.mGet([recordKey, user.cutoff])
    const session = raw === null ? undefined : (JSON.parse(raw) as SessionRecord)
    const cutoffs = { user: cutoff === null ? undefined : Number(cutoff), epoch }
    const decision = decideRotation(session, request, cutoffs)
    if (session !== undefined && isCutOff(session.createdAt, { ...cutoffs, epoch: undefined })) {
      // A session revokeUser left to its cutoff (past the slice it ended at once): ended now,
      // and answered as the ones it ended were.
      await endSession()
      return { outcome: 'unknown' }
    }
    if (raw === null || (decision.next === undefined && decision.outcome !== 'reused')) {
      const keepsRecord = decision.outcome === 'expired'
      return { outcome: decision.outcome, session: keepsRecord ? session : undefined }
    }
    const args =
      decision.next !== undefined
        ? [
            raw,
            'save',
            request.sid,
            JSON.stringify(decision.next),
            ttl(context, decision.next.purgeAt),
            decision.next.lastUsedAt,
            cutoff ?? '',
            decision.next.expiresAt,
            decision.next.createdAt,
          ]
        : [raw, 'end', request.sid, Math.max(ttl(context, request.revocationExpiresAt), 1)]
    const swapped = await SCRIPTS.swapSession.run(
      context.redis,
      [
        recordKey,
        user.sessions,
        markerKey,
        user.cutoff,
        user.sessionsByExpiry,
        user.sessionsByCreation,
      ],
      args,
    )
    if (swapped === 1 && decision.next !== undefined) {
      // The epoch lives in another slot, so the swap cannot check it: a revokeAll that landed
      // since it was read is caught here, and the heir it just saved is ended at once.
      const now = await readEpoch(context)
      if (isCutOff(decision.next.createdAt, { user: cutoffs.user, epoch: now })) {
        await endSession()
        return { outcome: 'revoked' }
      }
    }
    if (swapped === 1) {
      if (decision.next !== undefined) await context.feed.appendActive(decision.next)
      else
        await context.feed.append({
          kind: 'session',
          sid: request.sid,
          expiresAt: request.revocationExpiresAt,
        })
      return { outcome: decision.outcome, session: decision.next ?? session }
    }
  }
  throw new StoreUnavailable('session record kept changing during refresh; try again')
}
