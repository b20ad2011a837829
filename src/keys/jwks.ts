import { exportJWK, type JWK } from 'jose'
import type { RingKey } from './key-material.js'

/** A public JSON Web Key: the members needed to verify, never a private or secret member. */
export interface PublicJwk {
  kty: string
  kid: string
  alg: string
  use: 'sig'
  crv?: string
  x?: string
  y?: string
  n?: string
  e?: string
}

export interface JSONWebKeySet {
  keys: PublicJwk[]
}

// Copy by allowlist rather than delete private members: a member we forgot can never leak.
const PUBLIC_MEMBERS: Record<string, readonly (keyof JWK)[]> = {
  EC: ['crv', 'x', 'y'],
  OKP: ['crv', 'x'],
  RSA: ['n', 'e'],
}

/** The public JWK of one ring key, or undefined for an HMAC secret (never published). */
export async function toPublicJwk(key: RingKey): Promise<PublicJwk | undefined> {
  if (key.verifyKey.type !== 'public') return undefined
  const full = await exportJWK(key.verifyKey)
  const members = PUBLIC_MEMBERS[full.kty ?? '']
  if (members === undefined) return undefined
  const jwk: PublicJwk = { kty: full.kty as string, kid: key.kid, alg: key.alg, use: 'sig' }
  for (const name of members) {
    const value = full[name]
    if (typeof value === 'string') (jwk as unknown as Record<string, string>)[name] = value
  }
  return jwk
}
