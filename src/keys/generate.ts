import { createPublicKey, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto'
import { calculateJwkThumbprint, exportJWK } from 'jose'
import type { StoredKey } from '../records/key.js'
import type { Algorithm } from './algorithms.js'

/**
 * Makes a fresh key for `alg` and returns it in the form the store keeps (a private JWK).
 * Asymmetric keys are named by their RFC 7638 thumbprint; an HMAC secret gets a random kid,
 * because a thumbprint of a secret would publish a hash of it in every token header.
 */
export async function generateKey(alg: Algorithm, createdAt: number): Promise<StoredKey> {
  if (alg === 'HS256') {
    const jwk = await exportJWK(createSecretKey(randomBytes(32)))
    return { kid: randomBytes(16).toString('base64url'), alg, jwk, createdAt }
  }
  const { privateKey } =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : alg === 'EdDSA'
        ? generateKeyPairSync('ed25519')
        : generateKeyPairSync('rsa', { modulusLength: 2048 })
  const jwk = await exportJWK(privateKey)
  const kid = await calculateJwkThumbprint(await exportJWK(createPublicKey(privateKey)))
  return { kid, alg, jwk, createdAt }
}
