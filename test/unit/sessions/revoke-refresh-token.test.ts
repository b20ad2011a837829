import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeAuth } from '../../support/auth.js'

const MINUTE = 60_000

test('revokeRefreshToken ends the session though its access token has expired', async () => {
  const { auth, clock } = await makeAuth({ accessTokenTtl: 600 })
  const set = await auth.startSession({ sub: 'alice' })
  clock.advance(11 * MINUTE)
  await assert.rejects(auth.verify(set.accessToken), { code: 'ERR_TOKEN_EXPIRED' })

  assert.equal(await auth.revokeRefreshToken(set.refreshToken), true)
  await assert.rejects(auth.refresh(set.refreshToken), { code: 'ERR_REFRESH_TOKEN_INVALID' })
  assert.deepEqual(await auth.listSessions('alice'), [])
})

test('revokeRefreshToken revokes the access tokens of the session too', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice' })
  await auth.revokeRefreshToken(set.refreshToken)
  await assert.rejects(auth.verify(set.accessToken), { code: 'ERR_TOKEN_REVOKED' })
})

test('revokeRefreshToken is idempotent: a second call changes nothing and resolves false', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice' })
  const other = await auth.startSession({ sub: 'alice' })
  assert.equal(await auth.revokeRefreshToken(set.refreshToken), true)
  assert.equal(await auth.revokeRefreshToken(set.refreshToken), false)
  assert.ok(await auth.refresh(other.refreshToken))
})

test('a refresh token the session already rotated away from still ends it', async () => {
  const { auth } = await makeAuth()
  const first = await auth.startSession({ sub: 'alice' })
  const second = await auth.refresh(first.refreshToken)
  assert.equal(await auth.revokeRefreshToken(first.refreshToken), true)
  await assert.rejects(auth.refresh(second.refreshToken), { code: 'ERR_REFRESH_TOKEN_INVALID' })
})

test('a forged refresh token naming a real session ends nothing', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice' })
  const forged = `rvk_rt_${set.session.id}.${'A'.repeat(43)}`
  assert.equal(await auth.revokeRefreshToken(forged), false)
  assert.equal(await auth.revokeRefreshToken('not a token'), false)
  assert.ok(await auth.refresh(set.refreshToken))
})

test('revokeRefreshToken emits session.ended with the audit context', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice' })
  const ended: unknown[] = []
  auth.on('session.ended', (e) => ended.push([e.sid, e.sub, e.cause, e.reason]))
  await auth.revokeRefreshToken(set.refreshToken, { reason: 'logout' })
  assert.deepEqual(ended, [[set.session.id, 'alice', 'revoked', 'logout']])
})

test('revokeRefreshToken refuses a token that is not a string', async () => {
  const { auth } = await makeAuth()
  await assert.rejects(auth.revokeRefreshToken(42 as unknown as string), {
    name: 'TypeError',
    message: '"refreshToken" must be a string',
  })
})
