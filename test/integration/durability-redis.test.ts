import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { RedisProcess } from '../support/redis-server.js'
import { revokeThenKill } from './crash-child.js'
import { verdict } from '../support/verdict.js'

/**
 * How a fresh instance (new connection, new Revocable) judges `token`, once by a direct store
 * lookup and once through a replica loaded from the store. Also collects the store's warnings.
 */
async function judge(
  url: string,
  prefix: string,
  token: string,
  refreshToken?: string,
): Promise<{ direct: string; replica: string; refresh: string | undefined; warnings: string[] }> {
  const warnings: string[] = []
  const store = await RedisStore.connect({ url, prefix, warn: (m) => warnings.push(m) })
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'durability' }],
    store,
  }
  const direct = await createRevocable({ ...options, replica: false })
  const withReplica = await createRevocable({ ...options, replica: 'auto' })
  try {
    return {
      direct: await verdict(direct.verify(token)),
      replica: await verdict(withReplica.verify(token)),
      refresh: refreshToken === undefined ? undefined : await verdict(direct.refresh(refreshToken)),
      warnings,
    }
  } finally {
    await direct.close()
    await withReplica.close()
    await store.close()
  }
}

describe('revocations on Redis with appendfsync always survive crashes', () => {
  let redis: RedisProcess

  before(async () => {
    redis = await RedisProcess.start({ name: 'revocable-durability' })
  })
  after(async () => {
    await redis?.destroy()
  })

  test('a token revoked by a process killed right after the revoke stays rejected, also after Redis restarts', async () => {
    const prefix = `rvk-dur:${randomBytes(6).toString('hex')}:`
    const child = await revokeThenKill(['redis', redis.url, prefix, 'token'])
    assert.equal(child.signal, 'SIGKILL')

    const afterCrash = await judge(redis.url, prefix, child.accessToken)
    assert.equal(afterCrash.direct, 'ERR_TOKEN_REVOKED:token')
    assert.equal(afterCrash.replica, 'ERR_TOKEN_REVOKED:token')

    await redis.restart() // SIGTERM, then the same port and dir: the AOF is replayed
    const afterRestart = await judge(redis.url, prefix, child.accessToken)
    assert.equal(afterRestart.direct, 'ERR_TOKEN_REVOKED:token')
    assert.equal(afterRestart.replica, 'ERR_TOKEN_REVOKED:token')
    // The generation marker survived too: no data loss was detected, no epoch was raised.
    assert.deepEqual(
      afterRestart.warnings.filter((m) => m.includes('lost its data')),
      [],
    )
  })

  test('a session revoked by a process killed right after the revoke stays ended, also after Redis is killed with SIGKILL', async () => {
    const prefix = `rvk-dur:${randomBytes(6).toString('hex')}:`
    const child = await revokeThenKill(['redis', redis.url, prefix, 'session'])
    assert.equal(child.signal, 'SIGKILL')

    const afterCrash = await judge(redis.url, prefix, child.accessToken, child.refreshToken)
    assert.equal(afterCrash.direct, 'ERR_TOKEN_REVOKED:session')
    assert.equal(afterCrash.replica, 'ERR_TOKEN_REVOKED:session')
    assert.equal(afterCrash.refresh, 'ERR_REFRESH_TOKEN_INVALID')

    await redis.kill9() // no shutdown: only what was fsynced before each reply is left
    await redis.start()
    const afterRestart = await judge(redis.url, prefix, child.accessToken, child.refreshToken)
    assert.equal(afterRestart.direct, 'ERR_TOKEN_REVOKED:session')
    assert.equal(afterRestart.replica, 'ERR_TOKEN_REVOKED:session')
    assert.equal(afterRestart.refresh, 'ERR_REFRESH_TOKEN_INVALID')
  })

  test('a user revoked by a process killed right after the revoke stays revoked after Redis restarts', async () => {
    const prefix = `rvk-dur:${randomBytes(6).toString('hex')}:`
    const child = await revokeThenKill(['redis', redis.url, prefix, 'user'])
    assert.equal(child.signal, 'SIGKILL')

    await redis.stop()
    await redis.start()
    const afterRestart = await judge(redis.url, prefix, child.accessToken, child.refreshToken)
    assert.equal(afterRestart.direct, 'ERR_TOKEN_REVOKED:user')
    assert.equal(afterRestart.replica, 'ERR_TOKEN_REVOKED:user')
    assert.equal(afterRestart.refresh, 'ERR_REFRESH_TOKEN_INVALID')
  })
})
