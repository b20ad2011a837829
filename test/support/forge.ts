import type { KeyObject } from 'node:crypto'
import { ALGORITHM_IMPLS, type Algorithm } from '../../src/keys/algorithms.js'

/** base64url of a JSON value or of raw text, without any checks: tests build hostile tokens. */
export function b64(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value)
  return Buffer.from(text).toString('base64url')
}

/**
 * Builds a compact JWS by hand from any header and payload, signed with `key` under `alg`'s
 * primitive, whatever the header says. This is how tests make tokens our issuer never would.
 */
export function forge(
  header: unknown,
  payload: unknown,
  signer?: { alg: Algorithm; key: KeyObject },
): string {
  const input = `${b64(header)}.${b64(payload)}`
  if (signer === undefined) return `${input}.`
  const signature = ALGORITHM_IMPLS[signer.alg].sign(Buffer.from(input), signer.key)
  return `${input}.${signature.toString('base64url')}`
}

/** Splits a compact token and decodes its header and payload. */
export function parts(token: string): {
  header: Record<string, unknown>
  payload: Record<string, unknown>
  signature: string
} {
  const [h, p, s] = token.split('.') as [string, string, string]
  return {
    header: JSON.parse(Buffer.from(h, 'base64url').toString()),
    payload: JSON.parse(Buffer.from(p, 'base64url').toString()),
    signature: s,
  }
}

/** Re-signs a token after changing its header and/or payload with the given key. */
export function resign(
  token: string,
  change: { header?: Record<string, unknown>; payload?: Record<string, unknown> },
  signer: { alg: Algorithm; key: KeyObject },
): string {
  const { header, payload } = parts(token)
  return forge({ ...header, ...change.header }, { ...payload, ...change.payload }, signer)
}

/** A key to sign forged tokens with: the primitive of `alg`, whatever the header will claim. */
export interface Signer {
  readonly alg: Algorithm
  readonly key: KeyObject
}

/** The base64url signature of the exact text `input` (no normalisation of any kind). */
export function signText(input: string, signer: Signer): string {
  return ALGORITHM_IMPLS[signer.alg].sign(Buffer.from(input), signer.key).toString('base64url')
}

/**
 * Joins two already-encoded segments and signs exactly that text. Tests use it for segments our
 * encoder would never produce (padding, standard-alphabet characters, whitespace, raw JSON with
 * duplicate members), so the signature is right and only the spelling is wrong.
 */
export function signSegments(
  headerSegment: string,
  payloadSegment: string,
  signer: Signer,
): string {
  const input = `${headerSegment}.${payloadSegment}`
  return `${input}.${signText(input, signer)}`
}

/** The token with one segment (0 header, 1 payload, 2 signature) replaced, signature untouched. */
export function withSegment(token: string, index: 0 | 1 | 2, segment: string): string {
  const segments = token.split('.')
  segments[index] = segment
  return segments.join('.')
}

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'

/**
 * The same bytes spelled non-canonically: the unused low bits of the last character set to 1.
 * Node's decoder (and atob) read it as the original bytes. Throws when the segment has no unused
 * bits (its length is a multiple of 4).
 */
export function withTrailingBits(segment: string): string {
  const tail = segment.length % 4
  if (tail !== 2 && tail !== 3)
    throw new Error(`segment of length ${segment.length} has no spare bits`)
  const last = BASE64URL_ALPHABET.indexOf(segment.at(-1) as string)
  return segment.slice(0, -1) + (BASE64URL_ALPHABET[last | 1] as string)
}

/** The segment with `=` padding added (it must not be a multiple of 4 characters already). */
export function withPadding(segment: string): string {
  const tail = segment.length % 4
  if (tail === 0) throw new Error('segment needs no padding')
  return segment + '='.repeat(4 - tail)
}

/**
 * base64url of `value`'s JSON, with trailing spaces added to the JSON text until the encoding has
 * spare bits (length not a multiple of 4), so it can be padded or given non-zero trailing bits.
 */
export function b64WithSpareBits(value: unknown): string {
  let text = JSON.stringify(value)
  while (Buffer.from(text).toString('base64url').length % 4 === 0) text += ' '
  return Buffer.from(text).toString('base64url')
}
