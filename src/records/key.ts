import type { JWK } from 'jose'

/**
 * A private key sealed under the key-encryption key (keys/envelope.ts does the sealing): each key
 * under its own random data key (AES-256-GCM), the data key under the KEK.
 */
export interface SealedKey {
  readonly v: 1
  /** Names the KEK (an HMAC of a constant under it, not a hash of it): tells a wrong KEK apart. */
  readonly kek: string
  /** The data key, encrypted under the KEK: iv.ciphertext.tag, base64url. */
  readonly dek: string
  /** The private JWK as JSON, encrypted under the data key: iv.ciphertext.tag, base64url. */
  readonly data: string
}

/** A signing key as the store keeps it, so every instance and restart shares it. */
export interface StoredKey {
  readonly kid: string
  readonly alg: string
  /**
   * The public JWK (`{ kty: 'oct' }` alone for an HMAC key). Only a key stored in plaintext
   * (`allowPlaintextKeys`, or a record from before encryption) has private members here.
   */
  readonly jwk: JWK
  readonly createdAt: number
  /** The private JWK, sealed under the key-encryption key (keys/envelope.ts). */
  readonly sealed?: SealedKey
  /** From when instances may sign with it (ms): it is published before. Default `createdAt`. */
  readonly activatesAt?: number
  /**
   * `config`: a key an instance was configured with, published (public part only, never a
   * secret) so that every instance verifies it and a mixed fleet shows. Never signs elsewhere.
   */
  readonly origin?: 'config'
}
