/**
 * Two library instances on one Redis, one of them with its clock shifted by ±3 s: with the store
 * as the one time authority (the default without an injected clock; asked for here, since the
 * skew is injected), neither the sessions started on the skewed instance just before an admin
 * revoke on the other survive it, nor do logins right after a revoke start out rejected.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const TRIALS = 10

async function open(prefix: string, skewMs: number): Promise<Revocable> {
  const clock = () => Date.now() + skewMs
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, clock, warn: () => {} })
  return createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'skew' }],
    store,
    clock,
    timeAuthority: 'store',
    replica: false,
  })
}

for (const skewMs of [3000, -3000]) {
  describe(`one instance's clock ${skewMs > 0 ? 'ahead' : 'behind'} by ${Math.abs(skewMs)} ms`, () => {
    const prefix = `rvk-test:skew:${randomBytes(6).toString('hex')}:`
    let skewed: Revocable
    let steady: Revocable
    before(async () => {
      skewed = await open(prefix, skewMs)
      steady = await open(prefix, 0)
    })
    after(async () => {
      await skewed.close()
      await steady.close()
      await skewed.store.close()
      await steady.store.close()
      await deletePrefix(REDIS_URL, prefix)
    })

    for (const [name, login, revoke] of [
      ['skewed', () => skewed, () => steady],
      ['steady', () => steady, () => skewed],
    ] as const) {
      const other = name === 'skewed' ? 'steady' : 'skewed'
      test(`sessions started on the ${name} instance just before a revoke on the ${other} one do not survive it`, async () => {
        for (let trial = 0; trial < TRIALS; trial += 1) {
          const sub = `before-${name}-${trial}`
          const session = await login().startSession({ sub })
          await revoke().revokeUser(sub)
          for (const instance of [skewed, steady]) {
            await assert.rejects(instance.verify(session.accessToken), {
              code: 'ERR_TOKEN_REVOKED',
            })
          }
          await assert.rejects(login().refresh(session.refreshToken))
          assert.deepEqual(await steady.listSessions(sub), [])
        }
      })

      test(`logins on the ${name} instance right after a revoke on the ${other} one work at once`, async () => {
        for (let trial = 0; trial < TRIALS; trial += 1) {
          const sub = `after-${name}-${trial}`
          await revoke().revokeUser(sub)
          const session = await login().startSession({ sub })
          for (const instance of [skewed, steady]) {
            assert.equal((await instance.verify(session.accessToken)).sub, sub)
          }
          const next = await login().refresh(session.refreshToken)
          assert.equal((await revoke().verify(next.accessToken)).sub, sub)
        }
      })
    }
  })
}
