import { KeyObject, createPrivateKey, createPublicKey, createSecretKey } from 'node:crypto'
import {
  calculateJwkThumbprint,
  exportJWK,
  importJWK,
  importPKCS8,
  importSPKI,
  importX509,
  type CryptoKey as JoseCryptoKey,
  type JWK,
} from 'jose'
import type { StoredKey } from '../records/key.js'
import { assertKeyFitsAlgorithm, isAlgorithm, type Algorithm } from './algorithms.js'
import type { RingKey } from './key-material.js'

/** A key supplied through the `keys` option. */
export type KeyInput =
  | { jwk: JWK; alg?: Algorithm; kid?: string }
  | { pem: string; alg: Algorithm; kid?: string }
  | { secret: string | Uint8Array; alg?: 'HS256'; kid: string }

/** Turns whatever jose imported (a CryptoKey, or raw bytes for `oct`) into a typed KeyObject. */
function toKeyObject(imported: JoseCryptoKey | Uint8Array): KeyObject {
  return imported instanceof Uint8Array ? createSecretKey(imported) : KeyObject.from(imported)
}

function ringKeyFrom(
  kid: string,
  alg: Algorithm,
  key: KeyObject,
  createdAt: number,
  source: RingKey['source'],
  label: string,
): RingKey {
  const signKey = key.type === 'public' ? undefined : key
  const verifyKey = key.type === 'private' ? createPublicKey(key) : key
  assertKeyFitsAlgorithm(alg, verifyKey, label)
  return { kid, alg, verifyKey, signKey, createdAt, source }
}

async function defaultKid(key: KeyObject, label: string): Promise<string> {
  if (key.type === 'secret') throw new TypeError(`${label}: a secret key needs an explicit "kid"`)
  const publicKey = key.type === 'private' ? createPublicKey(key) : key
  return calculateJwkThumbprint(await exportJWK(publicKey))
}

// `openssl genrsa` and `openssl ecparam -genkey` still write PKCS#1 / SEC1 PEMs, which jose does not
// read; node does, so such a key is re-encoded as PKCS#8 first (the key itself is unchanged).
function toPkcs8IfLegacy(pem: string): string {
  if (!/-----BEGIN (RSA|EC) PRIVATE KEY-----/.test(pem)) return pem
  return createPrivateKey(pem).export({ format: 'pem', type: 'pkcs8' }) as string
}

/** Imports one configured key (JWK, PEM or secret). Throws a TypeError naming `label`. */
export async function importConfiguredKey(input: KeyInput, label: string): Promise<RingKey> {
  if (input === null || typeof input !== 'object') {
    throw new TypeError(`${label} must be an object with "jwk", "pem" or "secret"`)
  }
  try {
    if ('secret' in input) {
      const bytes =
        typeof input.secret === 'string' ? Buffer.from(input.secret, 'utf8') : input.secret
      if (!(bytes instanceof Uint8Array)) throw new TypeError('"secret" must be a string or bytes')
      if (input.alg !== undefined && input.alg !== 'HS256') {
        throw new TypeError('a "secret" key only serves HS256')
      }
      if (typeof input.kid !== 'string' || input.kid === '') {
        throw new TypeError('a "secret" key needs a non-empty "kid"')
      }
      return ringKeyFrom(input.kid, 'HS256', createSecretKey(bytes), 0, 'config', label)
    }
    if ('jwk' in input) {
      const alg = input.alg ?? input.jwk.alg
      if (!isAlgorithm(alg)) throw new TypeError(`"alg" must be one of ES256, EdDSA, RS256, HS256`)
      const key = toKeyObject(await importJWK(input.jwk, alg, { extractable: true }))
      const kid = input.kid ?? input.jwk.kid ?? (await defaultKid(key, label))
      return ringKeyFrom(kid, alg, key, 0, 'config', label)
    }
    if ('pem' in input) {
      if (!isAlgorithm(input.alg)) {
        throw new TypeError(`"alg" must be one of ES256, EdDSA, RS256, HS256`)
      }
      const pem = toPkcs8IfLegacy(input.pem)
      const imported = pem.includes('PRIVATE KEY')
        ? await importPKCS8(pem, input.alg, { extractable: true })
        : pem.includes('CERTIFICATE')
          ? await importX509(pem, input.alg, { extractable: true })
          : await importSPKI(pem, input.alg, { extractable: true })
      const key = toKeyObject(imported)
      const kid = input.kid ?? (await defaultKid(key, label))
      return ringKeyFrom(kid, input.alg, key, 0, 'config', label)
    }
  } catch (error) {
    if (error instanceof TypeError && error.message.startsWith(label)) throw error
    throw new TypeError(`${label}: ${(error as Error).message}`, { cause: error })
  }
  throw new TypeError(`${label} must be an object with "jwk", "pem" or "secret"`)
}

/** Whether a stored JWK carries private members (a key kept in plaintext). */
export function hasPrivateMembers(jwk: JWK): boolean {
  return jwk.d !== undefined || jwk.k !== undefined
}

/** The public members of a JWK (by allowlist); `{ kty: 'oct' }` alone for a secret. */
export function publicMembers(jwk: JWK): JWK {
  const keep: Record<string, readonly string[]> = {
    EC: ['kty', 'crv', 'x', 'y'],
    OKP: ['kty', 'crv', 'x'],
    RSA: ['kty', 'n', 'e'],
  }
  const names = keep[jwk.kty ?? ''] ?? ['kty']
  const members = jwk as Record<string, unknown>
  return Object.fromEntries(
    names.filter((name) => members[name] !== undefined).map((name) => [name, members[name]]),
  ) as JWK
}

/**
 * Imports a key the store holds. With `privateJwk` (opened from its sealed form, or a plaintext
 * record) the key can sign; without, it only verifies, from the public JWK of the record.
 */
export async function importStoredKey(
  stored: StoredKey,
  privateJwk: JWK | undefined,
): Promise<RingKey> {
  const label = `stored key "${stored.kid}"`
  if (!isAlgorithm(stored.alg)) throw new TypeError(`${label}: unknown algorithm`)
  const jwk = privateJwk ?? publicMembers(stored.jwk)
  const key = toKeyObject(await importJWK(jwk, stored.alg, { extractable: true }))
  return ringKeyFrom(stored.kid, stored.alg, key, stored.createdAt, 'store', label)
}
