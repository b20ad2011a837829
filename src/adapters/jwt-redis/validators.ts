/** Checks of the options and secrets given to revocable/jwt-redis (misuse: TypeError). */
import { MIN_SECRET_BYTES } from './options.js'

export function positive(name: string, value: unknown, fallback: number): number {
  if (value === undefined) return fallback
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive integer`)
  }
  return value
}

export function nonEmpty(name: string, value: unknown, fallback: string): string {
  if (value === undefined) return fallback
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`"${name}" must be a non-empty string`)
  }
  return value
}

export function checkKnown(options: unknown, known: ReadonlySet<string>, verb: string): void {
  if (options === undefined) return
  if (options === null || typeof options !== 'object') {
    throw new TypeError(`${verb}() options must be an object`)
  }
  for (const [name, value] of Object.entries(options)) {
    if (value !== undefined && !known.has(name)) {
      throw new TypeError(`"${name}" is not supported by revocable/jwt-redis ${verb}()`)
    }
  }
}

export function secretBytes(secret: unknown): Buffer {
  if (typeof secret === 'string') return Buffer.from(secret, 'utf8')
  if (secret instanceof Uint8Array) return Buffer.from(secret)
  throw new TypeError(
    'the secret must be a string or a Buffer (HS256; keys and callbacks are not supported)',
  )
}

/**
 * The key revocable signs with for a secret. HMAC pads a key shorter than its 64-byte block
 * with zeros (RFC 2104 §2), so a short secret padded with zeros to 32 bytes gives exactly the
 * MACs of the secret itself: tokens stay verifiable by jsonwebtoken with the app's secret, and
 * revocable's key import keeps its 32-byte floor for everyone else.
 */
export function hmacKey(secret: Buffer): Buffer {
  if (secret.length >= MIN_SECRET_BYTES) return secret
  return Buffer.concat([secret, Buffer.alloc(MIN_SECRET_BYTES - secret.length)])
}

export const SHORT_SECRET_RISK =
  'an HS256 secret shorter than 32 bytes can be brute-forced offline from any token it signed, ' +
  'letting an attacker forge tokens'
export const SHORT_SECRET_FIX =
  'use a random secret of at least 32 bytes (e.g. `openssl rand -base64 32`); tokens signed ' +
  'with the old secret stop verifying, so users sign in again'
