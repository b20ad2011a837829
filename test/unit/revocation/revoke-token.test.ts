import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeAuth } from '../../support/auth.js'

test('a revoked token is rejected with ERR_TOKEN_REVOKED (reason token)', async () => {
  const { auth } = await makeAuth()
  const token = await auth.issue({ sub: 'alice' })
  await auth.revokeToken(token)
  await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'token' })
})
