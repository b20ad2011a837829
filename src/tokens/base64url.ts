import { TokenMalformed } from '../errors.js'

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
const SEGMENT = /^[A-Za-z0-9_-]*$/

/**
 * True when `segment` is canonical unpadded base64url: only the URL alphabet, no padding, a
 * possible length, and zero in the unused low bits of the last character. Node's decoder (and
 * atob) quietly accept the non-canonical forms, which would let one token be spelled several
 * ways; a verifier that promises "any changed byte is rejected" has to refuse them.
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!SEGMENT.test(segment)) return false
  const tail = segment.length % 4
  if (tail === 0) return true
  if (tail === 1) return false
  const last = ALPHABET.indexOf(segment[segment.length - 1] as string)
  return (last & (tail === 2 ? 0x0f : 0x03)) === 0
}

/** Decodes a canonical base64url segment; throws ERR_TOKEN_MALFORMED for anything else. */
export function decodeSegment(segment: string, what: string): Buffer {
  if (!isCanonicalBase64url(segment)) throw new TokenMalformed(`${what} is not canonical base64url`)
  return Buffer.from(segment, 'base64url')
}

export function encodeSegment(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64url')
}
