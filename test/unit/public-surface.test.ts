import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import * as main from '../../src/index.js'
import * as store from '../../src/store.js'

// Issue #18: the main entry is for applications; what only a store author needs lives under
// `revocable/store`.
const STORE_AUTHOR_VALUES = [
  'decideRotation',
  'isSessionActive',
  'sessionExpiry',
  'SPENT_HISTORY',
  'REFRESH_TOKEN_PREFIX',
  'isCutOff',
  'decideSessionCap',
  'revocationReason',
  'decideReauthentication',
  'isSuspended',
  'claimsChangedSince',
]

test('the main entry exports none of the store-author rules', () => {
  const leaked = STORE_AUTHOR_VALUES.filter((name) => name in main)
  assert.deepEqual(leaked, [])
})

test('revocable/store exports every store-author rule', () => {
  const missing = STORE_AUTHOR_VALUES.filter((name) => !(name in store))
  assert.deepEqual(missing, [])
})

test('package.json maps revocable/store to the built store entry, for types too', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'))
  assert.deepEqual(pkg.exports['./store'], {
    types: './dist/store.d.ts',
    default: './dist/store.js',
  })
  assert.deepEqual(pkg.typesVersions['*'].store, ['./dist/store.d.ts'])
})

test('the build strips @internal declarations from the published types', () => {
  const build = JSON.parse(
    readFileSync(new URL('../../tsconfig.build.json', import.meta.url), 'utf8'),
  )
  assert.equal(build.compilerOptions.stripInternal, true)
})
