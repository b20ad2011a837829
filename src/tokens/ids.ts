import { randomBytes } from 'node:crypto'

/** A random identifier of 128 bits (22 base64url characters), for `jti` and `sid`. */
export function randomId(): string {
  return randomBytes(16).toString('base64url')
}
