import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createRevocable, type Revocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const ISSUER = 'https://auth.example.test'
const AUDIENCE = 'api.example.test'
const TRIALS = 300

interface Instance {
  auth: Revocable
  store: RedisStore
}

async function open(prefix: string, maxStaleness = 1): Promise<Instance> {
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    maxStaleness,
    allowPlaintextKeys: true,
  })
  return { auth, store }
}

async function close(...instances: Instance[]): Promise<void> {
  for (const { auth, store } of instances) {
    await auth.close()
    await store.close()
  }
}

/** Whether `auth` still accepts `token` (any other rejection than a revocation is a failure). */
async function accepts(auth: Revocable, token: string): Promise<boolean> {
  try {
    await auth.verify(token)
    return true
  } catch (error) {
    assert.equal((error as { code?: string }).code, 'ERR_TOKEN_REVOKED')
    return false
  }
}

describe('a revocation that awaits the replicas, on one Redis', () => {
  const prefix = `rvk-test:await:${randomBytes(6).toString('hex')}:`
  let a: Instance
  let b: Instance
  let c: Instance

  before(async () => {
    ;[a, b, c] = await Promise.all([open(prefix), open(prefix), open(prefix)])
  })
  after(async () => {
    await close(a, b, c)
    await deletePrefix(REDIS_URL, prefix)
  })

  test('every other instance rejects the token the moment the revocation resolves', async () => {
    const verbs = [
      (_token: string, sid: string) => a.auth.revokeSession(sid, { awaitReplicas: true }),
      (token: string) => a.auth.revokeToken(token, { awaitReplicas: true }),
      (_token: string, _sid: string, sub: string) =>
        a.auth.revokeUser(sub, { awaitReplicas: true }),
    ]
    let accepted = 0
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const sub = `user-${trial}`
      const { accessToken } = await a.auth.startSession({ sub })
      const claims = await b.auth.verify(accessToken) // B's replica knows the token as good
      await c.auth.verify(accessToken)
      await (verbs[trial % verbs.length] as (t: string, s: string, u: string) => Promise<void>)(
        accessToken,
        claims.sid,
        sub,
      )
      if (await accepts(b.auth, accessToken)) accepted += 1
      if (await accepts(c.auth, accessToken)) accepted += 1
    }
    assert.equal(accepted, 0, `${accepted} checks accepted a token whose revocation had resolved`)
    // Answered from memory, not by asking Redis: the replicas themselves held the revocation.
    assert.ok((b.auth.stats().replica?.staleness ?? Infinity) < 1000)
  })

  test('revokeAll with awaitReplicas holds on every instance when it resolves', async () => {
    const token = await a.auth.issue({ sub: 'everyone' })
    await b.auth.verify(token)
    await a.auth.revokeAll({ awaitReplicas: true })
    assert.equal(await accepts(b.auth, token), false)
    assert.equal(await accepts(c.auth, token), false)
  })

  test('every live replica acknowledges its feed position', async () => {
    await a.auth.revokeToken('some-jti', { awaitReplicas: true })
    const position = a.store.feedPosition()
    assert.ok(position !== undefined)
    assert.equal(await a.store.replicasBehind(position), 0)
  })
})

describe('an instance that closes', () => {
  const prefix = `rvk-test:await-close:${randomBytes(6).toString('hex')}:`

  test('withdraws its acknowledgement: revocations elsewhere stop waiting for it at once', async () => {
    const a = await open(prefix)
    const b = await open(prefix)
    try {
      await a.auth.revokeToken('first', { awaitReplicas: true })
      await close(b)
      await a.auth.revokeToken('second', { awaitReplicas: true })
      // B's acknowledgement would live two seconds past its last read had it not withdrawn it,
      // still behind "second": the wait would have ended on the bound with B counted behind.
      assert.equal(await a.store.replicasBehind(a.store.feedPosition() as string), 0)
    } finally {
      await close(a)
      await deletePrefix(REDIS_URL, prefix)
    }
  })
})

describe('a replica that stopped acknowledging', () => {
  const prefix = `rvk-test:await-dead:${randomBytes(6).toString('hex')}:`
  let a: Instance

  before(async () => {
    a = await open(prefix, 0.2)
  })
  after(async () => {
    await close(a)
    await deletePrefix(REDIS_URL, prefix)
  })

  test('holds a revocation up no longer than about maxStaleness', async () => {
    // A replica that acknowledged once and died (its acknowledgement outlives it here, worse
    // than a real one's, which lasts twice maxStaleness).
    await a.store.acknowledgeFeed('dead-replica', '0-0', 60_000)
    const token = await a.auth.issue({ sub: 'alice' })
    const started = performance.now()
    await a.auth.revokeToken(token, { awaitReplicas: true })
    const elapsed = performance.now() - started
    // The dead replica is still behind: the revocation resolved on the bound, not on its news.
    assert.equal(await a.store.replicasBehind(a.store.feedPosition() as string), 1)
    // Generous: maxStaleness is 200 ms; a shared, loaded machine may add a lot.
    assert.ok(elapsed < 5000, `the revocation took ${Math.round(elapsed)} ms`)
  })

  test('a revocation without awaitReplicas does not wait for it', async () => {
    const token = await a.auth.issue({ sub: 'bob' })
    await a.auth.revokeToken(token)
    // The dead replica, and this instance's own, which has not read its write back yet.
    assert.ok((await a.store.replicasBehind(a.store.feedPosition() as string)) >= 1)
  })
})
