/**
 * Read-only questions about a refresh token, answered with the same rules `refresh` applies, so
 * an HTTP layer (RFC 7662 introspection, RFC 7009 revocation) never re-decides them.
 */
import { callStore } from '../revocation/revoker.js'
import type { Store } from '../stores/store.js'
import { hashesEqual } from '../records/hash.js'
import { isSessionActive } from '../records/session.js'
import { parseRefreshToken } from './refresh-token.js'

/** What a refresh token of ours says about its session (no token material). */
export interface RefreshTokenInfo {
  /** The session the token belongs to. */
  readonly sid: string
  readonly sub: string
  readonly clientId: string | undefined
  readonly scope: string | undefined
  /** Whether it is the session's current token (false: one it has rotated away from). */
  readonly current: boolean
  /**
   * Whether a refresh with it would be honoured now by the revocation rules: the current token
   * of a session that is not revoked, not expired and not cut off (started at or before its
   * user's cutoff or the global epoch, the rule `refresh` applies).
   */
  readonly active: boolean
  /** When the token was issued (the session's last rotation). */
  readonly issuedAt: Date
  /** When the session expires if not used again. */
  readonly expiresAt: Date
}

/**
 * The session behind a refresh token we issued, and whether the token is active. A token that is
 * not ours (or only names a real session: a forgery) gives undefined; so does an already spent
 * token unless `spent` is true. A store failure rejects with ERR_STORE_UNAVAILABLE, never an
 * answer that would look like a revocation.
 *
 * @example
 * const info = await inspectRefreshToken(store, token, Date.now())
 * const active = info?.active === true
 */
export async function inspectRefreshToken(
  store: Store,
  token: string,
  now: number,
  { spent = false }: { spent?: boolean } = {},
): Promise<RefreshTokenInfo | undefined> {
  const parsed = parseRefreshToken(token)
  if (parsed === undefined) return undefined
  const session = await callStore('read a session', () => store.getSession(parsed.sid))
  if (session === undefined) return undefined
  const isCurrentToken =
    session.refreshHash !== undefined && hashesEqual(session.refreshHash, parsed.hash)
  const known =
    isCurrentToken || (spent && session.spentHashes.some((h) => hashesEqual(h, parsed.hash)))
  if (!known) return undefined
  let active = false
  if (isCurrentToken) {
    const status = await callStore('check a session', () =>
      store.checkRevocation({ now, jti: '', sid: session.sid, sub: session.sub, kid: '' }),
    )
    active =
      !status.sessionRevoked &&
      status.sessionActive &&
      isSessionActive(session, now, { user: status.userCutoff, epoch: status.epoch })
  }
  return Object.freeze({
    sid: session.sid,
    sub: session.sub,
    clientId: session.clientId,
    scope: session.scope,
    current: isCurrentToken,
    active,
    issuedAt: new Date(session.rotatedAt),
    expiresAt: new Date(session.expiresAt),
  })
}
