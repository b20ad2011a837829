import assert from 'node:assert/strict'
import { createSecretKey } from 'node:crypto'
import { test } from 'node:test'
import { createLocalJWKSet, exportJWK, jwtVerify } from 'jose'
import { createRevocable, MemoryStore, type KeyInput } from '../../../src/index.js'
import { ALGORITHMS, type Algorithm } from '../../../src/keys/algorithms.js'
import { toPublicJwk } from '../../../src/keys/jwks.js'
import { AUDIENCE, HMAC_SECRET, ISSUER, keyPair } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'

// Every member a published key may carry. Anything else (d, p, q, dp, dq, qi, k, oth, …) fails.
const PUBLIC_MEMBERS = new Set(['kty', 'kid', 'alg', 'use', 'crv', 'x', 'y', 'n', 'e'])
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth']

function assertPublicOnly(jwks: { keys: object[] }): void {
  for (const jwk of jwks.keys) {
    for (const member of Object.keys(jwk)) {
      assert.ok(PUBLIC_MEMBERS.has(member), `member "${member}" published`)
    }
    for (const member of PRIVATE_MEMBERS) assert.ok(!(member in jwk), `member "${member}"`)
    assert.notEqual((jwk as { kty?: string }).kty, 'oct')
  }
}

async function configuredKey(alg: Algorithm): Promise<KeyInput> {
  if (alg === 'HS256') return { secret: HMAC_SECRET, kid: 'k-hs256' }
  return { jwk: await exportJWK(keyPair(alg).privateKey), alg, kid: `k-${alg}` }
}

for (const alg of ALGORITHMS) {
  test(`jwks() of a configured ${alg} private key holds only public members`, async () => {
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [await configuredKey(alg)],
    })
    const jwks = auth.jwks()
    assertPublicOnly(jwks)
    assert.equal(jwks.keys.length, alg === 'HS256' ? 0 : 1)
  })

  test(`jwks() of generated ${alg} keys holds only public members`, async () => {
    const auth = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, algorithm: alg })
    await auth.rotateKeys()
    const jwks = auth.jwks()
    assertPublicOnly(jwks)
    assert.equal(jwks.keys.length, alg === 'HS256' ? 0 : 2)
  })
}

test('jwks() of a ring with all four algorithms publishes the three public keys', async () => {
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: await Promise.all(ALGORITHMS.map(configuredKey)),
  })
  const jwks = auth.jwks()
  assertPublicOnly(jwks)
  assert.deepEqual(
    jwks.keys.map((key) => [key.kid, key.alg, key.kty, key.use]),
    [
      ['k-ES256', 'ES256', 'EC', 'sig'],
      ['k-EdDSA', 'EdDSA', 'OKP', 'sig'],
      ['k-RS256', 'RS256', 'RSA', 'sig'],
    ],
  )
})

test('an HMAC secret is never published, even imported as an oct JWK', async () => {
  const jwk = await exportJWK(createSecretKey(Buffer.from(HMAC_SECRET)))
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ jwk: { ...jwk, kid: 'oct-key' }, alg: 'HS256' }],
  })
  assert.deepEqual(auth.jwks(), { keys: [] })
  assert.ok(!JSON.stringify(auth.jwks()).includes(jwk.k as string))
})

test('jose verifies our tokens with nothing but the published JWKS', async () => {
  const clock = manualClock()
  for (const algorithm of ['ES256', 'EdDSA', 'RS256'] as const) {
    const store = new MemoryStore({ clock })
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      algorithm,
      clock,
      store,
    })
    const token = await auth.issue({ sub: 'alice' })
    const { payload } = await jwtVerify(token, createLocalJWKSet(auth.jwks()), {
      issuer: ISSUER,
      audience: AUDIENCE,
      typ: 'at+jwt',
      currentDate: new Date(clock()),
    })
    assert.equal(payload.sub, 'alice', algorithm)
  }
})

test('toPublicJwk returns nothing for an HMAC ring key', async () => {
  const secret = createSecretKey(Buffer.from(HMAC_SECRET))
  const jwk = await toPublicJwk({
    kid: 'k',
    alg: 'HS256',
    verifyKey: secret,
    signKey: secret,
    createdAt: 0,
    source: 'config',
  })
  assert.equal(jwk, undefined)
})
