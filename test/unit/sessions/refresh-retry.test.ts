/**
 * A refresh whose answer never reached the client (a 503 after the rotation committed, a
 * timeout, a crashed instance) is retried with the same token: within `refreshRetryWindow` the
 * client gets the same heir again instead of a reuse verdict. A true reuse (the old token after
 * its heir was used) still ends the session.
 */
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { makeAuth } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'
import { MemoryStore } from '../../../src/stores/memory.js'

describe('refresh retries', () => {
  test('a retried refresh within the retry window answers with the same heir', async () => {
    const { auth } = await makeAuth({ alg: 'HS256' })
    const first = await auth.startSession({ sub: 'alice' })
    const answered = await auth.refresh(first.refreshToken) // the client never saw this answer
    const retried = await auth.refresh(first.refreshToken)
    assert.equal(retried.refreshToken, answered.refreshToken)
    await auth.verify(retried.accessToken)
    // The heir works, once, and the family goes on.
    const next = await auth.refresh(retried.refreshToken)
    await auth.verify(next.accessToken)
  })

  test('a retry answers from any instance on the same store (the first one crashed)', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ clock })
    const a = await makeAuth({ alg: 'HS256', store, clock })
    const b = await makeAuth({ alg: 'HS256', store, clock })
    const first = await a.auth.startSession({ sub: 'alice' })
    const answered = await a.auth.refresh(first.refreshToken)
    const retried = await b.auth.refresh(first.refreshToken)
    assert.equal(retried.refreshToken, answered.refreshToken)
  })

  test('the old token after its heir was used is reuse: the session is revoked', async () => {
    const { auth } = await makeAuth({ alg: 'HS256' })
    const first = await auth.startSession({ sub: 'alice' })
    const heir = await auth.refresh(first.refreshToken)
    await auth.refresh(heir.refreshToken)
    await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
    await assert.rejects(auth.verify(heir.accessToken), { code: 'ERR_TOKEN_REVOKED' })
  })

  test('a retry after the window is reuse: the session is revoked', async () => {
    const { auth, clock } = await makeAuth({ alg: 'HS256', refreshRetryWindow: 10 })
    const first = await auth.startSession({ sub: 'alice' })
    await auth.refresh(first.refreshToken)
    clock.advance(10_001)
    await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
  })

  test('with refreshRetryWindow 0, a retry is reuse (the old behaviour)', async () => {
    const { auth } = await makeAuth({ alg: 'HS256', refreshRetryWindow: 0 })
    const first = await auth.startSession({ sub: 'alice' })
    await auth.refresh(first.refreshToken)
    await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
  })

  test('the store never holds a usable refresh token: the heir is sealed under the old token', async () => {
    const clock = manualClock()
    const store = new MemoryStore({ clock })
    const { auth } = await makeAuth({ alg: 'HS256', store, clock })
    const first = await auth.startSession({ sub: 'alice' })
    const heir = await auth.refresh(first.refreshToken)
    const record = await store.getSession(first.session.id)
    assert.notEqual(record, undefined)
    const stored = JSON.stringify(record)
    assert.ok(!stored.includes(heir.refreshToken.split('.')[1] as string))
    assert.ok(!stored.includes(first.refreshToken.split('.')[1] as string))
  })

  test('"refreshRetryWindow" must be a non-negative number of seconds', async () => {
    await assert.rejects(makeAuth({ refreshRetryWindow: -1 }), {
      name: 'TypeError',
      message: /"refreshRetryWindow"/,
    })
  })
})
