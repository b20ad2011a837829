import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { KeyDecryptionFailed } from '../errors.js'
import type { SealedKey } from '../records/key.js'

/**
 * Envelope encryption of the private keys and HMAC secrets the library keeps in a store: each key
 * is encrypted under its own random data key (AES-256-GCM), and the data key under the
 * key-encryption key (KEK, AES-256-GCM too). The kid and alg are the additional data of both, so
 * a sealed key moved to another record does not open. A dump of the store holds only ciphertext.
 * The record shape (`SealedKey`) lives in records/key.ts, beside the `StoredKey` that holds it.
 */

/** A key-encryption key: 32 bytes, and the id stored next to what it seals. */
export interface KeyEncryptionKey {
  readonly id: string
  readonly bytes: Buffer
}

const KEK_BYTES = 32

/**
 * Reads a KEK given as 32 raw bytes, or as base64 / base64url / hex text of 32 bytes. Throws a
 * TypeError naming `label` (never echoing the value) otherwise.
 *
 * @example
 * const kek = parseKeyEncryptionKey(process.env.KEY_ENCRYPTION_KEY, 'KEY_ENCRYPTION_KEY')
 */
export function parseKeyEncryptionKey(value: string | Uint8Array, label: string): KeyEncryptionKey {
  let bytes: Buffer | undefined
  if (value instanceof Uint8Array) bytes = Buffer.from(value)
  else if (typeof value === 'string') {
    const text = value.trim()
    if (/^[0-9a-fA-F]{64}$/.test(text)) bytes = Buffer.from(text, 'hex')
    else if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) bytes = Buffer.from(text, 'base64url')
  }
  if (bytes === undefined || bytes.length !== KEK_BYTES) {
    throw new TypeError(
      `${label} must be ${KEK_BYTES} bytes, as base64, base64url or hex text (openssl rand -base64 32)`,
    )
  }
  const id = createHmac('sha256', bytes).update('revocable key-encryption key id').digest()
  return { id: id.subarray(0, 8).toString('base64url'), bytes }
}

function encrypt(key: Buffer, plaintext: Buffer, aad: Buffer): string {
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return [iv, body, cipher.getAuthTag()].map((part) => part.toString('base64url')).join('.')
}

function decrypt(key: Buffer, sealed: string, aad: Buffer): Buffer {
  const [iv, body, tag] = sealed.split('.').map((part) => Buffer.from(part, 'base64url'))
  if (iv?.length !== 12 || body === undefined || tag?.length !== 16) throw new Error('malformed')
  const decipher = createDecipheriv('aes-256-gcm', key, iv).setAAD(aad).setAuthTag(tag)
  return Buffer.concat([decipher.update(body), decipher.final()])
}

const aadOf = (kid: string, alg: string) => Buffer.from(JSON.stringify(['revocable/v1', kid, alg]))

/** Seals a private JWK under `kek`, bound to its kid and alg. */
export function sealKey(
  kek: KeyEncryptionKey,
  kid: string,
  alg: string,
  privateJwk: object,
): SealedKey {
  const aad = aadOf(kid, alg)
  const dataKey = randomBytes(32)
  try {
    return {
      v: 1,
      kek: kek.id,
      dek: encrypt(kek.bytes, dataKey, aad),
      data: encrypt(dataKey, Buffer.from(JSON.stringify(privateJwk)), aad),
    }
  } finally {
    dataKey.fill(0)
  }
}

/**
 * Opens a sealed key. Throws `KeyDecryptionFailed` when there is no KEK, when the key was sealed
 * under another KEK, or when the ciphertext was altered: never a silent new key.
 */
export function openSealedKey(
  kek: KeyEncryptionKey | undefined,
  kid: string,
  alg: string,
  sealed: SealedKey,
): Record<string, unknown> {
  if (kek === undefined) {
    throw new KeyDecryptionFailed(
      `stored key "${kid}" is encrypted and no key-encryption key is configured (KEY_ENCRYPTION_KEY)`,
    )
  }
  if (sealed.v !== 1 || sealed.kek !== kek.id) {
    throw new KeyDecryptionFailed(
      `stored key "${kid}" was encrypted under another key-encryption key (id ${String(sealed.kek)}, ` +
        `configured ${kek.id}): check KEY_ENCRYPTION_KEY`,
    )
  }
  const aad = aadOf(kid, alg)
  let dataKey: Buffer | undefined
  try {
    dataKey = decrypt(kek.bytes, sealed.dek, aad)
    return JSON.parse(decrypt(dataKey, sealed.data, aad).toString('utf8')) as Record<
      string,
      unknown
    >
  } catch (error) {
    throw new KeyDecryptionFailed(
      `stored key "${kid}" does not decrypt under the configured key-encryption key: check KEY_ENCRYPTION_KEY`,
      { cause: error },
    )
  } finally {
    dataKey?.fill(0)
  }
}
