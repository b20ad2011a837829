import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { MissingPeerDependency, requirePeer } from '../../peer.js'
import { HashQueue } from './hash-queue.js'

/**
 * Password hashing: Argon2id at OWASP's parameters (m 19 MiB, t 2, p 1) through the optional
 * peer `@node-rs/argon2` (prebuilt binaries), or scrypt (memory-hard, in node:crypto) when that
 * package is not installed or `PASSWORD_HASH=scrypt`. A hash records its own scheme and
 * parameters (`$argon2id$v=19$m=19456,t=2,p=1$…`, `scrypt$<logN>$<r>$<p>$<salt>$<key>`), so
 * older hashes still verify, and `needsRehash` says when a login should store a new one.
 */

const KEY_LENGTH = 32
const SALT_BYTES = 16

/** OWASP Password Storage Cheat Sheet, Argon2id: m=19 MiB, t=2, p=1. */
export const ARGON2ID_OPTIONS = Object.freeze({
  algorithm: 2, // Algorithm.Argon2id (a const enum in the binding's types)
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
})
const ARGON2ID_PREFIX = `$argon2id$v=19$m=${ARGON2ID_OPTIONS.memoryCost},t=${ARGON2ID_OPTIONS.timeCost},p=${ARGON2ID_OPTIONS.parallelism}$`

export type PasswordScheme = 'argon2id' | 'scrypt'

interface Argon2 {
  hash(password: string, options: typeof ARGON2ID_OPTIONS): Promise<string>
  verify(hashed: string, password: string): Promise<boolean>
}

/**
 * The Argon2 binding, or undefined when the optional peer is not installed. An installed one
 * that fails to load (a broken native build) throws its own error: better a failed start than a
 * silent fall back to another scheme.
 */
export async function loadArgon2(): Promise<Argon2 | undefined> {
  try {
    return requirePeer<Argon2>('@node-rs/argon2', 'PASSWORD_HASH=argon2id')
  } catch (error) {
    if (error instanceof MissingPeerDependency) return undefined
    throw error
  }
}

function derive(
  password: string,
  salt: Buffer,
  logN: number,
  r: number,
  p: number,
): Promise<Buffer> {
  const N = 2 ** logN
  // scrypt needs 128 * N * r bytes; node's default cap (32 MiB) would refuse logN 15 with r 8.
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, KEY_LENGTH, options, (error, key) =>
      error === null ? resolve(key) : reject(error),
    )
  })
}

export interface PasswordHasherOptions {
  /** log2 of scrypt's N for new scrypt hashes. */
  readonly scryptLogN?: number
  /** The Argon2 binding (from `loadArgon2`); without it new hashes are scrypt. */
  readonly argon2?: Argon2 | undefined
  /** Every hash runs through it (src/service/users/hash-queue.ts). */
  readonly queue?: HashQueue
}

/** Hashes and verifies passwords; verifying for an unknown user costs as much as for a known one. */
export class PasswordHasher {
  readonly #logN: number
  readonly #argon2: Argon2 | undefined
  readonly #queue: HashQueue
  readonly #dummy: Promise<string>

  /**
   * @example
   * const hasher = new PasswordHasher({ argon2: await loadArgon2() })
   * const stored = await hasher.hash('correct horse battery staple')
   * await hasher.verify('correct horse battery staple', stored) // true
   */
  constructor(options: PasswordHasherOptions = {}) {
    this.#logN = options.scryptLogN ?? 15
    this.#argon2 = options.argon2
    this.#queue = options.queue ?? new HashQueue()
    // Compared against when the user does not exist, so both answers cost one hash.
    this.#dummy = this.hash(randomBytes(16).toString('base64url'))
  }

  /** The scheme of new hashes. */
  get scheme(): PasswordScheme {
    return this.#argon2 === undefined ? 'scrypt' : 'argon2id'
  }

  async hash(password: string): Promise<string> {
    const argon2 = this.#argon2
    if (argon2 !== undefined) {
      return this.#queue.run(() => argon2.hash(password.normalize('NFC'), ARGON2ID_OPTIONS))
    }
    const salt = randomBytes(SALT_BYTES)
    const key = await this.#queue.run(() => derive(password, salt, this.#logN, 8, 1))
    return ['scrypt', this.#logN, 8, 1, salt.toString('base64url'), key.toString('base64url')].join(
      '$',
    )
  }

  /** True when `password` matches `stored`; with no stored hash, does the same work and is false. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const hashed = stored ?? (await this.#dummy)
    const matches = hashed.startsWith('$argon2id$')
      ? await this.#verifyArgon2(password, hashed)
      : await this.#verifyScrypt(password, hashed)
    return stored !== undefined && matches
  }

  /** True when `stored` is not what `hash` makes today (scrypt, or weaker parameters). */
  needsRehash(stored: string): boolean {
    if (this.#argon2 !== undefined) return !stored.startsWith(ARGON2ID_PREFIX)
    const [scheme, logN] = stored.split('$')
    return scheme === 'scrypt' && Number(logN) < this.#logN
  }

  async #verifyArgon2(password: string, hashed: string): Promise<boolean> {
    const argon2 = this.#argon2
    // An Argon2 hash with the binding gone cannot be checked: refused, never accepted.
    if (argon2 === undefined) return false
    try {
      return await this.#queue.run(() => argon2.verify(hashed, password.normalize('NFC')))
    } catch (error) {
      // A malformed stored hash is a mismatch; a full queue is the caller's 503.
      if (error instanceof Error && error.name === 'HashQueueFullError') throw error
      return false
    }
  }

  async #verifyScrypt(password: string, hashed: string): Promise<boolean> {
    const [scheme, logN, r, p, salt, key] = hashed.split('$')
    if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false
    const expected = Buffer.from(key, 'base64url')
    const actual = await this.#queue.run(() =>
      derive(password, Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p)),
    )
    return expected.length === actual.length && timingSafeEqual(expected, actual)
  }
}
