import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import fc from 'fast-check'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { parts } from '../support/forge.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import { verdict } from '../support/verdict.js'

const ISSUER = 'https://auth.example.test'
const AUDIENCE = 'api.example.test'

/** A replica that has not caught up by then never will: fail instead of waiting for ever. */
const CATCH_UP_DEADLINE_MS = 10_000

/** Waits until `auth`'s replica has applied everything appended so far (its staleness restarts). */
async function caughtUp(auth: Revocable): Promise<void> {
  const mark = Date.now()
  const deadline = mark + CATCH_UP_DEADLINE_MS
  for (;;) {
    const staleness = auth.stats().replica?.staleness ?? Infinity
    if (Date.now() - staleness > mark) return
    if (Date.now() > deadline) {
      throw new Error(`the replica did not catch up within ${CATCH_UP_DEADLINE_MS} ms`)
    }
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}

test('property: a replica and a direct store lookup agree on random revocations and verifies', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('verify' as const), i: fc.nat(5) }),
    fc.record({ kind: fc.constant('revokeToken' as const), i: fc.nat(5) }),
    fc.record({ kind: fc.constant('revokeSession' as const), i: fc.nat(5) }),
    fc.record({ kind: fc.constant('revokeUser' as const), i: fc.nat(5) }),
    fc.record({ kind: fc.constant('issue' as const), i: fc.nat(5) }),
    fc.record({ kind: fc.constant('revokeAll' as const) }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 15 }), async (ops) => {
      const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
      const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
      const options = {
        issuer: ISSUER,
        audience: AUDIENCE,
        store,
        tokenCacheSize: 0,
        allowPlaintextKeys: true,
      }
      // The writer makes every change; the replica instance only ever hears of them by feed.
      const writer = await createRevocable({ ...options, replica: false })
      const withReplica = await createRevocable(options)
      const direct = await createRevocable({ ...options, replica: false })
      try {
        const tokens: string[] = []
        for (let i = 0; i < 6; i += 1) tokens.push(await writer.issue({ sub: `u${i % 3}` }))
        for (const o of ops) {
          const token = tokens['i' in o ? o.i : 0] as string
          const { sid, sub } = parts(token).payload as { sid: string; sub: string }
          if (o.kind === 'verify') {
            await caughtUp(withReplica)
            const expected = await verdict(direct.verify(token))
            assert.equal(await verdict(withReplica.verify(token)), expected)
          } else if (o.kind === 'revokeToken') await writer.revokeToken(token)
          else if (o.kind === 'revokeSession') await writer.revokeSession(sid)
          else if (o.kind === 'revokeUser') await writer.revokeUser(sub)
          else if (o.kind === 'revokeAll') await writer.revokeAll()
          else tokens[o.i] = await writer.issue({ sub: `u${o.i % 3}` })
        }
        assert.equal(direct.stats().replicaLookups, 0)
        assert.equal(withReplica.stats().directLookups, 0)
      } finally {
        await Promise.all([writer.close(), withReplica.close(), direct.close()])
        await store.close()
        await deletePrefix(REDIS_URL, prefix)
      }
    }),
    { numRuns: 25 },
  )
})
