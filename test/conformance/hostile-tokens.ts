// The corpus of hand-built tokens that issue 2 requires the verifier to refuse (and a few close
// neighbours it must accept). test/unit/tokens/verify.test.ts turns every case into one named
// test; test/conformance/differential-jose.test.ts feeds the same tokens to jose.jwtVerify.
//
// Every token is built byte by byte and signed with node:crypto, so that exactly one property is
// wrong: the "accepted" baselines prove that the same construction without the flaw verifies.
import { createSecretKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'
import { exportJWK } from 'jose'
import { createRevocable, type Revocable } from '../../src/index.js'
import type { ErrorCode } from '../../src/errors.js'
import type { Algorithm } from '../../src/keys/algorithms.js'
import type { KeyInput } from '../../src/keys/import.js'
import { MemoryStore } from '../../src/stores/memory.js'
import { AUDIENCE, HMAC_SECRET, ISSUER, keyPair } from '../support/auth.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import {
  b64,
  b64WithSpareBits,
  forge,
  signSegments,
  withPadding,
  withSegment,
  withTrailingBits,
  type Signer,
} from '../support/forge.js'

export const ALGS: readonly Algorithm[] = ['ES256', 'EdDSA', 'RS256', 'HS256']

/** A key of the verifier's ring: its kid, and the private (or secret) and public halves. */
export interface RingSigner extends Signer {
  readonly kid: string
  /** The public key; the secret itself for HS256. */
  readonly publicKey: KeyObject
}

/** What the cases build tokens from: the time, the ring's keys, and keys outside it. */
export interface CorpusContext {
  /** Now, in whole seconds (NumericDate). */
  readonly now: number
  readonly clockTolerance: number
  readonly maxAccessTokenTtl: number
  readonly maxTokenSize: number
  readonly signers: Readonly<Record<Algorithm, RingSigner>>
  /** A key the ring held and then retired. */
  readonly retired: RingSigner
  /** An ES256 key the ring never held, presented under the ring's ES256 kid. */
  readonly stranger: RingSigner
}

export interface Verifier {
  readonly auth: Revocable
  readonly clock: ManualClock
  readonly context: CorpusContext
  /** A token from the library's own `issue()`, signed with the ring's key of `alg`. */
  issue(alg: Algorithm, sub?: string): Promise<string>
  close(): Promise<void>
}

// A start half-way through a second, so whole-second claims meet a clock that is not whole.
const START = Date.UTC(2026, 0, 1, 12) + 500

function asymmetricSigner(alg: Exclude<Algorithm, 'HS256'>, kid: string): RingSigner {
  const { privateKey, publicKey } = keyPair(alg)
  return { alg, kid, key: privateKey, publicKey }
}

function esPair(kid: string): RingSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return { alg: 'ES256', kid, key: privateKey, publicKey }
}

async function keyInput(signer: RingSigner): Promise<KeyInput> {
  if (signer.alg === 'HS256') return { secret: HMAC_SECRET, kid: signer.kid }
  return { jwk: await exportJWK(signer.key), alg: signer.alg, kid: signer.kid }
}

/**
 * A Revocable whose ring holds one key of each algorithm (the ES256 one signs), plus a retired
 * key, on a manual clock with the default clock tolerance (5 s), token age (86 400 s) and size
 * limit (8192). Nothing is revoked, so every verdict comes from the token itself.
 */
export async function openVerifier(): Promise<Verifier> {
  const clock = manualClock(START)
  const hmac = createSecretKey(Buffer.from(HMAC_SECRET))
  const signers: Record<Algorithm, RingSigner> = {
    ES256: asymmetricSigner('ES256', 'k-es256'),
    EdDSA: asymmetricSigner('EdDSA', 'k-eddsa'),
    RS256: asymmetricSigner('RS256', 'k-rs256'),
    HS256: { alg: 'HS256', kid: 'k-hs256', key: hmac, publicKey: hmac },
  }
  const retired = esPair('k-retired')
  const stranger = esPair(signers.ES256.kid)
  const keys = await Promise.all([...ALGS.map((alg) => keyInput(signers[alg])), keyInput(retired)])
  const base = { issuer: ISSUER, audience: AUDIENCE, clock }
  const auth = await createRevocable({ ...base, keys, store: new MemoryStore({ clock }) })
  await auth.retireKey(retired.kid)

  // One issuer per algorithm, holding only that key: the library's own issue() for each.
  const issuers = new Map<Algorithm, Revocable>()
  for (const alg of ALGS) {
    const store = new MemoryStore({ clock })
    issuers.set(
      alg,
      await createRevocable({ ...base, keys: [await keyInput(signers[alg])], store }),
    )
  }
  const context: CorpusContext = {
    now: Math.floor(clock() / 1000),
    clockTolerance: auth.options.clockTolerance,
    maxAccessTokenTtl: auth.options.maxAccessTokenTtl,
    maxTokenSize: auth.options.maxTokenSize,
    signers,
    retired,
    stranger,
  }
  return {
    auth,
    clock,
    context,
    issue: (alg, sub = 'user-1') => (issuers.get(alg) as Revocable).issue({ sub }),
    async close() {
      await Promise.all([auth.close(), ...[...issuers.values()].map((issuer) => issuer.close())])
    },
  }
}

/** One hand-built token and the verdict our verifier must reach. */
export interface TokenCase {
  /** A sentence; the test's name. */
  readonly name: string
  /** The code the verifier rejects with, or `accepted`. */
  readonly expect: ErrorCode | 'accepted'
  readonly build: (ctx: CorpusContext) => string
}

type Json = Record<string, unknown>

/** The header our issuer writes for `signer`, with changes (an `undefined` value drops a member). */
export function headerFor(signer: RingSigner, changes: Json = {}): Json {
  return { alg: signer.alg, typ: 'at+jwt', kid: signer.kid, ...changes }
}

/** A complete, valid claims set at `ctx.now`, with changes (`undefined` drops a claim). */
export function claimsFor(ctx: CorpusContext, changes: Json = {}): Json {
  return {
    iss: ISSUER,
    sub: 'user-1',
    aud: AUDIENCE,
    exp: ctx.now + 300,
    iat: ctx.now,
    jti: 'jti-0123456789abcdef',
    sid: 'sid-0123456789abcdef',
    ...changes,
  }
}

interface Build {
  alg?: Algorithm
  header?: Json
  payload?: Json
  /** Who signs: the ring key of `alg` by default; `null` leaves the signature empty. */
  signer?: Signer | null
}

/** A token with the ring's key of `alg` (ES256 by default) and the requested changes. */
export function build(ctx: CorpusContext, spec: Build = {}): string {
  const ringKey = ctx.signers[spec.alg ?? 'ES256']
  const signer = spec.signer === null ? undefined : (spec.signer ?? ringKey)
  return forge(headerFor(ringKey, spec.header), claimsFor(ctx, spec.payload), signer)
}

/** Signs raw header and payload JSON texts (for duplicate members, stray bytes, a BOM). */
function rawToken(ctx: CorpusContext, headerText: string, payloadText: string): string {
  const signer = ctx.signers.ES256
  return signSegments(b64url(headerText), b64url(payloadText), signer)
}

function b64url(text: string | Buffer): string {
  return Buffer.from(text).toString('base64url')
}

/** A valid token whose segment `index` is respelled by `respell` and re-signed if it is not the signature. */
function respelled(
  ctx: CorpusContext,
  index: 0 | 1 | 2,
  respell: (segment: string) => string,
  alg: Algorithm = 'ES256',
): string {
  const signer = ctx.signers[alg]
  const header = b64WithSpareBits(headerFor(signer))
  const payload = b64WithSpareBits(claimsFor(ctx))
  if (index === 2) {
    const token = signSegments(header, payload, signer)
    return withSegment(token, 2, respell(token.split('.')[2] as string))
  }
  const segments = [header, payload]
  segments[index] = respell(segments[index] as string)
  return signSegments(segments[0] as string, segments[1] as string, signer)
}

/** Replaces the URL-safe characters with the standard alphabet's; the segment must contain one. */
function toStandardAlphabet(segment: string): string {
  if (!/[-_]/.test(segment)) throw new Error('segment has no "-" or "_" to respell')
  return segment.replace(/-/g, '+').replace(/_/g, '/')
}

/** A valid ES256 token whose signature segment contains "-" or "_" (signatures are random). */
function tokenWithUrlSafeSignature(ctx: CorpusContext): string {
  for (let i = 0; ; i += 1) {
    const token = build(ctx, { payload: { jti: `jti-${i}` } })
    if (/[-_]/.test(token.split('.')[2] as string)) return token
  }
}

/** A claims set whose encoding contains "-" or "_", by trying subjects. */
function payloadWithUrlSafeChars(ctx: CorpusContext): string {
  for (let i = 0; ; i += 1) {
    const segment = b64(claimsFor(ctx, { sub: `user-${i}~?>` }))
    if (/[-_]/.test(segment)) return segment
  }
}

// P-256 group order: (r, n - s) verifies wherever (r, s) does (ECDSA malleability).
const P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n

function malleate(signature: string): string {
  const bytes = Buffer.from(signature, 'base64url')
  const s = BigInt(`0x${bytes.subarray(32).toString('hex')}`)
  const twin = Buffer.from((P256_ORDER - s).toString(16).padStart(64, '0'), 'hex')
  return Buffer.concat([bytes.subarray(0, 32), twin]).toString('base64url')
}

function publicPem(signer: RingSigner): string {
  return signer.publicKey.export({ type: 'spki', format: 'pem' }) as string
}

function publicJwkText(signer: RingSigner): string {
  return JSON.stringify(signer.publicKey.export({ format: 'jwk' }))
}

/** HMAC "keys" an attacker can read: the bytes of a public key, as a PEM or JWK text. */
function hmacWith(text: string): Signer {
  return { alg: 'HS256', key: createSecretKey(Buffer.from(text)) }
}

const NONE_CASINGS = ['none', 'None', 'NONE', 'nOnE']

// Characters a header value cannot hold, which once crashed every Express app (issue 11).
const HEADER_BREAKERS: ReadonlyArray<readonly [string, string]> = [
  ['U+0100', '\u0100'],
  ['DEL', '\x7f'],
  ['U+2028', '\u2028'],
  ['the euro sign', '€'],
  ['a quote, a backslash and a CR LF', 'ES256"\\\r\nx'],
]

export const TOKEN_CASES: readonly TokenCase[] = [
  // Baselines: the construction used by every case below, with nothing wrong.
  ...ALGS.map((alg): TokenCase => ({
    name: `a hand-built ${alg} token with every claim right is accepted`,
    expect: 'accepted',
    build: (ctx) => build(ctx, { alg }),
  })),

  // alg
  ...NONE_CASINGS.flatMap((alg): TokenCase[] => [
    {
      name: `alg "${alg}" with an empty signature is rejected`,
      expect: 'ERR_ALG_NOT_ALLOWED',
      build: (ctx) => build(ctx, { header: { alg }, signer: null }),
    },
    {
      name: `alg "${alg}" with a valid ES256 signature is rejected`,
      expect: 'ERR_ALG_NOT_ALLOWED',
      build: (ctx) => build(ctx, { header: { alg } }),
    },
  ]),
  // Issue 11: text no header may carry (above Latin-1, DEL, a line separator), in alg and kid.
  ...HEADER_BREAKERS.flatMap(([label, text]): TokenCase[] => [
    {
      name: `an alg holding ${label} is rejected`,
      expect: 'ERR_ALG_NOT_ALLOWED',
      build: (ctx) => build(ctx, { header: { alg: text }, signer: null }),
    },
    {
      name: `a kid holding ${label} is rejected`,
      expect: 'ERR_KID_UNKNOWN',
      build: (ctx) => build(ctx, { header: { kid: text } }),
    },
  ]),
  {
    name: 'a header without alg is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) => build(ctx, { header: { alg: undefined } }),
  },
  {
    name: 'a non-string alg is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) => build(ctx, { header: { alg: ['ES256'] } }),
  },
  {
    name: 'an algorithm outside the allowlist (HS512) is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) => build(ctx, { alg: 'HS256', header: { alg: 'HS512' } }),
  },
  {
    name: 'an allowed algorithm in the wrong case (es256) is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) => build(ctx, { header: { alg: 'es256' } }),
  },
  {
    name: 'a header alg EdDSA on the ES256 kid, signed with the EdDSA key, is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) => build(ctx, { header: { alg: 'EdDSA' }, signer: ctx.signers.EdDSA }),
  },
  {
    name: 'a header alg ES256 on the HS256 kid, signed with the ES256 key, is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      build(ctx, { alg: 'HS256', header: { alg: 'ES256' }, signer: ctx.signers.ES256 }),
  },

  // Algorithm confusion: the public key's bytes used as an HMAC secret.
  {
    name: 'an HS256 token signed with the ES256 public key PEM as HMAC secret is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      build(ctx, { header: { alg: 'HS256' }, signer: hmacWith(publicPem(ctx.signers.ES256)) }),
  },
  {
    name: 'an HS256 token signed with the ES256 public JWK as HMAC secret is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      build(ctx, { header: { alg: 'HS256' }, signer: hmacWith(publicJwkText(ctx.signers.ES256)) }),
  },
  {
    name: 'an HS256 token signed with the RS256 public key PEM as HMAC secret is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      build(ctx, {
        alg: 'RS256',
        header: { alg: 'HS256' },
        signer: hmacWith(publicPem(ctx.signers.RS256)),
      }),
  },
  {
    name: 'an HS256 token signed with the RS256 public JWK as HMAC secret is rejected',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      build(ctx, {
        alg: 'RS256',
        header: { alg: 'HS256' },
        signer: hmacWith(publicJwkText(ctx.signers.RS256)),
      }),
  },
  {
    name: 'an HS256 token naming the HMAC key but signed with the ES256 public PEM is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) => build(ctx, { alg: 'HS256', signer: hmacWith(publicPem(ctx.signers.ES256)) }),
  },

  // kid
  {
    name: 'an unknown kid is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: 'k-nobody' } }),
  },
  {
    name: 'a header without kid is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: undefined } }),
  },
  {
    name: 'an empty kid is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: '' } }),
  },
  {
    name: 'a non-string kid is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: 1 } }),
  },
  {
    name: 'a kid with path traversal is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: '../../etc/passwd' } }),
  },
  {
    name: 'a real kid followed by a NUL is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: `${ctx.signers.ES256.kid}\u0000` } }),
  },
  {
    name: 'a real kid in another case is rejected (exact lookup)',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: ctx.signers.ES256.kid.toUpperCase() } }),
  },
  {
    name: 'a kid naming an Object.prototype member is rejected',
    expect: 'ERR_KID_UNKNOWN',
    build: (ctx) => build(ctx, { header: { kid: '__proto__' } }),
  },
  {
    name: 'a token signed with a retired key is rejected',
    expect: 'ERR_KEY_RETIRED',
    build: (ctx) => build(ctx, { header: { kid: ctx.retired.kid }, signer: ctx.retired }),
  },

  // Headers that point at a key of the author's choosing.
  {
    name: 'a jku header is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { jku: 'https://attacker.example/jwks.json' } }),
  },
  {
    name: 'an x5u header is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { x5u: 'https://attacker.example/cert.pem' } }),
  },
  {
    name: 'a jwk header is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) =>
      build(ctx, { header: { jwk: ctx.stranger.publicKey.export({ format: 'jwk' }) } }),
  },
  {
    name: 'an x5c header is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) =>
      build(ctx, {
        header: {
          x5c: [
            (ctx.stranger.publicKey.export({ type: 'spki', format: 'der' }) as Buffer).toString(
              'base64',
            ),
          ],
        },
      }),
  },

  // crit: this verifier understands no extension, so every crit is refused.
  {
    name: 'a crit naming an unknown extension is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { crit: ['urn:example:ext'], 'urn:example:ext': 1 } }),
  },
  {
    name: 'an empty crit array is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { crit: [] } }),
  },
  {
    name: 'a crit naming b64 (an extension jose knows) is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { crit: ['b64'], b64: true } }),
  },
  {
    name: 'a crit that is not an array is rejected',
    expect: 'ERR_HEADER_REJECTED',
    build: (ctx) => build(ctx, { header: { crit: 'exp' } }),
  },

  // Token kinds this verifier does not support.
  {
    name: 'b64 false is rejected',
    expect: 'ERR_TOKEN_UNSUPPORTED',
    build: (ctx) => build(ctx, { header: { b64: false } }),
  },
  {
    name: 'b64 false listed in crit is rejected',
    expect: 'ERR_TOKEN_UNSUPPORTED',
    build: (ctx) => build(ctx, { header: { b64: false, crit: ['b64'] } }),
  },
  {
    name: 'b64 true spelled out is accepted (it is the default)',
    expect: 'accepted',
    build: (ctx) => build(ctx, { header: { b64: true } }),
  },
  {
    name: 'a zip header is rejected',
    expect: 'ERR_TOKEN_UNSUPPORTED',
    build: (ctx) => build(ctx, { header: { zip: 'DEF' } }),
  },
  {
    name: 'an enc header on three segments is rejected',
    expect: 'ERR_TOKEN_UNSUPPORTED',
    build: (ctx) => build(ctx, { header: { enc: 'A256GCM' } }),
  },
  {
    name: 'a JWE (five segments) is rejected',
    expect: 'ERR_TOKEN_UNSUPPORTED',
    build: (ctx) =>
      [
        b64({ alg: 'dir', enc: 'A256GCM', kid: ctx.signers.HS256.kid }),
        '',
        b64url(Buffer.alloc(12, 1)),
        b64url('ciphertext'),
        b64url(Buffer.alloc(16, 2)),
      ].join('.'),
  },

  // Segments
  {
    name: 'an empty string is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: () => '',
  },
  {
    name: 'one segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => build(ctx).split('.')[0] as string,
  },
  {
    name: 'two segments are rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => build(ctx).split('.').slice(0, 2).join('.'),
  },
  {
    name: 'four segments are rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => {
      const token = build(ctx)
      return `${token}.${token.split('.')[2]}`
    },
  },
  {
    name: 'six segments are rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => `${build(ctx)}...`,
  },
  {
    name: 'three empty segments are rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: () => '..',
  },
  {
    name: 'an empty header segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => signSegments('', b64(claimsFor(ctx)), ctx.signers.ES256),
  },
  {
    name: 'an empty payload segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => signSegments(b64(headerFor(ctx.signers.ES256)), '', ctx.signers.ES256),
  },
  {
    name: 'an empty signature segment is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) => build(ctx, { signer: null }),
  },

  // Non-canonical base64url: the same bytes spelled another way.
  {
    name: 'a header segment with = padding is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 0, withPadding),
  },
  {
    name: 'a payload segment with = padding is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 1, withPadding),
  },
  {
    name: 'a signature segment with = padding is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, withPadding),
  },
  {
    name: 'a header segment with non-zero trailing bits is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 0, withTrailingBits),
  },
  {
    name: 'a payload segment with non-zero trailing bits is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 1, withTrailingBits),
  },
  {
    name: 'an ES256 signature with non-zero trailing bits is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, withTrailingBits),
  },
  {
    name: 'an HS256 signature with non-zero trailing bits is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, withTrailingBits, 'HS256'),
  },
  {
    name: 'a payload segment in the standard alphabet (+ and /) is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) =>
      signSegments(
        b64(headerFor(ctx.signers.ES256)),
        toStandardAlphabet(payloadWithUrlSafeChars(ctx)),
        ctx.signers.ES256,
      ),
  },
  {
    name: 'a signature segment in the standard alphabet (+ and /) is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => {
      const token = tokenWithUrlSafeSignature(ctx)
      return withSegment(token, 2, toStandardAlphabet(token.split('.')[2] as string))
    },
  },
  {
    name: 'a space inside the payload segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 1, (segment) => `${segment.slice(0, 10)} ${segment.slice(10)}`),
  },
  {
    name: 'a tab inside the signature segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, (segment) => `${segment.slice(0, 10)}\t${segment.slice(10)}`),
  },
  {
    name: 'a space before the header segment is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 0, (segment) => ` ${segment}`),
  },
  {
    name: 'a token followed by a newline is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => `${build(ctx)}\n`,
  },
  {
    name: 'a signature segment with a character outside base64url is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, (segment) => `${segment.slice(0, -2)}*A`),
  },
  {
    name: 'a signature segment of impossible length (4n+1) is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => respelled(ctx, 2, (segment) => segment.slice(0, -1)),
  },

  // Header JSON
  {
    name: 'a header that is not JSON is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => rawToken(ctx, '{"alg":"ES256"', JSON.stringify(claimsFor(ctx))),
  },
  ...(['[]', '"at+jwt"', 'null', '42', 'true'] as const).map((json): TokenCase => ({
    name: `a header that is JSON ${json} rather than an object is rejected`,
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => rawToken(ctx, json, JSON.stringify(claimsFor(ctx))),
  })),
  {
    name: 'a header that is not valid UTF-8 is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => {
      const bytes = Buffer.from(JSON.stringify(headerFor(ctx.signers.ES256, { x: 'ab' })))
      bytes[bytes.indexOf('"ab"') + 1] = 0xff // never valid in UTF-8
      return signSegments(b64url(bytes), b64(claimsFor(ctx)), ctx.signers.ES256)
    },
  },
  {
    name: 'a header that starts with a byte order mark is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) =>
      rawToken(
        ctx,
        `\ufeff${JSON.stringify(headerFor(ctx.signers.ES256))}`,
        JSON.stringify(claimsFor(ctx)),
      ),
  },

  // Payload JSON
  {
    name: 'a payload that is not JSON is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => rawToken(ctx, JSON.stringify(headerFor(ctx.signers.ES256)), 'sub=user-1'),
  },
  ...(['[]', '"user-1"', 'null', '42', 'true'] as const).map((json): TokenCase => ({
    name: `a payload that is JSON ${json} rather than an object is rejected`,
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => rawToken(ctx, JSON.stringify(headerFor(ctx.signers.ES256)), json),
  })),
  {
    name: 'a payload that is not valid UTF-8 is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => {
      const bytes = Buffer.from(JSON.stringify(claimsFor(ctx, { name: 'ab' })))
      bytes[bytes.indexOf('"ab"') + 1] = 0xc3 // a lead byte followed by an ASCII "b"
      return signSegments(b64(headerFor(ctx.signers.ES256)), b64url(bytes), ctx.signers.ES256)
    },
  },
  // The verifier decodes first and checks the bytes only when the text holds U+FFFD, the
  // character Node's decoder puts in place of every invalid sequence: these pin that down.
  {
    name: 'a payload carrying an encoded U+FFFD is accepted',
    expect: 'accepted',
    build: (ctx) =>
      rawToken(
        ctx,
        JSON.stringify(headerFor(ctx.signers.ES256)),
        JSON.stringify(claimsFor(ctx, { name: 'a\ufffdb' })),
      ),
  },
  ...(
    [
      ['an encoded U+FFFD beside an invalid byte', [0xef, 0xbf, 0xbd, 0xff]],
      ['an overlong encoding', [0xc0, 0xaf]],
      ['an encoded surrogate', [0xed, 0xa0, 0x80]],
      ['a truncated sequence', [0xe2, 0x82]],
      ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ] as const
  ).map(([what, invalid]): TokenCase => ({
    name: `a payload with ${what} is rejected as not UTF-8`,
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) => {
      const text = JSON.stringify(claimsFor(ctx, { name: 'a#b' }))
      const at = text.indexOf('a#b') + 1
      const bytes = Buffer.concat([
        Buffer.from(text.slice(0, at)),
        Buffer.from(invalid),
        Buffer.from(text.slice(at + 1)),
      ])
      return signSegments(b64(headerFor(ctx.signers.ES256)), b64url(bytes), ctx.signers.ES256)
    },
  })),
  {
    name: 'a payload that starts with a byte order mark is rejected',
    expect: 'ERR_TOKEN_MALFORMED',
    build: (ctx) =>
      rawToken(
        ctx,
        JSON.stringify(headerFor(ctx.signers.ES256)),
        `\ufeff${JSON.stringify(claimsFor(ctx))}`,
      ),
  },

  // typ (RFC 9068 §4: "at+jwt" or "application/at+jwt"; media types compare case-insensitively)
  ...(['at+jwt', 'AT+JWT', 'At+Jwt', 'application/at+jwt', 'APPLICATION/AT+JWT'] as const).map(
    (typ): TokenCase => ({
      name: `typ "${typ}" is accepted`,
      expect: 'accepted',
      build: (ctx) => build(ctx, { header: { typ } }),
    }),
  ),
  {
    name: 'a header without typ is rejected',
    expect: 'ERR_TYP_INVALID',
    build: (ctx) => build(ctx, { header: { typ: undefined } }),
  },
  ...(['JWT', 'jwt', 'application/jwt', 'at+jwt ', 'at+jwt;v=1', 'x/at+jwt', ''] as const).map(
    (typ): TokenCase => ({
      name: `typ ${JSON.stringify(typ)} is rejected`,
      expect: 'ERR_TYP_INVALID',
      build: (ctx) => build(ctx, { header: { typ } }),
    }),
  ),
  {
    name: 'a non-string typ is rejected',
    expect: 'ERR_TYP_INVALID',
    build: (ctx) => build(ctx, { header: { typ: ['at+jwt'] } }),
  },

  // iss
  {
    name: 'a wrong iss is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iss: 'https://evil.example.test' } }),
  },
  {
    name: 'an iss that differs only in case is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iss: ISSUER.toUpperCase() } }),
  },
  {
    name: 'an iss with a trailing slash is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iss: `${ISSUER}/` } }),
  },
  {
    name: 'an iss that is an array holding ours is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iss: [ISSUER] } }),
  },
  {
    name: 'a missing iss is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iss: undefined } }),
  },

  // aud
  {
    name: 'a wrong aud is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: 'other-api' } }),
  },
  {
    name: 'an aud array without ours is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: ['other-api', 'third-api'] } }),
  },
  {
    name: 'an aud array that contains ours is accepted',
    expect: 'accepted',
    build: (ctx) => build(ctx, { payload: { aud: ['other-api', AUDIENCE] } }),
  },
  {
    name: 'an empty aud array is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: [] } }),
  },
  {
    name: 'a missing aud is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: undefined } }),
  },
  {
    name: 'a numeric aud is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: 42 } }),
  },
  {
    name: 'an aud array with ours and a non-string member is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { aud: [AUDIENCE, 42] } }),
  },

  // Required claims and their types
  ...(['exp', 'iat', 'jti', 'sid', 'sub'] as const).map((claim): TokenCase => ({
    name: `a missing ${claim} is rejected`,
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { [claim]: undefined } }),
  })),
  ...(['jti', 'sid', 'sub'] as const).map((claim): TokenCase => ({
    name: `an empty ${claim} is rejected`,
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { [claim]: '' } }),
  })),
  {
    name: 'a numeric sub is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { sub: 42 } }),
  },
  {
    name: 'a numeric sid is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { sid: 42 } }),
  },
  {
    name: 'an exp that is a numeric string is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { exp: String(ctx.now + 300) } }),
  },
  {
    name: 'an exp that is null is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { exp: null } }),
  },
  {
    name: 'an exp that overflows to Infinity is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) =>
      rawToken(
        ctx,
        JSON.stringify(headerFor(ctx.signers.ES256)),
        JSON.stringify(claimsFor(ctx, { exp: 0 })).replace('"exp":0', '"exp":1e400'),
      ),
  },
  {
    name: 'an iat that is a numeric string is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iat: String(ctx.now) } }),
  },
  {
    name: 'an nbf that is not a number is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { nbf: 'now' } }),
  },
  {
    name: 'an iat_ms outside the iat second is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { iat_ms: (ctx.now + 1) * 1000 } }),
  },
  {
    name: 'a numeric client_id is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { client_id: 7 } }),
  },
  {
    name: 'a scope that is an array is rejected',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) => build(ctx, { payload: { scope: ['read'] } }),
  },

  // Time, at the boundaries (clockTolerance 5 s, maxAccessTokenTtl 86 400 s)
  {
    name: 'exp exactly at now is still accepted within the clock tolerance',
    expect: 'accepted',
    build: (ctx) => build(ctx, { payload: { exp: ctx.now } }),
  },
  {
    name: 'exp at now minus the tolerance is rejected',
    expect: 'ERR_TOKEN_EXPIRED',
    build: (ctx) => build(ctx, { payload: { exp: ctx.now - ctx.clockTolerance } }),
  },
  {
    name: 'exp one second after now minus the tolerance is accepted',
    expect: 'accepted',
    build: (ctx) => build(ctx, { payload: { exp: ctx.now - ctx.clockTolerance + 1 } }),
  },
  {
    name: 'nbf one second beyond the tolerance is rejected',
    expect: 'ERR_TOKEN_NOT_YET_VALID',
    build: (ctx) => build(ctx, { payload: { nbf: ctx.now + ctx.clockTolerance + 1 } }),
  },
  {
    name: 'nbf exactly at the tolerance is accepted',
    expect: 'accepted',
    build: (ctx) => build(ctx, { payload: { nbf: ctx.now + ctx.clockTolerance } }),
  },
  {
    name: 'iat one second beyond the tolerance is rejected',
    expect: 'ERR_TOKEN_NOT_YET_VALID',
    build: (ctx) => build(ctx, { payload: { iat: ctx.now + ctx.clockTolerance + 1 } }),
  },
  {
    name: 'iat exactly at the tolerance is accepted',
    expect: 'accepted',
    build: (ctx) => build(ctx, { payload: { iat: ctx.now + ctx.clockTolerance } }),
  },
  {
    name: 'iat older than maxAccessTokenTtl plus the tolerance is rejected',
    expect: 'ERR_TOKEN_EXPIRED',
    build: (ctx) =>
      build(ctx, { payload: { iat: ctx.now - ctx.maxAccessTokenTtl - ctx.clockTolerance - 1 } }),
  },
  {
    name: 'iat exactly maxAccessTokenTtl plus the tolerance old is accepted',
    expect: 'accepted',
    build: (ctx) =>
      build(ctx, { payload: { iat: ctx.now - ctx.maxAccessTokenTtl - ctx.clockTolerance } }),
  },

  // Size, before any crypto
  {
    name: 'a token over the size limit with a garbage signature is rejected as too large',
    expect: 'ERR_TOKEN_TOO_LARGE',
    build: (ctx) => {
      const token = build(ctx, { payload: { pad: 'x'.repeat(ctx.maxTokenSize) }, signer: null })
      return `${token}${'A'.repeat(86)}`
    },
  },
  {
    name: 'a validly signed token over the size limit is rejected as too large',
    expect: 'ERR_TOKEN_TOO_LARGE',
    build: (ctx) => build(ctx, { payload: { pad: 'x'.repeat(ctx.maxTokenSize) } }),
  },

  // Signature, before claims
  {
    name: 'a bad signature on bad claims is rejected for the signature',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) =>
      build(ctx, {
        payload: { iss: 'https://evil.example.test', exp: ctx.now - 3600, sub: '' },
        signer: ctx.stranger,
      }),
  },
  {
    name: 'a token signed by another ES256 key under the ring kid is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) => build(ctx, { signer: ctx.stranger }),
  },
  {
    name: 'an HS256 token signed with another secret is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) =>
      build(ctx, { alg: 'HS256', signer: hmacWith('another-secret-of-at-least-32-bytes!!') }),
  },
  {
    name: 'an ES256 signature in DER rather than r||s is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) => {
      const token = build(ctx, { signer: null })
      const der = sign('sha256', Buffer.from(token.slice(0, -1)), ctx.signers.ES256.key)
      return `${token}${der.toString('base64url')}`
    },
  },
  {
    name: 'an RS256 signature one byte short is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) =>
      respelled(
        ctx,
        2,
        (segment) => Buffer.from(segment, 'base64url').subarray(1).toString('base64url'),
        'RS256',
      ),
  },
  {
    name: 'the signature of another token is rejected',
    expect: 'ERR_SIGNATURE_INVALID',
    build: (ctx) =>
      withSegment(
        build(ctx, { payload: { sub: 'user-1' } }),
        2,
        build(ctx, { payload: { sub: 'user-2' } }).split('.')[2] as string,
      ),
  },
  {
    name: 'an ES256 token with the (r, n-s) twin of its signature is accepted, as by jose',
    expect: 'accepted',
    build: (ctx) => {
      const token = build(ctx)
      return withSegment(token, 2, malleate(token.split('.')[2] as string))
    },
  },

  // Duplicate members: RFC 7515 §4 lets a parser take the lexically last one; JSON.parse does,
  // as jose does. The signature covers the bytes, so only the key holder can write either.
  {
    name: 'a header with alg twice is read by its last alg (none: rejected)',
    expect: 'ERR_ALG_NOT_ALLOWED',
    build: (ctx) =>
      rawToken(
        ctx,
        `{"alg":"ES256","typ":"at+jwt","kid":"${ctx.signers.ES256.kid}","alg":"none"}`,
        JSON.stringify(claimsFor(ctx)),
      ),
  },
  {
    name: 'a header with alg twice is read by its last alg (ES256: accepted)',
    expect: 'accepted',
    build: (ctx) =>
      rawToken(
        ctx,
        `{"alg":"none","typ":"at+jwt","kid":"${ctx.signers.ES256.kid}","alg":"ES256"}`,
        JSON.stringify(claimsFor(ctx)),
      ),
  },
  {
    name: 'a payload with iss twice is read by its last iss (wrong: rejected)',
    expect: 'ERR_CLAIM_INVALID',
    build: (ctx) =>
      rawToken(
        ctx,
        JSON.stringify(headerFor(ctx.signers.ES256)),
        JSON.stringify(claimsFor(ctx)).replace(/}$/, ',"iss":"https://evil.example.test"}'),
      ),
  },
]

/** Looks a case up by name (tests that need one case on its own). */
export function tokenCase(name: string): TokenCase {
  const found = TOKEN_CASES.find((c) => c.name === name)
  if (found === undefined) throw new Error(`no token case named "${name}"`)
  return found
}
