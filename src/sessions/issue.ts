import { SessionNotFound, SessionRevoked } from '../errors.js'
import type { ResolvedOptions } from '../options.js'
import type { Revoker } from '../revocation/revoker.js'
import { randomId } from '../tokens/ids.js'
import type { TokenSubject } from '../tokens/mint.js'
import { checkTokenInput, checkTtl, type TokenInput } from '../tokens/token-input.js'
import type { UserLifecycle } from './lifecycle.js'
import type { Sessions } from './sessions.js'

export interface IssueInput extends TokenInput {
  /**
   * The session the token belongs to. Default: a new session id (in allowlist mode, a new
   * session record without a refresh token). A given sid must not be revoked, and in allowlist
   * mode must be an active session of `sub`.
   */
  sid?: string
  /** Lifetime in seconds (a positive integer, at most `maxAccessTokenTtl`). Default `accessTokenTtl`. */
  ttl?: number
}

// Session ids appear inside store keys; this alphabet keeps them unambiguous there.
const SESSION_ID = /^[A-Za-z0-9._~-]{1,128}$/

export function checkSessionId(value: unknown): string {
  if (typeof value !== 'string' || !SESSION_ID.test(value)) {
    throw new TypeError('"sid" must be 1 to 128 characters of A-Z a-z 0-9 . _ ~ -')
  }
  return value
}

export interface IssueDeps {
  readonly options: Pick<ResolvedOptions, 'mode' | 'accessTokenTtl' | 'maxAccessTokenTtl'>
  readonly revoker: Revoker
  readonly sessions: Sessions
  readonly lifecycle: Pick<UserLifecycle, 'admit' | 'mintInstant'>
  /** Signs an access token for a session at an issue instant, living `ttl` seconds. */
  readonly mint: (session: TokenSubject, issuedAt: number, ttl: number) => string
}

/**
 * `Revocable.issue`: one access token outside `startSession`. With a sid, the session must not
 * be revoked (and in allowlist mode must be active); without one, allowlist mode records a
 * session exactly as `startSession` does (`Sessions.recordBare`).
 */
export async function issueAccessToken(deps: IssueDeps, input: IssueInput): Promise<string> {
  const { options, revoker, sessions, lifecycle, mint } = deps
  const checked = checkTokenInput(input, 'issue')
  const ttl = checkTtl(input.ttl, options)
  const sid = input.sid === undefined ? undefined : checkSessionId(input.sid)
  const stamped = revoker.issueInstant(checked.sub)
  // A fresh replica answers without I/O; verify refuses a racing token of a suspended user.
  const state = await lifecycle.admit(checked.sub, stamped, true)
  const issuedAt = lifecycle.mintInstant(stamped, state)
  const session = { ...checked, sid: sid ?? randomId() }

  if (sid !== undefined) {
    const status = await revoker.status({ now: issuedAt, jti: '', sid, sub: checked.sub, kid: '' })
    if (status.sessionRevoked) throw new SessionRevoked()
    if (options.mode === 'allowlist' && !status.sessionActive) throw new SessionNotFound()
  } else if (options.mode === 'allowlist') {
    await sessions.recordBare(session, issuedAt)
  }
  return mint(session, issuedAt, ttl)
}
