import { isUtf8 } from 'node:buffer'
import {
  AlgorithmNotAllowed,
  HeaderRejected,
  KeyRetired,
  KidUnknown,
  SignatureInvalid,
  TokenMalformed,
  TokenTooLarge,
  TokenUnsupported,
  TypInvalid,
} from '../errors.js'
import { ALGORITHM_IMPLS, isAlgorithm } from '../keys/algorithms.js'
import type { KeyLookup, RingKey } from '../keys/key-material.js'
import { decodeSegment, isCanonicalBase64url } from './base64url.js'
import { checkClaims, type AccessTokenClaims, type ClaimRules } from './claims.js'
import type { HeaderCache } from './header-cache.js'

export interface VerifyContext {
  readonly keys: KeyLookup
  readonly rules: ClaimRules
  readonly maxTokenSize: number
  readonly now: number
  /** Headers already checked against the current ring (optional). */
  readonly headers?: HeaderCache
}

export interface VerifiedAccessToken {
  readonly claims: AccessTokenClaims
  readonly key: RingKey
}

// Headers that point the verifier at a key chosen by the token's author. The key is always the
// one our ring holds under `kid`, so a token carrying any of these is refused outright.
const KEY_POINTER_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const

function parseJsonObject(bytes: Buffer, what: string): Record<string, unknown> {
  // JSON texts are UTF-8 (RFC 8259 §8.1). Node's decoder quietly turns every invalid sequence
  // into U+FFFD, accepting bytes jose (a fatal TextDecoder) refuses. A text without U+FFFD came
  // from valid UTF-8; one with it (invalid bytes, or an honest U+FFFD) has its bytes checked.
  const text = bytes.toString('utf8')
  if (text.includes('\uFFFD') && !isUtf8(bytes)) {
    throw new TokenMalformed(`${what} is not valid UTF-8`)
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (cause) {
    throw new TokenMalformed(`${what} is not valid JSON`, { cause })
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TokenMalformed(`${what} must be a JSON object`)
  }
  return value as Record<string, unknown>
}

function isAccessTokenTyp(typ: unknown): boolean {
  if (typeof typ !== 'string') return false
  // Media types compare case-insensitively and may omit "application/" (RFC 7515 §4.1.9).
  const lower = typ.toLowerCase()
  return lower === 'at+jwt' || lower === 'application/at+jwt'
}

/** Checks the protected header and returns the key that must have signed the token. */
function selectKey(header: Record<string, unknown>, keys: KeyLookup): RingKey {
  const alg = header.alg
  if (typeof alg !== 'string') throw new AlgorithmNotAllowed('"alg" header must be a string')
  if (alg.toLowerCase() === 'none') throw new AlgorithmNotAllowed('"alg: none" is never accepted')
  // Messages name the header and the rule, never the token's value: a message reaches HTTP
  // answers and logs, and the value is whatever the token's author chose.
  if (!isAlgorithm(alg)) throw new AlgorithmNotAllowed('"alg" header names no allowed algorithm')
  if ('enc' in header) throw new TokenUnsupported('encrypted tokens (JWE) are not supported')
  if ('zip' in header) throw new TokenUnsupported('compressed tokens ("zip") are not supported')
  if ('b64' in header && header.b64 !== true) {
    throw new TokenUnsupported('unencoded payloads ("b64": false) are not supported')
  }
  if ('crit' in header) throw new HeaderRejected('no "crit" header extension is understood')
  for (const name of KEY_POINTER_HEADERS) {
    if (name in header) throw new HeaderRejected(`"${name}" header is not accepted`)
  }
  if (!isAccessTokenTyp(header.typ)) throw new TypInvalid('"typ" header must be "at+jwt"')

  const kid = header.kid
  if (typeof kid !== 'string' || kid === '') throw new KidUnknown('"kid" header is missing')
  const key = keys.get(kid)
  if (key === undefined) {
    if (keys.isRetired(kid)) throw new KeyRetired('the key named by "kid" has been retired')
    throw new KidUnknown('no key matches the "kid" header')
  }
  // The algorithm comes from the key record; the header may only agree with it.
  if (alg !== key.alg) throw new AlgorithmNotAllowed('"alg" header does not match the key')
  return key
}

/**
 * Verifies a compact JWS access token: size, shape, header, signature, then claims. Synchronous
 * and free of I/O; revocation is checked afterwards by the caller. Every failure is a
 * `RevocableError` with a stable code.
 */
export function verifyAccessToken(token: unknown, context: VerifyContext): VerifiedAccessToken {
  if (typeof token !== 'string') throw new TokenMalformed('token must be a string')
  if (token.length > context.maxTokenSize) {
    throw new TokenTooLarge(`token is longer than ${context.maxTokenSize} characters`)
  }
  const firstDot = token.indexOf('.')
  const secondDot = token.indexOf('.', firstDot + 1)
  if (firstDot < 0 || secondDot < 0) throw new TokenMalformed('token must have three segments')
  if (token.indexOf('.', secondDot + 1) >= 0) {
    if (token.split('.').length === 5)
      throw new TokenUnsupported('encrypted tokens (JWE) are not supported')
    throw new TokenMalformed('token must have three segments')
  }
  const headerSegment = token.slice(0, firstDot)
  const payloadSegment = token.slice(firstDot + 1, secondDot)
  const signatureSegment = token.slice(secondDot + 1)
  if (!isCanonicalBase64url(payloadSegment)) {
    throw new TokenMalformed('payload is not canonical base64url')
  }

  let key = context.headers?.get(headerSegment)
  if (key === undefined) {
    key = selectKey(parseJsonObject(decodeSegment(headerSegment, 'header'), 'header'), context.keys)
    context.headers?.set(headerSegment, key)
  }
  const impl = ALGORITHM_IMPLS[key.alg]
  const signingInput = token.slice(0, secondDot)
  if (impl.verifyEncoded !== undefined) {
    if (!impl.verifyEncoded(signingInput, signatureSegment, key.verifyKey)) {
      // A non-canonical spelling is malformed (as below), whatever bytes it decodes to.
      decodeSegment(signatureSegment, 'signature')
      throw new SignatureInvalid()
    }
  } else {
    const signature = decodeSegment(signatureSegment, 'signature')
    if (!impl.verify(signingInput, signature, key.verifyKey)) throw new SignatureInvalid()
  }

  const payload = parseJsonObject(Buffer.from(payloadSegment, 'base64url'), 'payload')
  return { claims: checkClaims(payload, context.rules, context.now), key }
}
