import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { HashQueue } from './hash-queue.js'

/**
 * Password hashing with scrypt (memory-hard, in node:crypto). A hash records its own parameters
 * (`scrypt$<logN>$<r>$<p>$<salt>$<key>`), so raising the cost later still verifies old hashes.
 */

const KEY_LENGTH = 32
const SALT_BYTES = 16

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

/** Hashes and verifies passwords; verifying for an unknown user costs as much as for a known one. */
export class PasswordHasher {
  readonly #logN: number
  readonly #queue: HashQueue
  readonly #dummy: Promise<string>

  /** Every hash runs through `queue` (src/server/users/hash-queue.ts): a flood cannot starve verification. */
  constructor(logN = 15, queue: HashQueue = new HashQueue()) {
    this.#logN = logN
    this.#queue = queue
    // Compared against when the user does not exist, so both answers take one scrypt.
    this.#dummy = this.hash(randomBytes(16).toString('base64url'))
  }

  async hash(password: string): Promise<string> {
    const salt = randomBytes(SALT_BYTES)
    const key = await this.#queue.run(() => derive(password, salt, this.#logN, 8, 1))
    return ['scrypt', this.#logN, 8, 1, salt.toString('base64url'), key.toString('base64url')].join(
      '$',
    )
  }

  /** True when `password` matches `stored`; with no stored hash, does the same work and is false. */
  async verify(password: string, stored: string | undefined): Promise<boolean> {
    const [scheme, logN, r, p, salt, key] = (stored ?? (await this.#dummy)).split('$')
    if (scheme !== 'scrypt' || salt === undefined || key === undefined) return false
    const expected = Buffer.from(key, 'base64url')
    const actual = await this.#queue.run(() =>
      derive(password, Buffer.from(salt, 'base64url'), Number(logN), Number(r), Number(p)),
    )
    return (
      stored !== undefined && expected.length === actual.length && timingSafeEqual(expected, actual)
    )
  }
}
