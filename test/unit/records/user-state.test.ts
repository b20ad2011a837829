import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decideReauthentication } from '../../../src/records/reauthentication.js'
import type { SessionRecord } from '../../../src/records/session.js'
import { sessionRecord } from '../../support/records.js'
import {
  claimsChangedSince,
  instantAfterClaimsChange,
  isSuspended,
} from '../../../src/records/user-state.js'
import { Replica } from '../../../src/revocation/replica.js'

test('a suspension is in force until its "until", and for good without one', () => {
  assert.equal(isSuspended(undefined, 0), false)
  assert.equal(isSuspended({ since: 0 }, Number.MAX_SAFE_INTEGER), true)
  assert.equal(isSuspended({ since: 0, until: 1000 }, 999), true)
  assert.equal(isSuspended({ since: 0, until: 1000 }, 1000), false)
})

test('a token issued at or before the claims change carries stale claims; one after does not', () => {
  assert.equal(claimsChangedSince(1000, undefined), false)
  assert.equal(claimsChangedSince(999, 1000), true)
  assert.equal(claimsChangedSince(1000, 1000), true)
  assert.equal(claimsChangedSince(1001, 1000), false)
  assert.equal(instantAfterClaimsChange(1000, 1000), 1001)
  assert.equal(instantAfterClaimsChange(1500, 1000), 1500)
  assert.equal(instantAfterClaimsChange(1000, undefined), 1000)
})

const session: SessionRecord = sessionRecord({
  createdAt: 1000,
  lastUsedAt: 1000,
  expiresAt: 10_000,
  absoluteExpiresAt: 100_000,
  purgeAt: 20_000,
  refreshHash: 'h-current',
  rotatedAt: 1000,
  spentHashes: ['h-old'],
  sealedHeir: 'sealed',
})
const request = {
  sid: 's1',
  newHash: 'h-new',
  now: 5000,
  idleTtlMs: 9000,
  retentionMs: 1000,
  revocationExpiresAt: 99_000,
}
const noCutoffs = { user: undefined, epoch: undefined }

test('re-authentication renews auth_time and the refresh token, spending the current one', () => {
  const next = decideReauthentication(session, request, noCutoffs)
  assert.ok(next)
  assert.equal(next.authTime, 5000)
  assert.equal(next.createdAt, 1000) // the session's start, what cutoffs judge, is unchanged
  assert.equal(next.refreshHash, 'h-new')
  assert.deepEqual(next.spentHashes, ['h-current', 'h-old'])
  assert.equal(next.sealedHeir, undefined)
  assert.equal(next.lastUsedAt, 5000)
  assert.equal(next.expiresAt, 14_000)
  assert.equal(next.purgeAt, 15_000)
})

test('re-authentication refuses a session that is missing, cut off or expired', () => {
  assert.equal(decideReauthentication(undefined, request, noCutoffs), undefined)
  assert.equal(
    decideReauthentication(session, request, { user: 1000, epoch: undefined }),
    undefined,
  )
  assert.equal(
    decideReauthentication(session, request, { user: undefined, epoch: 1000 }),
    undefined,
  )
  assert.equal(decideReauthentication(session, { ...request, now: 10_000 }, noCutoffs), undefined)
})

const query = { now: 2000, jti: 'j', sid: 's', sub: 'alice', kid: 'k' }

test('the replica answers suspensions and claims changes from the feed, and forgets them', () => {
  const replica = new Replica()
  replica.apply({ kind: 'suspension', sub: 'alice', until: 3000 })
  replica.apply({ kind: 'claims', sub: 'alice', cutoff: 1500, expiresAt: 4000 })
  replica.apply({ kind: 'claims', sub: 'alice', cutoff: 1200, expiresAt: 3500 }) // older: kept later
  let status = replica.check(query).status
  assert.equal(status.userSuspended, true)
  assert.equal(status.claimsCutoff, 1500)
  assert.equal(replica.check({ ...query, sub: 'bob' }).status.userSuspended, false)
  assert.equal(replica.check({ ...query, now: 3000 }).status.userSuspended, false) // lifted on time
  assert.equal(replica.check({ ...query, now: 4000 }).status.claimsCutoff, undefined)
  assert.deepEqual(replica.userState('alice', 2000), {
    suspension: { since: 0, until: 3000 },
    claimsCutoff: 1500,
  })
  replica.apply({ kind: 'reinstated', sub: 'alice' })
  status = replica.check(query).status
  assert.equal(status.userSuspended, false)
  assert.equal(status.claimsCutoff, 1500)
  replica.sweep(4000)
  assert.equal(replica.size().userStates, 0)
  replica.apply({ kind: 'suspension', sub: 'carol' })
  replica.sweep(Number.MAX_SAFE_INTEGER)
  assert.equal(replica.check({ ...query, sub: 'carol' }).status.userSuspended, true)
  replica.clear()
  assert.equal(replica.check({ ...query, sub: 'carol' }).status.userSuspended, false)
})
