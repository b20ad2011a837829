import assert from 'node:assert/strict'
import { createSecretKey, generateKeyPairSync, type KeyObject } from 'node:crypto'
import { test } from 'node:test'
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose'
import { createRevocable } from '../../../src/index.js'
import { importConfiguredKey, importStoredKey, type KeyInput } from '../../../src/keys/import.js'
import { AUDIENCE, HMAC_SECRET, ISSUER, keyPair } from '../../support/auth.js'

const ASYMMETRIC = ['ES256', 'EdDSA', 'RS256'] as const

const pkcs8 = (key: KeyObject) => key.export({ type: 'pkcs8', format: 'pem' }) as string
const spki = (key: KeyObject) => key.export({ type: 'spki', format: 'pem' }) as string

/** Asserts that importing `input` throws a TypeError whose message names the option. */
async function assertRefused(input: unknown, pattern = /./): Promise<void> {
  await assert.rejects(importConfiguredKey(input as KeyInput, 'keys[0]'), (error: unknown) => {
    assert.ok(error instanceof TypeError, String(error))
    assert.match(error.message, /^keys\[0\]/)
    assert.match(error.message, pattern)
    return true
  })
}

for (const alg of ASYMMETRIC) {
  test(`a private ${alg} JWK imports as a signing key with its public half`, async () => {
    const { privateKey } = keyPair(alg)
    const key = await importConfiguredKey(
      { jwk: await exportJWK(privateKey), alg, kid: 'k1' },
      'keys[0]',
    )
    assert.equal(key.kid, 'k1')
    assert.equal(key.alg, alg)
    assert.equal(key.signKey?.type, 'private')
    assert.equal(key.verifyKey.type, 'public')
    assert.equal(key.source, 'config')
  })

  test(`a public ${alg} JWK imports as a verify-only key`, async () => {
    const key = await importConfiguredKey(
      { jwk: await exportJWK(keyPair(alg).publicKey), alg, kid: 'k1' },
      'keys[0]',
    )
    assert.equal(key.signKey, undefined)
    assert.equal(key.verifyKey.type, 'public')
  })

  test(`a ${alg} PKCS#8 PEM imports as a signing key, an SPKI PEM as verify-only`, async () => {
    const { privateKey, publicKey } = keyPair(alg)
    const signing = await importConfiguredKey({ pem: pkcs8(privateKey), alg, kid: 'k1' }, 'keys[0]')
    assert.equal(signing.signKey?.type, 'private')
    const verifying = await importConfiguredKey({ pem: spki(publicKey), alg, kid: 'k1' }, 'keys[0]')
    assert.equal(verifying.signKey, undefined)
    assert.ok(verifying.verifyKey.equals(signing.verifyKey))
  })

  test(`a ${alg} key without a kid is named by its RFC 7638 thumbprint, in JWK or PEM form`, async () => {
    const { privateKey, publicKey } = keyPair(alg)
    const thumbprint = await calculateJwkThumbprint(await exportJWK(publicKey))
    const fromJwk = await importConfiguredKey({ jwk: await exportJWK(privateKey), alg }, 'keys[0]')
    const fromPem = await importConfiguredKey({ pem: pkcs8(privateKey), alg }, 'keys[0]')
    assert.equal(fromJwk.kid, thumbprint)
    assert.equal(fromPem.kid, thumbprint)
  })
}

test('a JWK carrying its own alg and kid needs neither in the input', async () => {
  const jwk: JWK = { ...(await exportJWK(keyPair('EdDSA').privateKey)), alg: 'EdDSA', kid: 'own' }
  const key = await importConfiguredKey({ jwk }, 'keys[0]')
  assert.deepEqual([key.alg, key.kid], ['EdDSA', 'own'])
})

test('an HMAC secret of 32 bytes or more imports as HS256', async () => {
  const fromString = await importConfiguredKey({ secret: HMAC_SECRET, kid: 'h1' }, 'keys[0]')
  assert.equal(fromString.alg, 'HS256')
  assert.equal(fromString.verifyKey.type, 'secret')
  const fromBytes = await importConfiguredKey({ secret: new Uint8Array(32), kid: 'h2' }, 'keys[0]')
  assert.equal(fromBytes.verifyKey.symmetricKeySize, 32)
})

test('an HMAC secret shorter than 32 bytes is refused', async () => {
  await assertRefused({ secret: 'x'.repeat(31), kid: 'h' }, /at least 32 bytes/)
  await assertRefused({ secret: new Uint8Array(31), kid: 'h' }, /at least 32 bytes/)
})

test('an oct JWK shorter than 32 bytes is refused', async () => {
  const jwk = await exportJWK(createSecretKey(Buffer.alloc(31, 7)))
  await assertRefused({ jwk, alg: 'HS256', kid: 'h' }, /at least 32 bytes/)
})

test('an HMAC secret without a kid is refused', async () => {
  await assertRefused({ secret: HMAC_SECRET }, /kid/)
  await assertRefused({ secret: HMAC_SECRET, kid: '' }, /kid/)
  const jwk = await exportJWK(createSecretKey(Buffer.from(HMAC_SECRET)))
  await assertRefused({ jwk, alg: 'HS256' }, /kid/)
})

test('an HMAC secret for another algorithm is refused', async () => {
  await assertRefused({ secret: HMAC_SECRET, kid: 'h', alg: 'ES256' }, /HS256/)
})

test('an RSA key under 2048 bits is refused, as a JWK or a PEM', async () => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 })
  await assertRefused({ jwk: await exportJWK(privateKey), alg: 'RS256', kid: 'r' }, /2048/)
  await assertRefused({ pem: spki(publicKey), alg: 'RS256', kid: 'r' }, /2048/)
})

test('an unknown algorithm is refused', async () => {
  const jwk = await exportJWK(keyPair('ES256').privateKey)
  await assertRefused({ jwk, alg: 'PS256', kid: 'k' }, /"alg" must be one of/)
  await assertRefused({ jwk, alg: 'none', kid: 'k' }, /"alg" must be one of/)
  await assertRefused({ jwk, kid: 'k' }, /"alg" must be one of/)
  await assertRefused(
    { pem: pkcs8(keyPair('ES256').privateKey), alg: 'ES384' },
    /"alg" must be one of/,
  )
})

test('a key of the wrong type or curve for its algorithm is refused', async () => {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
  await assertRefused({ pem: pkcs8(p384), alg: 'ES256', kid: 'k' })
  await assertRefused({ pem: pkcs8(keyPair('EdDSA').privateKey), alg: 'ES256', kid: 'k' })
  await assertRefused({ jwk: await exportJWK(keyPair('ES256').privateKey), alg: 'RS256' })
  await assertRefused({ pem: spki(keyPair('RS256').publicKey), alg: 'EdDSA' })
  await assertRefused({ pem: spki(keyPair('ES256').publicKey), alg: 'HS256', kid: 'k' })
})

test('PKCS#1 and SEC1 PEMs (openssl genrsa / ecparam) import as the same key as their PKCS#8 form', async () => {
  for (const [alg, type] of [
    ['RS256', 'pkcs1'],
    ['ES256', 'sec1'],
  ] as const) {
    const { privateKey } = keyPair(alg)
    const legacy = privateKey.export({ type, format: 'pem' }) as string
    const fromLegacy = await importConfiguredKey({ pem: legacy, alg }, 'keys[0]')
    const fromPkcs8 = await importConfiguredKey({ pem: pkcs8(privateKey), alg }, 'keys[0]')
    assert.match(fromLegacy.kid, /^[A-Za-z0-9_-]{43}$/)
    assert.equal(fromLegacy.kid, fromPkcs8.kid, alg)
  }
})

test('a SEC1 PEM of the wrong curve is still refused', async () => {
  const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).privateKey
  await assertRefused({ pem: p384.export({ type: 'sec1', format: 'pem' }), alg: 'ES256', kid: 'k' })
})

test('an input that is not an object with jwk, pem or secret is refused', async () => {
  await assertRefused(null, /"jwk", "pem" or "secret"/)
  await assertRefused({}, /"jwk", "pem" or "secret"/)
  await assertRefused({ key: HMAC_SECRET }, /"jwk", "pem" or "secret"/)
})

test('createRevocable names the bad key by its index', async () => {
  await assert.rejects(
    createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [
        { secret: HMAC_SECRET, kid: 'good' },
        { secret: 'short', kid: 'bad' },
      ],
    }),
    (error: unknown) => error instanceof TypeError && /^keys\[1\]/.test(error.message),
  )
})

test('a stored key with an unknown algorithm is refused', async () => {
  const jwk = await exportJWK(keyPair('ES256').privateKey)
  await assert.rejects(
    importStoredKey({ kid: 's', alg: 'ES384' as 'ES256', jwk, createdAt: 1 }, jwk),
    TypeError,
  )
})

test('a stored key imports as a store key with its creation time', async () => {
  const jwk = await exportJWK(keyPair('ES256').privateKey)
  const key = await importStoredKey({ kid: 's', alg: 'ES256', jwk, createdAt: 42 }, jwk)
  assert.deepEqual([key.kid, key.alg, key.createdAt, key.source], ['s', 'ES256', 42, 'store'])
  assert.equal(key.signKey?.type, 'private')
})
