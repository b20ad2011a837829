/**
 * SIGNING_KEYS: the keys an operator brings, as the service and the CLI read them. One value,
 * from the environment or a flag, that is either the keys themselves or where they are:
 * - a JWK set (`{"keys":[…]}`) or one JWK, as JSON;
 * - PEM text (one or more `-----BEGIN … KEY-----` blocks; the algorithm follows from the key);
 * - `secret:<text>`: an HMAC secret (HS256, at least 32 bytes);
 * - otherwise one or more file paths, separated by commas, each holding one of the above (a
 *   file holding anything else is read as an HMAC secret).
 * The first key that can sign signs; the others verify. Error messages never quote key material.
 */
import { createHmac, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto'
import { readFileSync } from 'node:fs'
import type { Algorithm } from '../keys/algorithms.js'
import type { KeyInput } from '../keys/import.js'

/** A SIGNING_KEYS value that cannot be used; the message says why, never what it held. */
export class SigningKeysError extends Error {
  override name = 'SigningKeysError'
}

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]+?-----END \1-----/g

function algorithmOf(key: KeyObject, where: string): Algorithm {
  switch (key.asymmetricKeyType) {
    case 'ec':
      if (key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256'
      throw new SigningKeysError(`${where}: an EC key must be on P-256 (ES256)`)
    case 'ed25519':
      return 'EdDSA'
    case 'rsa':
      return 'RS256'
    default:
      throw new SigningKeysError(`${where}: unsupported key type (ES256, EdDSA, RS256 or HS256)`)
  }
}

function fromPem(text: string, where: string): KeyInput[] {
  const blocks = text.match(PEM_BLOCK) ?? []
  if (blocks.length === 0) throw new SigningKeysError(`${where}: no PEM block found`)
  return blocks.map((pem) => {
    let key: KeyObject
    try {
      key = pem.includes('PRIVATE KEY') ? createPrivateKey(pem) : createPublicKey(pem)
    } catch {
      throw new SigningKeysError(`${where}: a PEM block is not a key node can read`)
    }
    return { pem, alg: algorithmOf(key, where) }
  })
}

function fromJson(text: string, where: string): KeyInput[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(text)
  } catch {
    throw new SigningKeysError(`${where}: not valid JSON`)
  }
  const jwks = (parsed as { keys?: unknown }).keys
  const list = Array.isArray(jwks) ? jwks : [parsed]
  if (list.length === 0) throw new SigningKeysError(`${where}: the JWK set holds no key`)
  return list.map((jwk) => {
    if (jwk === null || typeof jwk !== 'object') {
      throw new SigningKeysError(`${where}: every key must be a JWK object`)
    }
    return { jwk: jwk as Record<string, unknown> } as KeyInput
  })
}

/** An HMAC secret's kid: a MAC of a constant under the secret, so it reveals nothing of it. */
export function secretKid(secret: Buffer): string {
  const mac = createHmac('sha256', secret).update('revocable kid').digest()
  return `hs256-${mac.subarray(0, 12).toString('base64url')}`
}

function fromSecret(secret: Buffer, where: string): KeyInput[] {
  if (secret.length < 32) {
    throw new SigningKeysError(`${where}: an HMAC secret must be at least 32 bytes`)
  }
  return [{ secret, alg: 'HS256', kid: secretKid(secret) }]
}

function fromText(text: string, where: string, isFile: boolean): KeyInput[] | undefined {
  const trimmed = text.trim()
  if (trimmed.startsWith('{')) return fromJson(trimmed, where)
  if (trimmed.includes('-----BEGIN ')) return fromPem(trimmed, where)
  if (trimmed.startsWith('secret:')) {
    return fromSecret(Buffer.from(trimmed.slice('secret:'.length), 'utf8'), where)
  }
  return isFile ? fromSecret(Buffer.from(trimmed, 'utf8'), where) : undefined
}

/**
 * Reads SIGNING_KEYS into the library's `keys` option. Throws a `SigningKeysError`.
 *
 * @example
 * const keys = parseSigningKeys('./keys/signing.pem')
 */
export function parseSigningKeys(value: string): KeyInput[] {
  const inline = fromText(value, 'the value', false)
  if (inline !== undefined) return inline
  const keys: KeyInput[] = []
  for (const path of value.split(',').map((part) => part.trim())) {
    if (path === '') throw new SigningKeysError('an empty file path')
    let text: string
    try {
      text = readFileSync(path, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'unreadable'
      throw new SigningKeysError(
        `cannot read a key file (${code}); give JSON, PEM, secret:… or file paths`,
      )
    }
    keys.push(...(fromText(text, `file ${JSON.stringify(path)}`, true) ?? []))
  }
  return keys
}
