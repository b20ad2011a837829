// HS256 verifies against the signature's text (the canonical encoding of the expected MAC) rather
// than decoding it: every other spelling must still get the code a decoded signature gets.
import assert from 'node:assert/strict'
import { after, test } from 'node:test'
import { openVerifier } from '../../conformance/hostile-tokens.js'
import { withPadding, withSegment, withTrailingBits } from '../../support/forge.js'

const verifier = await openVerifier()
after(() => verifier.close())
const token = await verifier.issue('HS256')
const signature = token.split('.')[2] as string

const CASES: { name: string; signature: string; code: string }[] = [
  {
    name: 'non-zero trailing bits',
    signature: withTrailingBits(signature),
    code: 'ERR_TOKEN_MALFORMED',
  },
  { name: '= padding', signature: withPadding(signature), code: 'ERR_TOKEN_MALFORMED' },
  {
    name: 'the standard alphabet',
    signature: `${signature.slice(0, -2)}+/`,
    code: 'ERR_TOKEN_MALFORMED',
  },
  {
    name: 'a character outside base64url',
    signature: `${signature.slice(0, -1)}*`,
    code: 'ERR_TOKEN_MALFORMED',
  },
  { name: 'an impossible length (4n+1)', signature: `${signature}AA`, code: 'ERR_TOKEN_MALFORMED' },
  {
    name: 'a canonical spelling of 30 bytes',
    signature: signature.slice(0, 40),
    code: 'ERR_SIGNATURE_INVALID',
  },
  { name: 'empty', signature: '', code: 'ERR_SIGNATURE_INVALID' },
  {
    name: 'one canonical character changed',
    signature: `${signature[0] === 'A' ? 'B' : 'A'}${signature.slice(1)}`,
    code: 'ERR_SIGNATURE_INVALID',
  },
]

test('the HS256 token as issued is accepted', async () => {
  assert.equal((await verifier.auth.verify(token)).sub, 'user-1')
})

for (const c of CASES) {
  test(`an HS256 signature with ${c.name} is refused with ${c.code}`, async () => {
    assert.notEqual(c.signature, signature)
    await assert.rejects(verifier.auth.verify(withSegment(token, 2, c.signature)), { code: c.code })
  })
}
