import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { DEFAULTS, resolveOptions, type RevocableOptions } from '../../src/options.js'
import { MemoryStore } from '../../src/stores/memory.js'

const BASE = { issuer: 'https://auth.example.test', audience: 'api' }

/** Each option with values it must refuse at construction. */
const BAD_OPTIONS: Record<string, readonly unknown[]> = {
  issuer: [undefined, '', 42, ['https://auth.example.test']],
  audience: [undefined, '', [], [''], ['api', 42], 42],
  mode: ['Denylist', 'checklist', 1],
  keys: [{ secret: 'x' }, 'keys'],
  algorithm: ['none', 'HS512', 'es256'],
  store: [null, {}, { checkRevocation: true }],
  clock: [Date.now(), 'now'],
  accessTokenTtl: [0, -1, Infinity, NaN, '300'],
  maxAccessTokenTtl: [0, -1, Infinity, '86400'],
  clockTolerance: [-1, Infinity, NaN, '5'],
  maxTokenSize: [255, 1.5, Infinity, '8192'],
  keyReloadInterval: [-1, Infinity, '10'],
  sessionMaxAge: [0, -1, '90d'],
  sessionIdleTtl: [0, -1, Infinity],
  reuseGrace: [-1, NaN, '0'],
  refreshRetryWindow: [-1, NaN, '10'],
  maxSessionsPerUser: [0, -1, 1.5, '3'],
  sessionLimitAction: ['drop', 'Evict', 0],
  onStoreError: ['fail-safe', true],
  replica: [true, 'always', 0],
  maxStaleness: [0, -1, '1'],
  awaitReplicas: ['yes', 1],
  tokenCacheSize: [-1, 1.5, Infinity, '100'],
}

describe('every bad option throws a TypeError naming it', () => {
  for (const [name, values] of Object.entries(BAD_OPTIONS)) {
    test(`a bad "${name}" throws a TypeError naming "${name}"`, () => {
      for (const value of values) {
        const options = { ...BASE, [name]: value } as unknown as RevocableOptions
        assert.throws(
          () => resolveOptions(options),
          (error: unknown) => error instanceof TypeError && error.message.includes(`"${name}"`),
          `${name}: ${String(value)}`,
        )
      }
    })
  }
})

test('options that are not an object throw a TypeError naming issuer and audience', () => {
  for (const options of [undefined, null, 'https://auth.example.test']) {
    assert.throws(
      () => resolveOptions(options as unknown as RevocableOptions),
      /"issuer" and "audience"/,
    )
  }
})

test('accessTokenTtl above maxAccessTokenTtl throws a TypeError naming both', () => {
  assert.throws(
    () => resolveOptions({ ...BASE, accessTokenTtl: 600, maxAccessTokenTtl: 300 }),
    (error: unknown) =>
      error instanceof TypeError &&
      error.message.includes('"accessTokenTtl"') &&
      error.message.includes('"maxAccessTokenTtl"'),
  )
})

test('createRevocable rejects with the TypeError before touching the store', async () => {
  const store = new MemoryStore()
  await assert.rejects(createRevocable({ ...BASE, store, clockTolerance: -1 }), /"clockTolerance"/)
  assert.deepEqual(await store.listKeys(), [])
})

test('omitted options take the documented defaults', () => {
  const resolved = resolveOptions(BASE)
  for (const [name, value] of Object.entries(DEFAULTS)) {
    assert.equal(resolved[name as keyof typeof resolved], value, name)
  }
  assert.deepEqual(resolved.audience, ['api'])
  assert.deepEqual(resolved.keys, [])
  assert.equal(resolved.store, undefined)
})

test('the defaults and the resolved options are frozen', () => {
  assert.ok(Object.isFrozen(DEFAULTS))
  const resolved = resolveOptions({ ...BASE, audience: ['a', 'b'] })
  assert.ok(Object.isFrozen(resolved))
  assert.ok(Object.isFrozen(resolved.audience))
})

test('the algorithm defaults to that of the first configured key', () => {
  assert.equal(
    resolveOptions({ ...BASE, keys: [{ secret: 'x'.repeat(32), kid: 'h' }] }).algorithm,
    'HS256',
  )
  assert.equal(resolveOptions({ ...BASE, keys: [{ pem: '', alg: 'RS256' }] }).algorithm, 'RS256')
  assert.equal(
    resolveOptions({ ...BASE, keys: [{ jwk: { kty: 'OKP', alg: 'EdDSA' } }] }).algorithm,
    'EdDSA',
  )
})

test('edge values that are allowed are kept', () => {
  const resolved = resolveOptions({
    ...BASE,
    clockTolerance: 0,
    reuseGrace: 0,
    keyReloadInterval: 0,
    tokenCacheSize: 0,
    maxTokenSize: 256,
    maxSessionsPerUser: Infinity,
    replica: false,
  })
  assert.deepEqual(
    [resolved.clockTolerance, resolved.reuseGrace, resolved.keyReloadInterval],
    [0, 0, 0],
  )
  assert.equal(resolved.tokenCacheSize, 0)
  assert.equal(resolved.maxTokenSize, 256)
  assert.equal(resolved.replica, false)
})

test('a fractional token lifetime is refused at construction rather than at every issue()', () => {
  assert.throws(
    () => resolveOptions({ ...BASE, accessTokenTtl: 1.5 }),
    /"accessTokenTtl" must be a positive whole number/,
  )
  assert.throws(() => resolveOptions({ ...BASE, maxAccessTokenTtl: 3600.5 }), /"maxAccessTokenTtl"/)
})
