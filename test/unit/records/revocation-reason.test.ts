import assert from 'node:assert/strict'
import { test } from 'node:test'
import { revocationReason } from '../../../src/records/revocation-reason.js'
import { NOT_REVOKED } from '../../support/records.js'

test('a token with nothing against it is not revoked', () => {
  assert.equal(revocationReason(1000, NOT_REVOKED, 'denylist'), undefined)
})

test('a token issued at a user cutoff is revoked by it; one a millisecond later is not', () => {
  assert.equal(revocationReason(1000, { ...NOT_REVOKED, userCutoff: 1000 }, 'denylist'), 'user')
  assert.equal(revocationReason(1001, { ...NOT_REVOKED, userCutoff: 1000 }, 'denylist'), undefined)
})

test('the reasons are decided in order: token, session, global, user', () => {
  const all = {
    ...NOT_REVOKED,
    jtiRevoked: true,
    sessionRevoked: true,
    epoch: 5000,
    userCutoff: 5000,
  }
  assert.equal(revocationReason(1000, all, 'denylist'), 'token')
  assert.equal(revocationReason(1000, { ...all, jtiRevoked: false }, 'denylist'), 'session')
  assert.equal(
    revocationReason(1000, { ...all, jtiRevoked: false, sessionRevoked: false }, 'denylist'),
    'global',
  )
})

test('an inactive session revokes its tokens in allowlist mode only', () => {
  const inactive = { ...NOT_REVOKED, sessionActive: false }
  assert.equal(revocationReason(1000, inactive, 'allowlist'), 'session-inactive')
  assert.equal(revocationReason(1000, inactive, 'denylist'), undefined)
})
