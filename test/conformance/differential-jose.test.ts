// Differential test: our synchronous verifier against jose.jwtVerify, configured the same way,
// on the same valid and hostile tokens. Every verdict must agree, except the divergences named
// in EXPECTED_DIVERGENCES, where we reject by design what jose accepts.
import assert from 'node:assert/strict'
import type { KeyObject } from 'node:crypto'
import { after, describe, test } from 'node:test'
import fc from 'fast-check'
import { errors as joseErrors, jwtVerify, type JWTHeaderParameters } from 'jose'
import { RevocableError } from '../../src/errors.js'
import type { Algorithm } from '../../src/keys/algorithms.js'
import { AUDIENCE, ISSUER } from '../support/auth.js'
import { forge, type Signer } from '../support/forge.js'
import { ALGS, TOKEN_CASES, claimsFor, openVerifier, type RingSigner } from './hostile-tokens.js'

type Verdict = 'accepted' | 'rejected'

const verifier = await openVerifier()
const { auth, clock, context: ctx } = verifier
after(() => verifier.close())

/** Thrown by the key resolver below; jose passes it through. */
class ResolverRefusal extends Error {}

// The ring as jose sees it: exact kid lookup over the keys that still verify (the retired one is
// not here), each with its one algorithm.
const ringKeys = new Map<string, { alg: Algorithm; key: KeyObject }>(
  ALGS.map((alg) => [ctx.signers[alg].kid, { alg, key: ctx.signers[alg].publicKey }]),
)

/**
 * The key resolver jose calls with the protected header. It refuses what our verifier refuses by
 * header policy: keys the token points at itself (jku, x5u, jwk, x5c) and any crit (we understand
 * no extension, so every crit names one unknown to us); it looks the kid up exactly and takes the
 * algorithm from the key, so the allowlist per token is that key's algorithm.
 */
function resolveKey(header: JWTHeaderParameters): KeyObject {
  for (const name of ['jku', 'x5u', 'jwk', 'x5c', 'crit']) {
    if (name in header) throw new ResolverRefusal(`"${name}" header refused`)
  }
  const entry = typeof header.kid === 'string' ? ringKeys.get(header.kid) : undefined
  if (entry === undefined) throw new ResolverRefusal('unknown kid')
  if (header.alg !== entry.alg) throw new ResolverRefusal('alg differs from the key')
  return entry.key
}

async function joseVerdict(token: string): Promise<Verdict> {
  try {
    await jwtVerify(token, resolveKey, {
      algorithms: [...ALGS],
      issuer: ISSUER,
      audience: [...auth.options.audience],
      typ: 'at+jwt',
      clockTolerance: auth.options.clockTolerance,
      maxTokenAge: auth.options.maxAccessTokenTtl,
      currentDate: new Date(clock()),
      requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti', 'sid'],
    })
    return 'accepted'
  } catch (error) {
    if (error instanceof joseErrors.JOSEError || error instanceof ResolverRefusal) return 'rejected'
    throw error
  }
}

async function ourVerdict(token: string): Promise<Verdict> {
  try {
    await auth.verify(token)
    return 'accepted'
  } catch (error) {
    if (error instanceof RevocableError) return 'rejected'
    throw error
  }
}

const NON_CANONICAL =
  'jose decodes base64url with atob, which forgives padding, non-zero trailing bits and ASCII ' +
  'whitespace; we accept only canonical unpadded base64url (RFC 7515 §2), so a token has exactly ' +
  'one spelling and any changed character is rejected'
const NON_EMPTY =
  'jose requiredClaims checks presence only; RFC 9068 §2.2 makes sub, jti (and our sid) ' +
  'identifiers, so we require non-empty strings'

/** Cases where we reject by design what jose accepts, with the reason. Every other case agrees. */
export const EXPECTED_DIVERGENCES: ReadonlyMap<string, string> = new Map([
  [
    'b64 false is rejected',
    'jose ignores b64 unless crit lists it (RFC 7797 §6 requires crit) and reads the payload as ' +
      'base64url; we refuse any b64 other than true rather than guess what the producer meant',
  ],
  [
    'a zip header is rejected',
    'zip is a JWE parameter (RFC 7516 §4.1.3) that jose ignores on a JWS; we refuse a signed ' +
      'token that claims to be compressed',
  ],
  [
    'an enc header on three segments is rejected',
    'enc marks a JWE; jose ignores it on a JWS; we refuse a token that contradicts its own shape',
  ],
  ['a header segment with = padding is rejected', NON_CANONICAL],
  ['a payload segment with = padding is rejected', NON_CANONICAL],
  ['a signature segment with = padding is rejected', NON_CANONICAL],
  ['a header segment with non-zero trailing bits is rejected', NON_CANONICAL],
  ['a payload segment with non-zero trailing bits is rejected', NON_CANONICAL],
  ['an ES256 signature with non-zero trailing bits is rejected', NON_CANONICAL],
  ['an HS256 signature with non-zero trailing bits is rejected', NON_CANONICAL],
  ['a space inside the payload segment is rejected', NON_CANONICAL],
  ['a tab inside the signature segment is rejected', NON_CANONICAL],
  ['a space before the header segment is rejected', NON_CANONICAL],
  ['a token followed by a newline is rejected', NON_CANONICAL],
  [
    'a header that starts with a byte order mark is rejected',
    "jose's TextDecoder drops a leading BOM; RFC 8259 §8.1 forbids sending one, and we refuse it",
  ],
  [
    'a payload that starts with a byte order mark is rejected',
    "jose's TextDecoder drops a leading BOM; RFC 8259 §8.1 forbids sending one, and we refuse it",
  ],
  [
    'an aud array with ours and a non-string member is rejected',
    'jose only looks for our audience in the array; RFC 7519 §4.1.3 makes aud a string or an ' +
      'array of strings, and we refuse anything else',
  ],
  ['an empty jti is rejected', NON_EMPTY],
  ['an empty sid is rejected', NON_EMPTY],
  ['an empty sub is rejected', NON_EMPTY],
  [
    'a numeric sub is rejected',
    'jose type-checks sub only when a subject option is given; RFC 7519 §4.1.2 makes it a string',
  ],
  ['a numeric sid is rejected', 'sid is our claim (a string); jose does not know it'],
  [
    'an exp that overflows to Infinity is rejected',
    'JSON.parse reads 1e400 as Infinity, which jose takes as a number never reached; a ' +
      'NumericDate must be finite',
  ],
  [
    'an iat_ms outside the iat second is rejected',
    'iat_ms is our claim (the issue instant in ms, which revocation cutoffs compare against); ' +
      'jose does not know it',
  ],
  [
    'a numeric client_id is rejected',
    'RFC 9068 §2.2 makes client_id a string; jose does not check it',
  ],
  [
    'a scope that is an array is rejected',
    'RFC 9068 §2.2.3 makes scope a space-separated string; jose does not check it',
  ],
  [
    'a validly signed token over the size limit is rejected as too large',
    'maxTokenSize is our limit, enforced before any parsing; jose has none',
  ],
])

describe('valid tokens from issue(): both verifiers accept', () => {
  for (const alg of ALGS) {
    test(`${alg} tokens issued by the library are accepted by both`, async () => {
      for (const sub of ['alice', 'bob', 'user with spaces', 'ü-ñ-字']) {
        const token = await verifier.issue(alg, sub)
        assert.deepEqual(
          { ours: await ourVerdict(token), jose: await joseVerdict(token) },
          { ours: 'accepted', jose: 'accepted' },
        )
      }
    })
  }
})

describe('hand-built tokens: both verifiers reach the same verdict', () => {
  for (const c of TOKEN_CASES) {
    test(c.name, async () => {
      const token = c.build(ctx)
      const verdicts = { ours: await ourVerdict(token), jose: await joseVerdict(token) }
      const reason = EXPECTED_DIVERGENCES.get(c.name)
      if (reason !== undefined) {
        assert.deepEqual(verdicts, { ours: 'rejected', jose: 'accepted' }, reason)
      } else {
        assert.equal(verdicts.ours, c.expect === 'accepted' ? 'accepted' : 'rejected')
        assert.equal(verdicts.jose, verdicts.ours, 'jose disagrees')
      }
    })
  }
})

test('every expected divergence names a case of the corpus', () => {
  const names = new Set(TOKEN_CASES.map((c) => c.name))
  for (const name of EXPECTED_DIVERGENCES.keys()) assert.ok(names.has(name), name)
})

// Generated tokens: headers and claims drawn from values on both sides of every check, signed
// by the right key, a stranger's key or not at all, always canonically encoded (the spelling
// divergences are covered above). Both verifiers must agree on every one.
const KID_CHOICES = [
  'match',
  'k-es256',
  'k-eddsa',
  'k-rs256',
  'k-hs256',
  'k-retired',
  'k-nobody',
  '',
]
const maybe = <T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: arb, weight: 12 }, { arbitrary: fc.constant(undefined), weight: 1 })
const near = (center: number, spread: number): fc.Arbitrary<number> =>
  fc.integer({ min: center - spread, max: center + spread })

const generatedToken = fc.record({
  key: fc.constantFrom<Algorithm | 'retired'>(...ALGS, ...ALGS, 'retired'),
  signature: fc.constantFrom('key', 'key', 'key', 'key', 'key', 'stranger', 'none'),
  alg: fc.oneof(
    { arbitrary: fc.constant('match'), weight: 12 },
    { arbitrary: fc.constantFrom(...ALGS, 'none', 'NONE', 'HS512', 'es256', undefined), weight: 1 },
  ),
  kid: fc.oneof(
    { arbitrary: fc.constant('match'), weight: 12 },
    { arbitrary: fc.constantFrom(...KID_CHOICES, undefined), weight: 1 },
  ),
  typ: fc.oneof(
    { arbitrary: fc.constantFrom('at+jwt', 'AT+JWT', 'application/at+jwt'), weight: 12 },
    { arbitrary: fc.constantFrom('JWT', 'jwt', '', 'at+jwt ', undefined), weight: 1 },
  ),
  extra: fc.oneof(
    { arbitrary: fc.constant([]), weight: 8 },
    fc.subarray<[string, unknown]>([
      ['jku', 'https://attacker.example/jwks.json'],
      ['x5u', 'https://attacker.example/cert.pem'],
      ['crit', ['exp']],
      ['cty', 'JWT'],
      ['b64', true],
    ]),
  ),
  iss: fc.oneof(
    { arbitrary: fc.constant(ISSUER), weight: 12 },
    { arbitrary: fc.constantFrom('https://evil.example.test', [ISSUER], undefined), weight: 1 },
  ),
  aud: fc.oneof(
    { arbitrary: fc.constantFrom(AUDIENCE, ['other', AUDIENCE]), weight: 12 },
    { arbitrary: fc.constantFrom('other', ['other'], [], undefined), weight: 1 },
  ),
  sub: maybe(fc.constant('user-1')),
  jti: maybe(fc.constant('jti-1')),
  sid: maybe(fc.constant('sid-1')),
  exp: fc.oneof(
    { arbitrary: near(ctx.now + 300, 5), weight: 8 },
    near(ctx.now - ctx.clockTolerance, 3),
    fc.constantFrom(undefined, 'soon', null),
  ),
  iat: fc.oneof(
    { arbitrary: near(ctx.now, 2), weight: 8 },
    near(ctx.now + ctx.clockTolerance, 2),
    near(ctx.now - ctx.maxAccessTokenTtl - ctx.clockTolerance, 2),
    fc.constantFrom(undefined, 'now'),
  ),
  nbf: fc.oneof(
    { arbitrary: fc.constant(undefined), weight: 4 },
    near(ctx.now, 2),
    near(ctx.now + ctx.clockTolerance, 2),
  ),
})

type GeneratedSpec = typeof generatedToken extends fc.Arbitrary<infer T> ? T : never

function buildGenerated(spec: GeneratedSpec): string {
  const key: RingSigner = spec.key === 'retired' ? ctx.retired : ctx.signers[spec.key]
  const header: Record<string, unknown> = {
    alg: spec.alg === 'match' ? key.alg : spec.alg,
    typ: spec.typ,
    kid: spec.kid === 'match' ? key.kid : spec.kid,
    ...Object.fromEntries(spec.extra),
  }
  const payload = claimsFor(ctx, {
    iss: spec.iss,
    aud: spec.aud,
    sub: spec.sub,
    jti: spec.jti,
    sid: spec.sid,
    exp: spec.exp,
    iat: spec.iat,
    nbf: spec.nbf,
  })
  const signer: Signer | undefined =
    spec.signature === 'key' ? key : spec.signature === 'stranger' ? ctx.stranger : undefined
  return forge(header, payload, signer)
}

test('property: generated tokens get the same verdict from both verifiers', async () => {
  const accepted = { ours: 0, total: 0 }
  await fc.assert(
    fc.asyncProperty(generatedToken, async (spec) => {
      const token = buildGenerated(spec)
      const ours = await ourVerdict(token)
      assert.equal(await joseVerdict(token), ours, `verdicts differ on ${token}`)
      accepted.total += 1
      if (ours === 'accepted') accepted.ours += 1
    }),
    { numRuns: 600 },
  )
  // Both sides of the line were exercised: a generator that only ever produced rejects would
  // prove nothing about agreement on acceptance.
  assert.ok(accepted.ours >= accepted.total * 0.05, `only ${accepted.ours} accepted`)
  assert.ok(accepted.ours <= accepted.total * 0.95, `${accepted.ours} accepted`)
})
