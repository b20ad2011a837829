import type { RingKey } from '../keys/key-material.js'
import { randomId } from './ids.js'
import { signAccessToken } from './issue.js'

/** What an access token says about its session (a session record fits). */
export interface TokenSubject {
  readonly sub: string
  readonly sid: string
  readonly clientId: string | undefined
  readonly scope: string | undefined
  readonly claims: Readonly<Record<string, unknown>> | undefined
  /** The session's start; absent for a token outside a session record. */
  readonly createdAt?: number
  /** When the user last authenticated (the login, or the last `reauthenticate`), ms. */
  readonly authTime?: number
}

/** The issuer settings every token carries (the resolved options fit). */
export interface MintOptions {
  readonly issuer: string
  readonly audience: readonly string[]
}

/**
 * Signs an access token for a session at an issue instant (ms), living `ttl` seconds: the one
 * place the claims of our tokens are put together.
 */
export function mintAccessToken(
  key: RingKey,
  options: MintOptions,
  session: TokenSubject,
  issuedAt: number,
  ttl: number,
): string {
  const iat = Math.floor(issuedAt / 1000)
  const audience = options.audience
  return signAccessToken(key, {
    iss: options.issuer,
    sub: session.sub,
    aud: audience.length === 1 ? (audience[0] as string) : [...audience],
    exp: iat + ttl,
    iat,
    iat_ms: issuedAt,
    // A session's tokens carry its start, so a cutoff that ends the session revokes them all.
    ...(session.createdAt !== undefined && {
      auth_time_ms: session.createdAt,
      // RFC 9068 §2.2.1: when the user authenticated (the login, or the last reauthenticate).
      auth_time: Math.floor((session.authTime ?? session.createdAt) / 1000),
    }),
    jti: randomId(),
    sid: session.sid,
    ...(session.clientId !== undefined && { client_id: session.clientId }),
    ...(session.scope !== undefined && { scope: session.scope }),
    ...session.claims,
  })
}
