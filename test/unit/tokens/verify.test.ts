import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { RevocableError } from '../../../src/errors.js'
import type { RingKey } from '../../../src/keys/key-material.js'
import type { KeyLookup } from '../../../src/keys/key-material.js'
import { verifyAccessToken } from '../../../src/tokens/verify.js'
import {
  TOKEN_CASES,
  build,
  claimsFor,
  headerFor,
  openVerifier,
  tokenCase,
} from '../../conformance/hostile-tokens.js'
import { ISSUER, makeAuth } from '../../support/auth.js'
import {
  b64,
  b64WithSpareBits,
  forge,
  signSegments,
  withTrailingBits,
} from '../../support/forge.js'

const verifier = await openVerifier()
const ctx = verifier.context
after(() => verifier.close())

describe('every hostile token of issue 2, built by hand, gets its code', () => {
  for (const c of TOKEN_CASES) {
    test(c.name, async () => {
      const token = c.build(ctx)
      if (c.expect === 'accepted') {
        assert.equal((await verifier.auth.verify(token)).iss, ISSUER)
      } else {
        await assert.rejects(verifier.auth.verify(token), { code: c.expect })
      }
    })
  }
})

describe('verifyAccessToken', () => {
  const rules = { issuer: ISSUER, audience: ['api'], clockTolerance: 5, maxTokenAge: 86_400 }
  // A ring that fails the test if the verifier consults it at all.
  const untouchable: KeyLookup = {
    get(): RingKey {
      throw new Error('the key ring was consulted')
    },
    isRetired(): boolean {
      throw new Error('the key ring was consulted')
    },
  }

  test('an oversized token is refused before its header is read or any key is looked up', () => {
    const token = tokenCase(
      'a token over the size limit with a garbage signature is rejected as too large',
    ).build(ctx)
    assert.throws(
      () => verifyAccessToken(token, { keys: untouchable, rules, maxTokenSize: 8192, now: 0 }),
      { code: 'ERR_TOKEN_TOO_LARGE' },
    )
  })

  test('an oversized string that is not even a JWS is refused as too large', () => {
    assert.throws(
      () =>
        verifyAccessToken('x'.repeat(8193), {
          keys: untouchable,
          rules,
          maxTokenSize: 8192,
          now: 0,
        }),
      { code: 'ERR_TOKEN_TOO_LARGE' },
    )
  })

  test('a token that is not a string is refused as malformed', () => {
    assert.throws(
      () => verifyAccessToken(42, { keys: untouchable, rules, maxTokenSize: 8192, now: 0 }),
      { code: 'ERR_TOKEN_MALFORMED' },
    )
  })

  test('a non-canonical payload is refused before the header is read', () => {
    const token = `${b64(headerFor(ctx.signers.ES256))}.${withTrailingBits(b64WithSpareBits(claimsFor(ctx)))}.`
    assert.throws(
      () => verifyAccessToken(token, { keys: untouchable, rules, maxTokenSize: 8192, now: 0 }),
      { code: 'ERR_TOKEN_MALFORMED' },
    )
  })
})

test('a token of exactly maxTokenSize characters is accepted, one more is too large', async () => {
  const probe = await makeAuth()
  const token = await probe.auth.issue({ sub: 'alice' })
  const exact = await makeAuth({ clock: probe.clock, maxTokenSize: token.length })
  assert.equal((await exact.auth.verify(token)).sub, 'alice')
  const under = await makeAuth({ clock: probe.clock, maxTokenSize: token.length - 1 })
  await assert.rejects(under.auth.verify(token), { code: 'ERR_TOKEN_TOO_LARGE' })
})

test('with no clock tolerance, exp exactly at now is rejected and one second later accepted', async () => {
  const { auth, clock, signKey, kid, alg } = await makeAuth({ clockTolerance: 0 })
  clock.advance(999) // the last millisecond of the second: still the same NumericDate
  const now = Math.floor(clock() / 1000)
  const header = { alg, typ: 'at+jwt', kid }
  const claims = { ...claimsFor(ctx), aud: auth.options.audience[0], iat: now - 10 }
  const atNow = forge(header, { ...claims, exp: now }, { alg, key: signKey })
  await assert.rejects(auth.verify(atNow), { code: 'ERR_TOKEN_EXPIRED' })
  const later = forge(header, { ...claims, exp: now + 1 }, { alg, key: signKey })
  assert.equal((await auth.verify(later)).exp, now + 1)
})

test('the header is checked before the signature: a jku token with a bad signature gets the header code', async () => {
  const token = build(ctx, {
    header: { jku: 'https://attacker.example/jwks.json' },
    signer: ctx.stranger,
  })
  await assert.rejects(verifier.auth.verify(token), { code: 'ERR_HEADER_REJECTED' })
})

test('alg none is refused before anything else in the header is looked at', async () => {
  const token = build(ctx, {
    header: { alg: 'none', jku: 'https://attacker.example/', typ: 'JWT', kid: 'nobody' },
    signer: null,
  })
  await assert.rejects(verifier.auth.verify(token), { code: 'ERR_ALG_NOT_ALLOWED' })
})

test('a header accepted once does not let the same bytes spelled non-canonically through', async () => {
  const signer = ctx.signers.ES256
  const header = b64WithSpareBits(headerFor(signer))
  const payload = b64(claimsFor(ctx))
  await verifier.auth.verify(signSegments(header, payload, signer))
  const respelled = signSegments(withTrailingBits(header), payload, signer)
  await assert.rejects(verifier.auth.verify(respelled), { code: 'ERR_TOKEN_MALFORMED' })
})

test('a claim given twice is read as its last value', async () => {
  const signer = ctx.signers.ES256
  const payload = JSON.stringify(claimsFor(ctx, { sub: 'first' })).replace(/}$/, ',"sub":"last"}')
  const token = signSegments(b64(headerFor(signer)), b64(payload), signer)
  assert.equal((await verifier.auth.verify(token)).sub, 'last')
})

test('every rejection is a RevocableError, never another exception', async () => {
  for (const c of TOKEN_CASES) {
    if (c.expect === 'accepted') continue
    const error = await verifier.auth.verify(c.build(ctx)).then(
      () => assert.fail(`${c.name}: accepted`),
      (e: unknown) => e,
    )
    assert.ok(error instanceof RevocableError, c.name)
  }
})
