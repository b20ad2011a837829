import { ALGORITHM_IMPLS } from '../keys/algorithms.js'
import type { RingKey } from '../keys/key-material.js'
import { encodeSegment } from './base64url.js'
import type { AccessTokenClaims } from './claims.js'

/** The `typ` header of an access token (RFC 9068 §2.1). */
export const ACCESS_TOKEN_TYP = 'at+jwt'

/** Signs claims into a compact JWS with header `{alg, typ: "at+jwt", kid}`. Pure and sync. */
export function signAccessToken(key: RingKey, claims: AccessTokenClaims): string {
  if (key.signKey === undefined) throw new TypeError(`key "${key.kid}" cannot sign`)
  const header = encodeSegment(
    JSON.stringify({ alg: key.alg, typ: ACCESS_TOKEN_TYP, kid: key.kid }),
  )
  const signingInput = `${header}.${encodeSegment(JSON.stringify(claims))}`
  const signature = ALGORITHM_IMPLS[key.alg].sign(Buffer.from(signingInput), key.signKey)
  return `${signingInput}.${signature.toString('base64url')}`
}
