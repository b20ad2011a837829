// Any change to the bytes of a valid token must be rejected with a RevocableError: never
// accepted, never another kind of exception. Non-canonical base64url is part of this: the last
// character of a segment can often change without changing the decoded bytes, and the verifier
// must still refuse it.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { RevocableError } from '../../src/errors.js'
import { ALGS, openVerifier } from './hostile-tokens.js'

const verifier = await openVerifier()
after(() => verifier.close())

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'insert'; at: number; char: string }
  | { kind: 'delete'; at: number }
  | { kind: 'replace'; at: number; char: string }
  | { kind: 'swap'; first: number; second: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; segment: number }

// Characters worth inserting: the alphabet, the separators and what forgiving decoders skip.
const interesting = fc.oneof(
  fc.constantFrom(...BASE64URL),
  fc.constantFrom('.', '=', '+', '/', ' ', '\t', '\n', '\0', '%', 'é'),
  fc.string({ minLength: 1, maxLength: 1 }),
)

function mutation(length: number): fc.Arbitrary<Mutation> {
  const index = fc.nat(length - 1)
  return fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: index, bit: fc.nat(15) }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length), char: interesting }),
    fc.record({ kind: fc.constant('delete' as const), at: index }),
    fc.record({ kind: fc.constant('replace' as const), at: index, char: interesting }),
    fc.record({ kind: fc.constant('swap' as const), first: fc.nat(2), second: fc.nat(2) }),
    fc.record({ kind: fc.constant('truncate' as const), at: index }),
    fc.record({ kind: fc.constant('duplicate' as const), segment: fc.nat(2) }),
  )
}

function mutate(token: string, m: Mutation): string {
  switch (m.kind) {
    case 'flip':
      return (
        token.slice(0, m.at) +
        String.fromCharCode(token.charCodeAt(m.at) ^ (1 << m.bit)) +
        token.slice(m.at + 1)
      )
    case 'insert':
      return token.slice(0, m.at) + m.char + token.slice(m.at)
    case 'delete':
      return token.slice(0, m.at) + token.slice(m.at + 1)
    case 'replace':
      return token.slice(0, m.at) + m.char + token.slice(m.at + 1)
    case 'swap': {
      const segments = token.split('.')
      const first = segments[m.first] as string
      segments[m.first] = segments[m.second] as string
      segments[m.second] = first
      return segments.join('.')
    }
    case 'truncate':
      return token.slice(0, m.at)
    case 'duplicate': {
      const segments = token.split('.')
      segments.splice(m.segment, 0, segments[m.segment] as string)
      return segments.join('.')
    }
  }
}

/** The error `verify` rejected with; fails the test if it accepted. */
async function rejection(token: string): Promise<unknown> {
  return verifier.auth.verify(token).then(
    (claims) => assert.fail(`accepted a mutated token (sub ${claims.sub}): ${token}`),
    (error: unknown) => error,
  )
}

describe('any mutation of a valid token is rejected with a RevocableError', () => {
  for (const alg of ALGS) {
    test(`property: every mutated ${alg} token is rejected`, async () => {
      const token = await verifier.issue(alg)
      assert.equal((await verifier.auth.verify(token)).sub, 'user-1')
      await fc.assert(
        fc.asyncProperty(
          mutation(token.length).filter((m) => mutate(token, m) !== token),
          async (m) => {
            const error = await rejection(mutate(token, m))
            assert.ok(error instanceof RevocableError, `not a RevocableError: ${String(error)}`)
          },
        ),
        { numRuns: 2000 },
      )
    })

    test(`every other last character of each segment of an ${alg} token is rejected`, async () => {
      const token = await verifier.issue(alg)
      const segments = token.split('.')
      for (const [index, segment] of segments.entries()) {
        for (const char of BASE64URL) {
          if (char === segment.at(-1)) continue
          const changed = [...segments]
          changed[index] = segment.slice(0, -1) + char
          const error = await rejection(changed.join('.'))
          assert.ok(error instanceof RevocableError, String(error))
        }
      }
    })
  }
})
