import { createHmac, sign, timingSafeEqual, verify, type KeyObject } from 'node:crypto'
import { equalConstantTime } from '../code-units.js'

/**
 * The signing algorithms this library accepts: an explicit allowlist. The algorithm of a token is
 * always taken from the key record its `kid` names; the header `alg` must merely agree with it.
 */
export const ALGORITHMS = ['ES256', 'EdDSA', 'RS256', 'HS256'] as const
export type Algorithm = (typeof ALGORITHMS)[number]

export function isAlgorithm(value: unknown): value is Algorithm {
  return typeof value === 'string' && (ALGORITHMS as readonly string[]).includes(value)
}

export interface AlgorithmImpl {
  /** Signs `input` with the private (or secret) key. */
  sign(input: Buffer, key: KeyObject): Buffer
  /**
   * Verifies synchronously; never throws for a bad signature, only returns false. The signing
   * input is the ASCII text `header.payload`.
   */
  verify(input: string, signature: Buffer, key: KeyObject): boolean
  /**
   * Verifies against the signature's base64url text itself, for an algorithm whose signature can
   * be recomputed (HMAC): the text must equal the canonical encoding of the expected MAC, which
   * saves decoding it and rejects every other spelling of the same bytes. Constant time.
   */
  verifyEncoded?(input: string, signature: string, key: KeyObject): boolean
}

const hs256: AlgorithmImpl = {
  sign: (input, key) => createHmac('sha256', key).update(input).digest(),
  verify(input, signature, key) {
    if (signature.length !== 32) return false
    return timingSafeEqual(createHmac('sha256', key).update(input, 'latin1').digest(), signature)
  },
  verifyEncoded: (input, signature, key) =>
    equalConstantTime(
      createHmac('sha256', key).update(input, 'latin1').digest('base64url'),
      signature,
    ),
}

// JWS carries ECDSA signatures as r || s (IEEE P1363), not DER.
const es256: AlgorithmImpl = {
  sign: (input, key) => sign('sha256', input, { key, dsaEncoding: 'ieee-p1363' }),
  verify: (input, signature, key) =>
    signature.length === 64 &&
    verify('sha256', Buffer.from(input, 'latin1'), { key, dsaEncoding: 'ieee-p1363' }, signature),
}

const edDsa: AlgorithmImpl = {
  sign: (input, key) => sign(null, input, key),
  verify: (input, signature, key) =>
    signature.length === 64 && verify(null, Buffer.from(input, 'latin1'), key, signature),
}

const rs256: AlgorithmImpl = {
  sign: (input, key) => sign('sha256', input, key),
  verify(input, signature, key) {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0
    return (
      signature.length === bits / 8 &&
      verify('sha256', Buffer.from(input, 'latin1'), key, signature)
    )
  },
}

export const ALGORITHM_IMPLS: Readonly<Record<Algorithm, AlgorithmImpl>> = Object.freeze({
  ES256: es256,
  EdDSA: edDsa,
  RS256: rs256,
  HS256: hs256,
})

/** Smallest accepted sizes (STYLE §4): RSA modulus bits, HMAC secret bytes. */
export const MIN_RSA_BITS = 2048
export const MIN_HMAC_BYTES = 32

/**
 * Throws a TypeError when `key` cannot serve `alg` (wrong type, curve or size). Run once, when
 * a key enters the ring, so the hot path never has to ask.
 */
export function assertKeyFitsAlgorithm(alg: Algorithm, key: KeyObject, label: string): void {
  const fail = (why: string): never => {
    throw new TypeError(`${label}: ${why}`)
  }
  switch (alg) {
    case 'HS256':
      if (key.type !== 'secret') fail('HS256 needs a secret key')
      if ((key.symmetricKeySize ?? 0) < MIN_HMAC_BYTES)
        fail(`HS256 secret must be at least ${MIN_HMAC_BYTES} bytes`)
      return
    case 'ES256':
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1')
        fail('ES256 needs a P-256 EC key')
      return
    case 'EdDSA':
      if (key.asymmetricKeyType !== 'ed25519') fail('EdDSA needs an Ed25519 key')
      return
    case 'RS256':
      if (key.asymmetricKeyType !== 'rsa') fail('RS256 needs an RSA key')
      if ((key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS)
        fail(`RS256 key must be at least ${MIN_RSA_BITS} bits`)
      return
  }
}
