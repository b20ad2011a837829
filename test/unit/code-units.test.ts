// src/code-units.ts reads strings through a buffer, because `charCodeAt` gets about five times
// slower in any process where some code subclasses String (node-redis does). These tests hold
// its answers to the plain-JavaScript ones, and keep `charCodeAt` out of the verify path.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import fc from 'fast-check'
import { codeUnitsOf, equalConstantTime } from '../../src/code-units.js'

// Any UTF-16 text: lone surrogates, astral characters and NUL included.
const anyText = fc.string({ unit: 'binary', maxLength: 300 })

function charCodes(text: string): number[] {
  return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i))
}

test('codeUnitsOf holds exactly the code units charCodeAt reads', () => {
  fc.assert(
    fc.property(anyText, (text) => {
      assert.deepEqual(Array.from(codeUnitsOf(text).subarray(0, text.length)), charCodes(text))
    }),
    { numRuns: 2000 },
  )
})

test('codeUnitsOf grows its buffer for a long text and still reads short ones after it', () => {
  const long = 'é\uD83D\uDE00x'.repeat(5000)
  assert.deepEqual(Array.from(codeUnitsOf(long).subarray(0, long.length)), charCodes(long))
  assert.deepEqual(Array.from(codeUnitsOf('ab').subarray(0, 2)), [97, 98])
})

test('equalConstantTime agrees with === on any pair, and on pairs that differ in one place', () => {
  fc.assert(
    fc.property(anyText, anyText, (a, b) => {
      assert.equal(equalConstantTime(a, b), a === b)
      assert.equal(equalConstantTime(a, a), true)
    }),
    { numRuns: 2000 },
  )
  fc.assert(
    fc.property(
      fc.string({ unit: 'binary', minLength: 1, maxLength: 64 }),
      fc.nat(),
      fc.integer({ min: 1, max: 0xffff }),
      (text, at, delta) => {
        const i = at % text.length
        const changed =
          text.slice(0, i) +
          String.fromCharCode((text.charCodeAt(i) + delta) & 0xffff) +
          text.slice(i + 1)
        assert.equal(equalConstantTime(text, changed), false)
      },
    ),
    { numRuns: 2000 },
  )
})

test('equalConstantTime tells apart characters that share their low byte', () => {
  // A latin1 write keeps only the low byte: U+0141 would pass for "A" (0x41). UTF-16 does not.
  assert.equal(equalConstantTime('A'.repeat(43), `\u0141${'A'.repeat(42)}`), false)
  assert.equal(equalConstantTime('abc', 'abc'), true)
  assert.equal(equalConstantTime('', ''), true)
  assert.equal(equalConstantTime('abc', 'abcd'), false)
})

test('the verify path reads no character with charCodeAt (it goes through src/code-units.ts)', () => {
  // tokens/, keys/ and revocation/ run on every verify; records/ inside every store check.
  const hotFolders = ['src/tokens', 'src/keys', 'src/revocation', 'src/records']
  const offenders = hotFolders.flatMap((folder) =>
    readdirSync(folder, { recursive: true, encoding: 'utf8' })
      .filter((name) => name.endsWith('.ts'))
      .map((name) => join(folder, name))
      .filter((path) => /\.(charCodeAt|codePointAt)\(/.test(readFileSync(path, 'utf8'))),
  )
  assert.deepEqual(offenders, [])
})
