/**
 * Issue 19, item 1: the service takes the operator's keys (SIGNING_KEYS: JWK set, PEM files or an
 * HMAC secret, inline or from files) and the algorithm of generated keys (SIGNING_ALG).
 */
import assert from 'node:assert/strict'
import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { exportJWK } from 'jose'
import { ConfigError } from '../../src/service/config.js'
import { parts } from '../support/forge.js'
import { signUp, startService, testConfig } from './support.js'

const headerOf = (token: string) => parts(token).header as { alg: string; kid: string }

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-signing-keys-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

describe('SIGNING_KEYS', () => {
  test('PEM files (openssl / keys generate): the first signs, the JWKS publishes both', async (t) => {
    const dir = tempDir(t)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
    const ed = generateKeyPairSync('ed25519').privateKey
    // openssl ecparam -genkey writes SEC1 ("EC PRIVATE KEY"); both spellings are read.
    writeFileSync(join(dir, 'a.pem'), ec.export({ format: 'pem', type: 'sec1' }) as string)
    writeFileSync(join(dir, 'b.pem'), ed.export({ format: 'pem', type: 'pkcs8' }) as string)
    const service = await startService({
      SIGNING_KEYS: `${join(dir, 'a.pem')},${join(dir, 'b.pem')}`,
    })
    t.after(() => service.close())
    const { tokens } = await signUp(service)
    assert.equal(headerOf(tokens.access_token).alg, 'ES256')
    const jwks = (await (await fetch(`${service.url}/.well-known/jwks.json`)).json()) as {
      keys: { kid: string; alg: string }[]
    }
    assert.deepEqual(jwks.keys.map((key) => key.alg).sort(), ['ES256', 'EdDSA'])
    assert.ok(jwks.keys.some((key) => key.kid === headerOf(tokens.access_token).kid))
  })

  test('a JWK set inline signs with its first key', async (t) => {
    const jwk = await exportJWK(generateKeyPairSync('ed25519').privateKey)
    const service = await startService({
      SIGNING_KEYS: JSON.stringify({ keys: [{ ...jwk, alg: 'EdDSA', kid: 'ops-1' }] }),
    })
    t.after(() => service.close())
    const { tokens } = await signUp(service)
    assert.deepEqual(headerOf(tokens.access_token), {
      ...headerOf(tokens.access_token),
      alg: 'EdDSA',
      kid: 'ops-1',
    })
  })

  test('an HMAC secret (secret:…) signs HS256 and is never published', async (t) => {
    const secret = randomBytes(32).toString('base64url')
    const service = await startService({ SIGNING_KEYS: `secret:${secret}` })
    t.after(() => service.close())
    const { tokens } = await signUp(service)
    assert.equal(headerOf(tokens.access_token).alg, 'HS256')
    const text = await (await fetch(`${service.url}/.well-known/jwks.json`)).text()
    assert.ok(!text.includes(secret))
    assert.ok(!headerOf(tokens.access_token).kid.includes(secret))
  })

  test('a configured key signs although the SQLite store holds a generated key', async (t) => {
    const dir = tempDir(t)
    const store = `sqlite:${join(dir, 'revocable.db')}`
    const first = await startService({ STORE: store, KEY_ENCRYPTION_KEY: '' })
    await signUp(first)
    await first.close()
    const secret = randomBytes(32).toString('base64url')
    const service = await startService({
      STORE: store,
      KEY_ENCRYPTION_KEY: '',
      SIGNING_KEYS: `secret:${secret}`,
    })
    t.after(() => service.close())
    const { tokens } = await signUp(service)
    assert.equal(headerOf(tokens.access_token).alg, 'HS256')
  })

  test('bad values stop the start naming SIGNING_KEYS, never echoing the value', () => {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-signing-keys-'))
    try {
      writeFileSync(join(dir, 'short'), 'too-short-secret')
      const bad = [
        'secret:too-short',
        '{"keys": [',
        join(dir, 'missing.pem'),
        join(dir, 'short'),
        '-----BEGIN PRIVATE KEY-----\nnot base64\n-----END PRIVATE KEY-----',
      ]
      for (const value of bad) {
        assert.throws(
          () => testConfig({ SIGNING_KEYS: value }),
          (error: Error) =>
            error instanceof ConfigError &&
            error.variable === 'SIGNING_KEYS' &&
            !error.message.includes('too-short') &&
            !error.message.includes('not base64'),
          value,
        )
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('SIGNING_ALG', () => {
  for (const alg of ['ES256', 'EdDSA', 'RS256', 'HS256'] as const) {
    test(`generated keys are ${alg}`, async (t) => {
      const service = await startService({ SIGNING_ALG: alg })
      t.after(() => service.close())
      const { tokens } = await signUp(service)
      assert.equal(headerOf(tokens.access_token).alg, alg)
    })
  }

  test('an unknown algorithm stops the start', () => {
    assert.throws(() => testConfig({ SIGNING_ALG: 'none' }), { variable: 'SIGNING_ALG' })
  })
})

describe('KEY_ENCRYPTION_KEY', () => {
  test('a KEK that is not 32 bytes stops the start without echoing it', async () => {
    await assert.rejects(
      startService({ KEY_ENCRYPTION_KEY: 'not-a-kek-value' }),
      (error: Error) => /32 bytes/.test(error.message) && !error.message.includes('not-a-kek'),
    )
  })

  test('KEY_ENCRYPTION_KEY_FILE that others may read is refused', (t) => {
    const dir = tempDir(t)
    const file = join(dir, 'kek')
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o644 })
    assert.throws(
      () => testConfig({ KEY_ENCRYPTION_KEY: '', KEY_ENCRYPTION_KEY_FILE: file }),
      (error: Error) => error instanceof ConfigError && /chmod 600/.test(error.message),
    )
  })
})
