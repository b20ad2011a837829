import assert from 'node:assert/strict'
import { test } from 'node:test'
import { makeAuth } from '../../support/auth.js'

// In allowlist mode `issue()` without a sid records a session, as `startSession` does: the same
// record, the same cap and the same events (issue #18: the two had drifted).

test('allowlist issue() at the session cap with "refuse" throws ERR_SESSION_LIMIT, as startSession does', async () => {
  const { auth } = await makeAuth({
    mode: 'allowlist',
    maxSessionsPerUser: 1,
    sessionLimitAction: 'refuse',
  })
  await auth.issue({ sub: 'alice' })
  await assert.rejects(auth.startSession({ sub: 'alice' }), { code: 'ERR_SESSION_LIMIT' })
  await assert.rejects(auth.issue({ sub: 'alice' }), { code: 'ERR_SESSION_LIMIT' })
})

test('allowlist issue() emits session.started for the session it records', async () => {
  const { auth, clock } = await makeAuth({ mode: 'allowlist' })
  const started: unknown[] = []
  auth.on('session.started', (e) => started.push([e.sub, e.clientId, e.device, e.at]))
  const token = await auth.issue({ sub: 'alice', clientId: 'app' })
  const claims = await auth.verify(token)
  assert.deepEqual(started, [['alice', 'app', undefined, clock()]])
  assert.deepEqual(
    (await auth.listSessions('alice')).map((s) => s.id),
    [claims.sid],
  )
})

test('allowlist issue() at the cap with "evict" ends the least recently used session and says so', async () => {
  const { auth, clock } = await makeAuth({ mode: 'allowlist', maxSessionsPerUser: 1 })
  const ended: string[] = []
  auth.on('session.ended', (e) => ended.push(`${e.cause}:${e.sid}`))
  const first = await auth.verify(await auth.issue({ sub: 'alice' }))
  clock.advance(1000)
  const second = await auth.verify(await auth.issue({ sub: 'alice' }))
  assert.deepEqual(ended, [`evicted:${first.sid}`])
  assert.deepEqual(
    (await auth.listSessions('alice')).map((s) => s.id),
    [second.sid],
  )
})
