// Just over 300 lines: the session verbs (start, refresh, list, end) share one record builder and
// one create step, and the lifecycle hooks sit inside them; the types are in session-info.ts.
import {
  ClientMismatch,
  RefreshTokenInvalid,
  RefreshTokenReused,
  SessionExpired,
  SessionLimitReached,
  SessionRevoked,
} from '../errors.js'
import type { AuditContext, RevocableEvents } from '../events.js'
import type { ResolvedOptions } from '../options.js'
import type { Revoker } from '../revocation/revoker.js'
import { callStore } from '../stores/call-store.js'
import { instantAfterNearby } from '../records/cutoff.js'
import type { RotationRequest } from '../records/rotation.js'
import { sessionExpiry, type SessionRecord } from '../records/session.js'
import type { Store } from '../stores/store.js'
import { randomId } from '../tokens/ids.js'
import { checkTokenInput } from '../tokens/token-input.js'
import { createRefreshToken, openHeir, parseRefreshToken, sealHeir } from './refresh-token.js'
import type { UserLifecycle } from './lifecycle.js'
import {
  checkDevice,
  findSessionOfRefreshToken,
  toSessionInfo,
  type SessionInfo,
  type StartSessionInput,
  type TokenSet,
} from './session-info.js'

export { findSessionOfRefreshToken, toSessionInfo }
export type { SessionInfo, StartSessionInput, TokenSet }

export interface RefreshOptions {
  /** The client presenting the token; must equal the session's `clientId`. */
  clientId?: string
}

type Emit = <K extends keyof RevocableEvents>(name: K, ...args: RevocableEvents[K]) => void

export interface SessionsDeps {
  readonly store: Store
  readonly options: ResolvedOptions
  readonly revoker: Revoker
  /** Signs an access token for a session at an issue instant. */
  readonly mint: (session: SessionRecord, issuedAt: number) => string
  readonly emit: Emit
  /** How far this instance's clock may be from the other instances' (ms; 0: one clock). */
  readonly clockUncertainty: () => number
  /** Suspension and claims hooks (lifecycle.ts). */
  readonly lifecycle: Pick<UserLifecycle, 'admit' | 'claimsFor' | 'mintInstant'>
}

// A session that expired is remembered this long, so a late refresh hears ERR_SESSION_EXPIRED.
const EXPIRED_SESSION_RETENTION_MS = 86_400_000

/**
 * Sessions and their refresh-token families: start, rotate with reuse detection, list, end.
 * The rules live in records/ (rotation, session, session cap: pure); this file sequences them
 * with the store and the events.
 */
export class Sessions {
  readonly #deps: SessionsDeps

  constructor(deps: SessionsDeps) {
    this.#deps = deps
  }

  async #tokenSet(
    session: SessionRecord,
    refreshToken: string,
    issuedAt: number,
    reason: 'start' | 'refresh',
  ): Promise<TokenSet> {
    const withClaims = await this.#deps.lifecycle.claimsFor(session, reason)
    return {
      accessToken: this.#deps.mint(withClaims, issuedAt),
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.#deps.options.accessTokenTtl,
      session: toSessionInfo(session, session.sid),
    }
  }

  async start(input: StartSessionInput): Promise<TokenSet> {
    const { sub, clientId, scope, claims } = checkTokenInput(input, 'startSession')
    const device = checkDevice(input.device)
    const { store, options, revoker } = this.#deps
    // The login begins here, before any I/O: a revokeUser that resolves after this instant
    // covers the session, whatever order the store steps run in (records/cutoff.ts).
    let now = revoker.issueInstant(sub)
    const state = await this.#deps.lifecycle.admit(sub, now)
    const uncertainty = this.#deps.clockUncertainty()
    if (uncertainty > 0 && store.readCutoffs !== undefined) {
      const cutoffs = await callStore('start a session', () => store.readCutoffs!(sub))
      now = instantAfterNearby(now, cutoffs, uncertainty)
    }
    const sid = randomId()
    const refresh = createRefreshToken(sid)
    const session = this.#newRecord(
      { sid, sub, clientId, scope, claims, device, refreshHash: refresh.hash },
      now,
      options.sessionIdleTtl * 1000,
      EXPIRED_SESSION_RETENTION_MS,
    )
    await this.#create(session)
    return this.#tokenSet(
      session,
      refresh.token,
      this.#deps.lifecycle.mintInstant(now, state),
      'start',
    )
  }

  /**
   * Allowlist mode: a token issued outside `startSession` (`issue()` without a sid) still needs
   * an active session. It is recorded here exactly as `start` records one (the same cap, the same
   * errors, the same events), without a refresh token: nothing refreshes it, so it lives as long
   * as the access tokens it allows.
   */
  async recordBare(
    session: Pick<SessionRecord, 'sid' | 'sub' | 'clientId' | 'scope' | 'claims'>,
    now: number,
  ): Promise<void> {
    const { options } = this.#deps
    const record = this.#newRecord(
      { ...session, device: undefined, refreshHash: undefined },
      now,
      options.maxAccessTokenTtl * 1000,
      0,
    )
    await this.#create(record)
  }

  /** The one place a session record is made. */
  #newRecord(
    fields: Pick<
      SessionRecord,
      'sid' | 'sub' | 'clientId' | 'scope' | 'claims' | 'device' | 'refreshHash'
    >,
    now: number,
    idleTtlMs: number,
    retentionMs: number,
  ): SessionRecord {
    const absoluteExpiresAt = now + this.#deps.options.sessionMaxAge * 1000
    return {
      ...fields,
      createdAt: now,
      lastUsedAt: now,
      absoluteExpiresAt,
      ...sessionExpiry(now, absoluteExpiresAt, idleTtlMs, retentionMs),
      rotatedAt: now,
      spentHashes: [],
    }
  }

  /** Stores a new session under the cutoff rule and the per-user cap, and tells everyone. */
  async #create(session: SessionRecord): Promise<void> {
    const { store, options, revoker, emit } = this.#deps
    const { sid, sub, clientId, device, createdAt: now } = session
    const result = await callStore('start a session', () =>
      store.createSession(session, {
        max: options.maxSessionsPerUser,
        onLimit: options.sessionLimitAction,
        now,
        revocationExpiresAt: revoker.sessionRevocationExpiry(),
      }),
    )
    if (result.revoked === true) throw new SessionRevoked('a revocation landed during the login')
    if (!result.created) throw new SessionLimitReached()
    revoker.announceSessionsEnded(result.evicted)
    revoker.announce({
      kind: 'session-active',
      sid,
      sub,
      createdAt: now,
      expiresAt: session.expiresAt,
    })
    for (const old of result.evicted) {
      emit('session.ended', { sid: old.sid, sub: old.sub, cause: 'evicted', at: now })
    }
    emit('session.started', { sid, sub, clientId, device, ip: device?.ip, at: now })
  }

  /**
   * Rotates a refresh token. A store failure surfaces as ERR_STORE_UNAVAILABLE and never counts
   * as reuse: the decision is the store's atomic step, and a failed step decided nothing.
   */
  async refresh(refreshToken: string, refreshOptions: RefreshOptions = {}): Promise<TokenSet> {
    if (refreshOptions === null || typeof refreshOptions !== 'object') {
      throw new TypeError('refresh() options must be an object')
    }
    const { clientId } = refreshOptions
    if (clientId !== undefined && (typeof clientId !== 'string' || clientId === '')) {
      throw new TypeError('"clientId" must be a non-empty string')
    }
    const parsed = parseRefreshToken(refreshToken)
    if (parsed === undefined) throw new RefreshTokenInvalid()
    const { store, options, revoker, emit } = this.#deps
    const now = options.clock()
    const next = createRefreshToken(parsed.sid)
    const request: RotationRequest = {
      sid: parsed.sid,
      presentedHash: parsed.hash,
      newHash: next.hash,
      clientId,
      now,
      reuseGraceMs: options.reuseGrace * 1000,
      idleTtlMs: options.sessionIdleTtl * 1000,
      retentionMs: EXPIRED_SESSION_RETENTION_MS,
      revocationExpiresAt: revoker.sessionRevocationExpiry(),
      sealedHeir: sealHeir(refreshToken, next.token),
      retryWindowMs: options.refreshRetryWindow * 1000,
    }
    const result = await callStore('rotate a refresh token', () =>
      store.rotateRefreshToken(request),
    )
    const session = result.session
    switch (result.outcome) {
      case 'rotated':
      case 'retried':
      case 'grace': {
        const rotated = session as SessionRecord
        // A retry answers with the heir the lost answer carried, opened with the old token.
        const heir =
          result.outcome === 'retried'
            ? openHeir(refreshToken, rotated.sealedHeir ?? '')
            : next.token
        if (heir === undefined) throw new RefreshTokenInvalid()
        // A suspension ends the user's sessions; this catches one that a revocation missed.
        const state = await this.#deps.lifecycle.admit(rotated.sub, now)
        revoker.announce({
          kind: 'session-active',
          sid: rotated.sid,
          sub: rotated.sub,
          createdAt: rotated.createdAt,
          expiresAt: rotated.expiresAt,
        })
        emit('session.refreshed', {
          sid: rotated.sid,
          sub: rotated.sub,
          clientId,
          grace: result.outcome === 'grace',
          retried: result.outcome === 'retried',
          at: now,
        })
        // A live session was created after every cutoff, so minting no earlier than its start
        // keeps the new token after them too, on any instance's clock.
        // After the user's last claims change too: the new token carries the new claims.
        const issuedAt = this.#deps.lifecycle.mintInstant(Math.max(now, rotated.createdAt), state)
        return this.#tokenSet(rotated, heir, issuedAt, 'refresh')
      }
      case 'reused': {
        const { sid, sub } = session as SessionRecord
        revoker.announceSessionsEnded([{ sid }])
        emit('refresh.reuse_detected', { sid, sub, clientId, at: now })
        emit('session.ended', { sid, sub, cause: 'reuse-detected', at: now })
        emit('token.revoked', { kind: 'session', sid, sub, at: now, reason: 'refresh token reuse' })
        throw new RefreshTokenReused()
      }
      case 'expired':
        throw new SessionExpired()
      case 'revoked':
        throw new SessionRevoked()
      case 'client-mismatch':
        throw new ClientMismatch()
      case 'unknown':
        throw new RefreshTokenInvalid()
    }
  }

  async list(sub: string, currentSid?: string): Promise<SessionInfo[]> {
    const now = this.#deps.options.clock()
    const sessions = await callStore('list sessions', () => this.#deps.store.listSessions(sub, now))
    return sessions.map((session) => toSessionInfo(session, currentSid))
  }

  /**
   * Ends the session a refresh token (current or spent) belongs to (`Revocable.revokeRefreshToken`):
   * resolves to whether this call ended it. An unknown or forged token changes nothing.
   */
  async revokeByRefreshToken(refreshToken: string, audit: AuditContext): Promise<boolean> {
    const { store, options, revoker, emit } = this.#deps
    const session = await findSessionOfRefreshToken(store, refreshToken, { spent: true })
    if (session === undefined) return false
    const ended = await revoker.revokeSession(session.sid)
    const at = options.clock()
    const { sid, sub } = session
    emit('token.revoked', { kind: 'session', sid, sub, at, ...audit })
    if (ended === undefined) return false
    emit('session.ended', { sid, sub, cause: 'revoked', at, ...audit })
    return true
  }

  /** Ends every session of `sub` except `keepSid`; resolves to how many were ended. */
  async endOthers(sub: string, keepSid: string, audit: AuditContext): Promise<number> {
    const { store, options, revoker, emit } = this.#deps
    const now = options.clock()
    const sessions = await callStore('list sessions', () => store.listSessions(sub, now))
    let ended = 0
    for (const session of sessions) {
      if (session.sid === keepSid) continue
      if ((await revoker.revokeSession(session.sid)) === undefined) continue
      ended += 1
      emit('token.revoked', { kind: 'session', sid: session.sid, sub, at: now, ...audit })
      emit('session.ended', {
        sid: session.sid,
        sub,
        cause: 'other-sessions-ended',
        at: now,
        ...audit,
      })
    }
    return ended
  }
}
