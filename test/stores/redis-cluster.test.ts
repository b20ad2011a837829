import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createClient, createCluster } from 'redis'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { RedisCluster } from '../support/redis-cluster.js'
import { eventually } from '../support/redis-server.js'
import { storeContract } from './contract.js'
import { verifyVerdict } from '../support/verdict.js'

// The whole contract, on a real 3-master cluster this file starts and stops by PID. Every test
// gets a fresh prefix; the cluster and its data go when the file ends.
let cluster: RedisCluster | undefined

before(async () => {
  cluster = await RedisCluster.start(3)
})
after(async () => {
  await cluster?.destroy()
})

storeContract('redis cluster', {
  clockDrivesExpiry: false,
  async makeStore(clock) {
    if (cluster === undefined) throw new Error('the cluster did not start')
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const store = await RedisStore.connect({
      cluster: { rootNodes: cluster.rootNodes },
      prefix,
      clock,
      warn: () => {},
    })
    return {
      store,
      async cleanup() {
        await store.close()
      },
    }
  },
})

/** A Revocable with its own cluster store, on the real clock (the feed runs in real time). */
async function openOnCluster(
  prefix: string,
  replica: 'auto' | false,
): Promise<{ auth: Revocable; store: RedisStore }> {
  if (cluster === undefined) throw new Error('the cluster did not start')
  const store = await RedisStore.connect({
    cluster: { rootNodes: cluster.rootNodes },
    prefix,
    warn: () => {},
  })
  try {
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'cluster' }],
      store,
      replica,
    })
    return { auth, store }
  } catch (error) {
    await store.close()
    throw error
  }
}

async function closeAll(...instances: { auth: Revocable; store: RedisStore }[]): Promise<void> {
  for (const { auth, store } of instances) {
    await auth.close()
    await store.close()
  }
}

describe('the replica on a redis cluster', () => {
  test('a revocation made by one instance reaches another instance through the feed', async () => {
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const writer = await openOnCluster(prefix, false)
    const reader = await openOnCluster(prefix, 'auto')
    try {
      const token = await writer.auth.issue({ sub: 'alice' })
      assert.equal((await reader.auth.verify(token)).sub, 'alice')
      const direct = reader.auth.stats().directLookups
      await writer.auth.revokeToken(token)
      assert.equal(
        await eventually(async () => (await verifyVerdict(reader.auth, token)) !== 'valid'),
        true,
      )
      assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:token')
      assert.equal(reader.auth.stats().directLookups, direct)
    } finally {
      await closeAll(writer, reader)
    }
  })

  test('a revocation that awaits the replicas holds on the other instance when it resolves', async () => {
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const writer = await openOnCluster(prefix, false)
    const reader = await openOnCluster(prefix, 'auto')
    try {
      const token = await writer.auth.issue({ sub: 'alice' })
      assert.equal((await reader.auth.verify(token)).sub, 'alice')
      await writer.auth.revokeToken(token, { awaitReplicas: true })
      assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:token')
      // The reader's acknowledgement is read on the cluster (not an error waited out).
      const position = writer.store.feedPosition() as string
      assert.equal(await writer.store.replicasBehind(position), 0)
      assert.ok((await reader.store.replicasBehind('99999999999999-0')) >= 1)
    } finally {
      await closeAll(writer, reader)
    }
  })

  test('a new replica loads the revocations held on every master, not only the feed', async () => {
    if (cluster === undefined) throw new Error('the cluster did not start')
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const writer = await openOnCluster(prefix, false)
    const users = Array.from({ length: 12 }, (_, i) => `user-${i}`)
    try {
      const byToken: string[] = []
      const bySession: string[] = []
      const byUser: string[] = []
      for (const sub of users) {
        byUser.push(await writer.auth.issue({ sub }))
        await writer.auth.revokeUser(sub)
        // Issued after the cutoff, so only their own revocation rejects them.
        const token = await writer.auth.issue({ sub })
        byToken.push(token)
        await writer.auth.revokeToken(token)
        const session = await writer.auth.startSession({ sub })
        bySession.push(session.accessToken)
        await writer.auth.revokeSession(session.session.id)
      }
      // The keys really are spread: every master holds some of this test's keys.
      for (const node of cluster.nodes) {
        const client = createClient({ url: node.url })
        await client.connect()
        try {
          let count = 0
          for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
            count += keys.length
          }
          assert.ok(count > 0, `master ${node.port} holds none of the keys`)
        } finally {
          await client.close()
        }
      }
      // Without the feed, only the keys themselves can tell a new replica.
      const client = createCluster({ rootNodes: cluster.rootNodes })
      await client.connect()
      await client.del(`${prefix}{g}:feed`)
      await client.close()
      const reader = await openOnCluster(prefix, 'auto')
      try {
        for (const token of byToken) {
          assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:token')
        }
        for (const token of bySession) {
          assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:session')
        }
        for (const token of byUser) {
          assert.equal(await verifyVerdict(reader.auth, token), 'ERR_TOKEN_REVOKED:user')
        }
        assert.equal(reader.auth.stats().directLookups, 0)
      } finally {
        await closeAll(reader)
      }
    } finally {
      await closeAll(writer)
    }
  })
})
