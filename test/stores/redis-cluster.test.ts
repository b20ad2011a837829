import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createClient, createCluster } from 'redis'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { redisKeys } from '../../src/stores/redis/keys.js'
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

describe('keys built inside scripts (the hash-tag exception of stores/redis/keys.ts)', () => {
  // Subs a user controls: braces and colons must not move any of the user's keys to another slot.
  const subs = ['alice', 'a}b', '{x}', 'a{b}c', 'u:1}:rs:', '}']

  test('every key a script builds from an ARGV prefix hashes to the slot of its KEYS', async () => {
    if (cluster === undefined) throw new Error('the cluster did not start')
    const client = createClient({ url: cluster.rootNodes[0]?.url })
    await client.connect()
    try {
      const slot = (key: string) => client.sendCommand(['CLUSTER', 'KEYSLOT', key])
      const keys = redisKeys('rvk-test:')
      for (const sub of subs) {
        const user = keys.user(sub)
        const declared = await slot(user.sessions)
        for (const built of [
          user.sessionPrefix + 'sid-1',
          user.revokedSessionPrefix + 'sid-1',
          user.cutoff,
          user.sessionsByExpiry,
          user.sessionsByCreation,
        ]) {
          assert.equal(await slot(built), declared, `${sub}: ${built}`)
        }
      }
      assert.equal(await slot(keys.replicaAckPrefix + 'replica-1'), await slot(keys.replicas))
    } finally {
      await client.close()
    }
  })

  test('the scripts that build keys run on the cluster for hostile subs (a cross-slot access fails)', async () => {
    if (cluster === undefined) throw new Error('the cluster did not start')
    const store = await RedisStore.connect({
      cluster: { rootNodes: cluster.rootNodes },
      prefix: `rvk-test:${randomBytes(6).toString('hex')}:`,
      warn: () => {},
    })
    try {
      const auth = await createRevocable({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: [{ secret: HMAC_SECRET, kid: 'cluster' }],
        store,
        replica: false,
        maxSessionsPerUser: 1,
        sessionLimitAction: 'evict',
      })
      try {
        for (const sub of subs) {
          const first = await auth.startSession({ sub })
          // The cap evicts the first session: create-session builds its record and marker keys.
          const second = await auth.startSession({ sub })
          assert.equal(await verifyVerdict(auth, first.accessToken), 'ERR_TOKEN_REVOKED:session')
          assert.equal(await verifyVerdict(auth, second.accessToken), 'valid')
          // revoke-user ends the sessions it finds, building the same keys.
          await auth.revokeUser(sub)
          assert.notEqual(await verifyVerdict(auth, second.accessToken), 'valid')
        }
        // replicas-behind builds the position keys from its prefix.
        await store.acknowledgeFeed('replica-1', '1-0', 60_000)
        assert.equal(await store.replicasBehind('2-0'), 1)
        // What makes this a proof: the cluster refuses a script a key outside its KEYS' slot.
        const direct = createCluster({ rootNodes: cluster.rootNodes })
        await direct.connect()
        try {
          await assert.rejects(
            direct.eval("return redis.call('GET', ARGV[1])", {
              keys: ['{rvk-test-a}x'],
              arguments: ['{rvk-test-b}y'],
            }),
            /non local key|same slot/i,
          )
        } finally {
          await direct.close()
        }
      } finally {
        await auth.close()
      }
    } finally {
      await store.close()
    }
  })
})
