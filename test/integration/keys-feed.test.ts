/**
 * Issue 13, items 2 and 5, on real redis-server processes with two instances on one store:
 * keys move on the change feed (a rotation or retirement on one instance shows in the other's
 * JWKS within maxStaleness; a new key is published before anyone signs with it), and a retired
 * kid is never forgotten (a Redis data loss does not bring it back).
 */
import assert from 'node:assert/strict'
import { createPrivateKey, randomBytes, randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import { createRevocable, type Revocable } from '../../src/index.js'
import { openSealedKey, parseKeyEncryptionKey } from '../../src/keys/envelope.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, ISSUER } from '../support/auth.js'
import { parts, resign } from '../support/forge.js'
import { eventually, RedisProcess } from '../support/redis-server.js'
import { verifyVerdict } from '../support/verdict.js'

const KEK = randomBytes(32)
const kidOf = (token: string) => parts(token).header.kid as string
const hasKid = (auth: Revocable, kid: string) => auth.jwks().keys.some((key) => key.kid === kid)

/** Verdict of a verify: 'valid' or the error code. */
interface Instance {
  auth: Revocable
  store: RedisStore
  warnings: string[]
}

async function openInstance(url: string, prefix: string, lead: number): Promise<Instance> {
  const warnings: string[] = []
  const warn = (message: string) => warnings.push(message)
  const store = await RedisStore.connect({ url, prefix, warn, dataLossCheckInterval: 100 })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    store,
    keyEncryptionKey: KEK,
    keyPublishLead: lead,
    warn,
  })
  return { auth, store, warnings }
}

async function closeAll(instances: Instance[]): Promise<void> {
  for (const { auth, store } of instances.splice(0)) {
    await auth.close().catch(() => undefined)
    await store.close().catch(() => undefined)
  }
}

describe('keys on the change feed', () => {
  let redis: RedisProcess
  const opened: Instance[] = []
  before(async () => {
    redis = await RedisProcess.start({ name: 'revocable-keys-feed' })
  })
  after(async () => {
    await closeAll(opened)
    await redis?.destroy()
  })

  test("a rotation on A is in B's JWKS within maxStaleness, before anyone signs with it", async () => {
    const prefix = `keys-feed:${randomBytes(4).toString('hex')}:`
    const a = await openInstance(redis.url, prefix, 60)
    const b = await openInstance(redis.url, prefix, 60)
    opened.push(a, b)
    const oldKid = kidOf(await a.auth.issue({ sub: 'alice' }))
    const newKid = await a.auth.rotateKeys()
    // maxStaleness is 1 s; one more second covers the reload's round trips on a busy machine.
    assert.ok(await eventually(() => hasKid(b.auth, newKid), 2000), "B's JWKS shows the new key")
    // Published, not used: both instances still sign with the old key during the lead time.
    assert.equal(kidOf(await a.auth.issue({ sub: 'alice' })), oldKid)
    assert.equal(kidOf(await b.auth.issue({ sub: 'alice' })), oldKid)
    assert.equal(b.auth.listKeys().find((key) => key.kid === newKid)?.signing, false)
  })

  test("a retirement on A leaves B's JWKS within maxStaleness", async () => {
    const prefix = `keys-feed:${randomBytes(4).toString('hex')}:`
    const a = await openInstance(redis.url, prefix, 0)
    const b = await openInstance(redis.url, prefix, 0)
    opened.push(a, b)
    const oldKid = kidOf(await a.auth.issue({ sub: 'alice' }))
    await a.auth.rotateKeys()
    await a.auth.retireKey(oldKid)
    assert.ok(await eventually(() => !hasKid(b.auth, oldKid), 2000), "B's JWKS drops the key")
    assert.notEqual(kidOf(await b.auth.issue({ sub: 'alice' })), oldKid)
  })
})

describe('a retired kid after a Redis data loss', () => {
  let redis: RedisProcess
  const opened: Instance[] = []
  before(async () => {
    redis = await RedisProcess.start({
      name: 'revocable-keys-loss',
      args: ['--appendonly', 'no', '--save', ''],
    })
  })
  after(async () => {
    await closeAll(opened)
    await redis?.destroy()
  })

  test('is still refused by every instance, and written back to the store', async () => {
    const prefix = `keys-loss:${randomBytes(4).toString('hex')}:`
    const a = await openInstance(redis.url, prefix, 0)
    const b = await openInstance(redis.url, prefix, 0)
    opened.push(a, b)
    const old = await a.auth.issue({ sub: 'alice' })
    const retiredKid = kidOf(old)
    assert.equal(await verifyVerdict(b.auth, old), 'valid')
    // The key that gets compromised: its private part, as a thief holding it would have it.
    const record = (await a.store.listKeys()).find((key) => key.kid === retiredKid)
    assert.ok(record?.sealed)
    const jwk = openSealedKey(
      parseKeyEncryptionKey(KEK, 'kek'),
      record.kid,
      record.alg,
      record.sealed,
    )
    const stolen = createPrivateKey({ key: jwk as never, format: 'jwk' })

    await a.auth.rotateKeys()
    await a.auth.retireKey(retiredKid)
    assert.ok(
      await eventually(async () => (await verifyVerdict(b.auth, old)) === 'ERR_KEY_RETIRED'),
    )

    const resyncs = (instance: Instance) => instance.auth.stats().replica?.resyncs ?? 0
    const before = [resyncs(a), resyncs(b)]
    await redis.restart() // comes back empty: the retirement is gone from Redis
    const forgeFresh = () => {
      const now = Date.now()
      return resign(
        old,
        {
          payload: {
            jti: randomUUID(),
            iat: Math.floor(now / 1000),
            iat_ms: now,
            exp: Math.floor(now / 1000) + 300,
          },
        },
        { alg: 'ES256', key: stolen },
      )
    }
    // Once both replicas have reloaded from the emptied Redis, a fresh token of the retired key
    // is refused by both all the same.
    assert.ok(
      await eventually(
        () => resyncs(a) > (before[0] ?? 0) && resyncs(b) > (before[1] ?? 0),
        10_000,
      ),
      'both replicas resynchronised after the loss',
    )
    for (const instance of [a, b]) {
      assert.equal(await verifyVerdict(instance.auth, forgeFresh()), 'ERR_KEY_RETIRED')
    }
    // And they write the retirement back to the store.
    const storeHasIt = async () => {
      const probe = await RedisStore.connect({ url: redis.url, prefix, warn: () => {} })
      try {
        return (await probe.listRetiredKids()).includes(retiredKid)
      } finally {
        await probe.close()
      }
    }
    assert.ok(await eventually(storeHasIt, 10_000), 'the retirement is written back')
    assert.ok(b.warnings.concat(a.warnings).some((message) => /wrote them back/.test(message)))

    // An instance started after the loss learns the retirement from the store again.
    const c = await openInstance(redis.url, prefix, 0)
    opened.push(c)
    assert.equal(await verifyVerdict(c.auth, forgeFresh()), 'ERR_KEY_RETIRED')
    // And the keys the loss took are back too: C verifies A's tokens.
    assert.equal(await verifyVerdict(c.auth, await a.auth.issue({ sub: 'bob' })), 'valid')
  })
})
