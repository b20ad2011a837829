import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { exportJWK } from 'jose'
import { HMAC_SECRET, keyPair, makeAuth } from '../../support/auth.js'
import { parts } from '../../support/forge.js'
import { ADMIT_ONE_IN, TokenCache, type CachedToken } from '../../../src/revocation/token-cache.js'
import type { AccessTokenClaims } from '../../../src/tokens/claims.js'
import { verdict } from '../../support/verdict.js'

test('a cached token that gets revoked is rejected on its next use', async () => {
  const { auth } = await makeAuth()
  const token = await auth.issue({ sub: 'alice' })
  await auth.verify(token)
  await auth.verify(token)
  assert.equal(auth.stats().tokenCache.hits, 1)
  await auth.revokeToken(token)
  await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED' })
})

test('a cached token is rejected once it expires', async () => {
  const { auth, clock } = await makeAuth({ accessTokenTtl: 60, clockTolerance: 0 })
  const token = await auth.issue({ sub: 'alice' })
  await auth.verify(token)
  clock.advance(59_999)
  assert.equal((await auth.verify(token)).sub, 'alice')
  clock.advance(1)
  await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_EXPIRED' })
})

test('a token that failed verification never enters the cache', async () => {
  const { auth } = await makeAuth()
  const token = await auth.issue({ sub: 'alice' })
  await auth.revokeToken(token)
  await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED' })
  assert.equal(auth.stats().tokenCache.size, 0)
})

test('a cached token whose key is retired is rejected', async () => {
  // Two configured keys: the only one that signs cannot be retired.
  const { auth, kid } = await makeAuth({
    keys: [
      { jwk: await exportJWK(keyPair('ES256').privateKey), alg: 'ES256', kid: 'test-ES256' },
      { secret: HMAC_SECRET, kid: 'successor' },
    ],
  })
  const token = await auth.issue({ sub: 'alice' })
  await auth.verify(token)
  await auth.retireKey(kid)
  await assert.rejects(auth.verify(token), { code: 'ERR_KEY_RETIRED' })
})

test('the cache holds at most tokenCacheSize tokens', async () => {
  const { auth } = await makeAuth({ tokenCacheSize: 3 })
  for (let i = 0; i < 5; i += 1) await auth.verify(await auth.issue({ sub: `u${i}` }))
  assert.equal(auth.stats().tokenCache.size, 3)
})

test('property: with or without the cache, verify gives the same verdicts', async () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant('verify' as const), i: fc.nat(4) }),
    fc.record({ kind: fc.constant('revokeToken' as const), i: fc.nat(4) }),
    fc.record({ kind: fc.constant('revokeSession' as const), i: fc.nat(4) }),
    fc.record({ kind: fc.constant('revokeUser' as const), i: fc.nat(4) }),
    fc.record({ kind: fc.constant('issue' as const), i: fc.nat(4) }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.nat(120_000) }),
  )
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 40 }), async (ops) => {
      const cached = await makeAuth({ accessTokenTtl: 120 })
      const uncached = await makeAuth({
        accessTokenTtl: 120,
        tokenCacheSize: 0,
        clock: cached.clock,
        store: cached.store,
      })
      const tokens: string[] = []
      for (let i = 0; i < 5; i += 1) tokens.push(await cached.auth.issue({ sub: `u${i % 2}` }))
      for (const o of ops) {
        const token = tokens[o.kind === 'tick' ? 0 : o.i] as string
        if (o.kind === 'verify') {
          assert.equal(
            await verdict(cached.auth.verify(token), { reason: false }),
            await verdict(uncached.auth.verify(token), { reason: false }),
          )
        } else if (o.kind === 'revokeToken')
          await cached.auth.revokeToken(token).catch(() => undefined)
        else if (o.kind === 'revokeSession')
          await cached.auth.revokeSession(parts(token).payload.sid as string)
        else if (o.kind === 'revokeUser')
          await cached.auth.revokeUser(parts(token).payload.sub as string)
        else if (o.kind === 'issue') tokens[o.i] = await cached.auth.issue({ sub: `u${o.i % 2}` })
        else cached.clock.advance(o.ms)
      }
    }),
    { numRuns: 60 },
  )
})

// Issue 20: a cache that never hits (every token distinct) must cost nearly nothing, so once it
// is full and nothing has hit for a whole cache's worth of inserts, it admits only a sample of
// new tokens; the first hit brings full admission back.

function entry(sub: string): CachedToken {
  return { claims: { sub } as AccessTokenClaims, kid: 'k1' }
}

test('a full cache that never hits admits only a sample of new tokens', () => {
  const cache = new TokenCache(8)
  for (let i = 0; i < 16; i += 1) cache.set(`h.p${i}.s${i}`, entry(`u${i}`))
  const before = cache.inserts
  for (let i = 16; i < 16 + 640; i += 1) {
    assert.equal(cache.get(`h.p${i}.s${i}`), undefined)
    cache.set(`h.p${i}.s${i}`, entry(`u${i}`))
  }
  assert.ok(cache.inserts - before <= 640 / ADMIT_ONE_IN + 1, `${cache.inserts - before} inserts`)
  assert.ok(cache.inserts - before >= 1, 'the sample admitted nothing, so a hit could never return')
})

test('a hit brings back full admission', () => {
  const cache = new TokenCache(8)
  for (let i = 0; i < 640; i += 1) cache.set(`h.p${i}.s${i}`, entry(`u${i}`))
  const cachedToken = [...Array(640).keys()]
    .map((i) => `h.p${i}.s${i}`)
    .find((token) => cache.get(token) !== undefined)
  assert.notEqual(cachedToken, undefined)
  const before = cache.inserts
  for (let i = 1000; i < 1004; i += 1) cache.set(`h.p${i}.s${i}`, entry(`u${i}`))
  assert.equal(cache.inserts - before, 4)
})

test("a token with a cached token's signature but another payload is not a hit", () => {
  const cache = new TokenCache(8)
  cache.set('header.payload-a.signature', entry('alice'))
  assert.equal(cache.get('header.payload-b.signature'), undefined)
  assert.equal(cache.get('header.payload-a.signature')?.claims.sub, 'alice')
})

test('a forged payload under a cached signature is rejected like without the cache', async () => {
  const { auth } = await makeAuth()
  const token = await auth.issue({ sub: 'alice' })
  await auth.verify(token)
  const [header, , signature] = token.split('.') as [string, string, string]
  const payload = { ...parts(token).payload, sub: 'mallory' }
  const forged = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${signature}`
  await assert.rejects(auth.verify(forged), (error: { code?: string }) => error.code !== undefined)
})
