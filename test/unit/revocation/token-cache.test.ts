import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { exportJWK } from 'jose'
import { HMAC_SECRET, keyPair, makeAuth } from '../../support/auth.js'
import { parts } from '../../support/forge.js'

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
      const verdict = (p: Promise<unknown>) =>
        p.then(
          () => 'ok',
          (e: { code: string }) => e.code,
        )
      for (const o of ops) {
        const token = tokens[o.kind === 'tick' ? 0 : o.i] as string
        if (o.kind === 'verify') {
          assert.equal(
            await verdict(cached.auth.verify(token)),
            await verdict(uncached.auth.verify(token)),
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
