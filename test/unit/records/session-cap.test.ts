import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decideSessionCap } from '../../../src/records/session-cap.js'
import type { SessionRecord } from '../../../src/records/session.js'
import { sessionRecord } from '../../support/records.js'

function session(sid: string): SessionRecord {
  return sessionRecord({
    sid,
    createdAt: 0,
    lastUsedAt: 0,
    expiresAt: 10_000,
    absoluteExpiresAt: 10_000,
    purgeAt: 20_000,
    rotatedAt: 0,
  })
}

// Most recently used first, as Store.listSessions orders them.
const active = [session('newest'), session('middle'), session('oldest')]

test('under the cap a new session is created and nothing is evicted', () => {
  assert.deepEqual(decideSessionCap(active, { max: 4, onLimit: 'refuse' }), {
    refuse: false,
    evict: [],
  })
})

test('at the cap with evict, the least recently used sessions make room, oldest first', () => {
  const decision = decideSessionCap(active, { max: 2, onLimit: 'evict' })
  assert.equal(decision.refuse, false)
  assert.deepEqual(decision.refuse ? [] : decision.evict.map((s) => s.sid), ['oldest', 'middle'])
})

test('at the cap with refuse, nothing is created', () => {
  assert.deepEqual(decideSessionCap(active, { max: 3, onLimit: 'refuse' }), { refuse: true })
})

test('an infinite cap never evicts nor refuses', () => {
  assert.deepEqual(decideSessionCap(active, { max: Infinity, onLimit: 'refuse' }), {
    refuse: false,
    evict: [],
  })
})
