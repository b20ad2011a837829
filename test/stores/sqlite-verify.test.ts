import assert from 'node:assert/strict'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { createRevocable } from '../../src/index.js'
import type { RevocationMode } from '../../src/records/revocation-reason.js'
import { SqliteStore } from '../../src/stores/sqlite.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { manualClock } from '../support/clock.js'
import { sessionRecord } from '../support/records.js'

/**
 * A verify against SQLite with every statement the database runs recorded (better-sqlite3's
 * `verbose` hook sees each one, BEGIN and COMMIT included), and a session whose stored record no
 * longer parses: reading it fails, so whether the verify read it shows.
 */
async function verifyWithUnreadableRecord(mode: RevocationMode) {
  const statements: string[] = []
  let recording = false
  const db = new Database(':memory:', {
    verbose: (sql) => {
      if (recording) statements.push(String(sql))
    },
  })
  const clock = manualClock()
  const store = new SqliteStore({ database: db, clock })
  // No token cache: every verify asks the store.
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    clock,
    mode,
    tokenCacheSize: 0,
    keys: [{ secret: HMAC_SECRET, kid: 'h1' }],
  })
  try {
    const { accessToken } = await auth.startSession({ sub: 'alice' })
    db.prepare("UPDATE sessions SET record = 'not json'").run()
    recording = true
    const outcome = await auth.verify(accessToken).then(
      (claims) => ({ sub: claims.sub }),
      (error: { code?: string }) => ({ code: error.code }),
    )
    recording = false
    return { outcome, statements }
  } finally {
    await auth.close()
    await store.close()
    db.close()
  }
}

test('in denylist mode a verify on SQLite is one statement that leaves the session record unread', async () => {
  const { outcome, statements } = await verifyWithUnreadableRecord('denylist')
  assert.deepEqual(outcome, { sub: 'alice' })
  assert.equal(statements.length, 1, statements.join('\n'))
  assert.doesNotMatch(statements[0] as string, /\bsessions\b/)
})

test('in allowlist mode a verify on SQLite reads the session in the same one statement', async () => {
  const { outcome, statements } = await verifyWithUnreadableRecord('allowlist')
  // The record is read: one that does not parse fails the check, closed.
  assert.deepEqual(outcome, { code: 'ERR_STORE_UNAVAILABLE' })
  assert.equal(statements.length, 1, statements.join('\n'))
  assert.match(statements[0] as string, /\bsessions\b/)
})

test('a SQLite revocation check told the session is not needed reports it inactive, and the rest as usual', async () => {
  const clock = manualClock()
  const store = new SqliteStore({ path: ':memory:', clock })
  try {
    const now = clock()
    const session = sessionRecord({
      createdAt: now,
      lastUsedAt: now,
      expiresAt: now + 60_000,
      absoluteExpiresAt: now + 60_000,
      purgeAt: now + 120_000,
      rotatedAt: now,
    })
    const limit = { max: 10, onLimit: 'evict' as const, now, revocationExpiresAt: now + 60_000 }
    assert.equal((await store.createSession(session, limit)).created, true)
    await store.revokeJti('j1', now + 60_000)
    await store.retireKey('k1')
    await store.setEpoch(now - 5)
    await store.revokeUser('bob', now - 1, now + 60_000)
    const query = { now: clock(), jti: 'j1', sid: 's1', sub: 'alice', kid: 'k1' }
    const full = await store.checkRevocation(query)
    const lean = await store.checkRevocation({ ...query, needsSession: false })
    assert.equal(full.sessionActive, true)
    assert.deepEqual(lean, { ...full, sessionActive: false })
    assert.deepEqual(full, {
      jtiRevoked: true,
      sessionRevoked: false,
      userCutoff: undefined,
      epoch: now - 5,
      kidRetired: true,
      sessionActive: true,
      userSuspended: false,
      claimsCutoff: undefined,
    })
    const other = await store.checkRevocation({ ...query, sub: 'bob' })
    assert.equal(other.userCutoff, now - 1)
    assert.equal(other.sessionActive, false, 'a session is active only for its own sub')
  } finally {
    await store.close()
  }
})
