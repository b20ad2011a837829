import type { KeyObject } from 'node:crypto'
import type { Algorithm } from './algorithms.js'

/** One key of the ring, held as typed KeyObjects so no key format is ever guessed per request. */
export interface RingKey {
  readonly kid: string
  readonly alg: Algorithm
  /** The public key, or the secret for HS256. */
  readonly verifyKey: KeyObject
  /** The private key or secret; absent for a verify-only key (a public JWK or SPKI PEM). */
  readonly signKey: KeyObject | undefined
  /** When the key was made (ms); configured keys count as 0, so a generated key outranks them. */
  readonly createdAt: number
  readonly source: 'config' | 'store'
}

/**
 * What the verifier (tokens/verify.ts) needs from the key ring: an exact lookup by kid. It lives
 * here, beside `RingKey`, so that keys/ implements it without importing tokens/ (tokens/ imports
 * keys/, never the other way).
 */
export interface KeyLookup {
  /** The usable key with exactly this kid, or undefined. */
  get(kid: string): RingKey | undefined
  isRetired(kid: string): boolean
}
