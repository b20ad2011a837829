/**
 * The user-lifecycle verbs of issue #15: suspend and reinstate a user, mark a user's claims
 * changed, forget a user, and record a fresh authentication on a session; plus the two hooks the
 * minting verbs (startSession, refresh, issue) call: `admit` (is the user suspended? when did the
 * claims last change?) and `claimsFor` (the session's claims, resolved anew).
 *
 * The rules live in records/user-state.ts and records/reauthentication.ts (pure); this file
 * sequences them with the store, the replica and the events, as sessions.ts does for rotation.
 */
import { RESERVED_CLAIMS } from '../tokens/claims.js'
import { SessionNotFound, StoreUnavailable, UserSuspended } from '../errors.js'
import type { AuditContext, RevocableEvents } from '../events.js'
import type { ResolvedOptions } from '../options.js'
import {
  instantAfterClaimsChange,
  isSuspended,
  type SuspensionRecord,
  type UserStateRecord,
} from '../records/user-state.js'
import { callStore, type Revoker } from '../revocation/revoker.js'
import type { SessionRecord, Store } from '../stores/store.js'
import { createRefreshToken } from './refresh-token.js'
import { toSessionInfo, type TokenSet } from './sessions.js'

/** A user's lifecycle state as `getUserState` shows it. */
export interface UserState {
  sub: string
  /** Whether a suspension is in force now. */
  suspended: boolean
  /** The suspension in force, if any. */
  suspension:
    | {
        since: Date
        /** When it ends by itself; undefined: until `reinstateUser`. */
        until: Date | undefined
        reason: string | undefined
        actor: string | undefined
      }
    | undefined
  /** The last `markClaimsChanged` still in effect (tokens issued at or before it are refused). */
  claimsChangedAt: Date | undefined
}

export interface SuspendUserOptions extends AuditContext {
  /** When the suspension ends by itself (a Date or ms, in the future). Default: until reinstated. */
  until?: Date | number
  /** Resolve only once every live replica applies it (see `RevokeOptions`). */
  awaitReplicas?: boolean
}

/** Options of `reauthenticate`: who and why, for the event. */
export type ReauthenticateOptions = AuditContext

type Emit = <K extends keyof RevocableEvents>(name: K, ...args: RevocableEvents[K]) => void

export interface LifecycleDeps {
  readonly store: Store
  readonly options: ResolvedOptions
  readonly revoker: Revoker
  readonly emit: Emit
  /** Signs an access token for a session (claims already resolved) at an issue instant. */
  readonly mint: (session: SessionRecord, issuedAt: number) => string
  /** The replica's view of a user, when a fresh replica runs; else undefined. */
  readonly replicaState: (sub: string, now: number) => UserStateRecord | undefined
}

// A session that expired is remembered this long (as in sessions.ts).
const EXPIRED_SESSION_RETENTION_MS = 86_400_000

/** Throws ERR_USER_SUSPENDED when a suspension is in force at `now`. */
export function assertNotSuspended(state: UserStateRecord, now: number): void {
  const suspension = state.suspension
  if (!isSuspended(suspension, now)) return
  throw new UserSuspended(suspension?.until === undefined ? undefined : new Date(suspension.until))
}

/** The public shape of a stored user state. */
export function toUserState(sub: string, record: UserStateRecord, now: number): UserState {
  const suspension = record.suspension
  const inForce = isSuspended(suspension, now)
  return {
    sub,
    suspended: inForce,
    suspension:
      suspension === undefined || !inForce
        ? undefined
        : {
            since: new Date(suspension.since),
            until: suspension.until === undefined ? undefined : new Date(suspension.until),
            reason: suspension.reason,
            actor: suspension.actor,
          },
    claimsChangedAt: record.claimsCutoff === undefined ? undefined : new Date(record.claimsCutoff),
  }
}

function checkResolved(value: unknown): Record<string, unknown> | undefined {
  if (value === undefined) return undefined
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TypeError('"resolveClaims" must return a plain object or undefined')
  }
  for (const name of Object.keys(value)) {
    if (RESERVED_CLAIMS.has(name)) {
      throw new TypeError(`"resolveClaims" may not set the registered claim "${name}"`)
    }
  }
  return value as Record<string, unknown>
}

export class UserLifecycle {
  readonly #deps: LifecycleDeps

  constructor(deps: LifecycleDeps) {
    this.#deps = deps
  }

  /**
   * What a minting verb must know about `sub`, read from the store. Throws ERR_USER_SUSPENDED
   * while a suspension is in force. `issue` asks with `lenient`: a fresh replica answers (no
   * I/O), and a store outage counts as no state, as issuing needed no store before; verify
   * still refuses such a token of a suspended user (the user cutoff, `userSuspended`).
   */
  async admit(sub: string, now: number, lenient = false): Promise<UserStateRecord> {
    const fromReplica = lenient ? this.#deps.replicaState(sub, now) : undefined
    let state = fromReplica
    if (state === undefined) {
      try {
        state = await callStore('read the user state', () => this.#deps.store.getUserState(sub))
      } catch (error) {
        if (!lenient || !(error instanceof StoreUnavailable)) throw error
        state = {}
      }
    }
    assertNotSuspended(state, now)
    return state
  }

  /** The instant to mint at: `instant`, or one past the user's last claims change. */
  mintInstant(instant: number, state: UserStateRecord): number {
    return instantAfterClaimsChange(instant, state.claimsCutoff)
  }

  /** The session with the claims its next token carries: its own, and `resolveClaims`' over them. */
  async claimsFor(
    session: SessionRecord,
    reason: 'start' | 'refresh' | 'reauthenticate',
  ): Promise<SessionRecord> {
    const resolve = this.#deps.options.resolveClaims
    if (resolve === undefined) return session
    const { sub, sid, clientId, scope, claims } = session
    const resolved = checkResolved(await resolve({ sub, sid, clientId, scope, claims, reason }))
    return resolved === undefined ? session : { ...session, claims: { ...claims, ...resolved } }
  }

  async state(sub: string): Promise<UserState> {
    const record = await callStore('read the user state', () => this.#deps.store.getUserState(sub))
    return toUserState(sub, record, this.#deps.options.clock())
  }

  /** Records the suspension, then ends every session and token of `sub` (revokeUser). */
  async suspend(sub: string, until: number | undefined, audit: AuditContext): Promise<UserState> {
    const { store, options, revoker, emit } = this.#deps
    const now = options.clock()
    const suspension: SuspensionRecord = {
      since: now,
      ...(until !== undefined && { until }),
      ...(audit.reason !== undefined && { reason: audit.reason }),
      ...(audit.actor !== undefined && { actor: audit.actor }),
    }
    // The record first: a login that reads the state after this point is refused, and one that
    // read it before is covered by the cutoff stamped below (records/cutoff.ts).
    await callStore('suspend a user', () => store.suspendUser(sub, suspension))
    revoker.announce(
      until === undefined ? { kind: 'suspension', sub } : { kind: 'suspension', sub, until },
    )
    const cutoff = revoker.nextUserCutoff(sub)
    const ended = await revoker.revokeUser(sub, cutoff, true)
    const at = options.clock()
    emit('token.revoked', { kind: 'user', sub, cutoff, at, ...audit })
    for (const session of ended) {
      emit('session.ended', { sid: session.sid, sub, cause: 'user-revoked', at, ...audit })
    }
    emit('user.suspended', { sub, until, sessionsEnded: ended.length, at, ...audit })
    return toUserState(sub, { suspension }, at)
  }

  /** Lifts a suspension; true when one was in force. */
  async reinstate(sub: string, audit: AuditContext): Promise<boolean> {
    const { store, options, revoker, emit } = this.#deps
    const removed = await callStore('reinstate a user', () => store.reinstateUser(sub))
    revoker.announce({ kind: 'reinstated', sub })
    const at = options.clock()
    const lifted = isSuspended(removed, at)
    if (lifted) emit('user.reinstated', { sub, at, ...audit })
    return lifted
  }

  /**
   * Refuses every access token of `sub` issued up to now with ERR_CLAIMS_CHANGED; resolves to the
   * cutoff. Tokens minted after it (one millisecond later is enough) are accepted.
   */
  async markClaimsChanged(sub: string, audit: AuditContext): Promise<number> {
    const { store, options, revoker, emit } = this.#deps
    // Covers every instant this process already stamped on a token of `sub`.
    const cutoff = revoker.nextUserCutoff(sub)
    const expiresAt = revoker.sessionRevocationExpiry() + Math.max(0, cutoff - options.clock())
    await callStore('mark claims changed', () => store.setClaimsCutoff(sub, cutoff, expiresAt))
    revoker.announce({ kind: 'claims', sub, cutoff, expiresAt })
    emit('claims.changed', { sub, cutoff, at: options.clock(), ...audit })
    return cutoff
  }

  /** Revokes the user (every token and session), then forgets every record of `sub`. */
  async deleteUser(sub: string, audit: AuditContext): Promise<number> {
    const { store, options, revoker, emit } = this.#deps
    const cutoff = revoker.nextUserCutoff(sub)
    const ended = await revoker.revokeUser(sub, cutoff, true)
    await callStore('forget a user', () => store.forgetUser(sub))
    revoker.announce({ kind: 'reinstated', sub })
    const at = options.clock()
    emit('token.revoked', { kind: 'user', sub, cutoff, at, ...audit })
    for (const session of ended) {
      emit('session.ended', { sid: session.sid, sub, cause: 'user-revoked', at, ...audit })
    }
    emit('user.deleted', { sub, sessionsEnded: ended.length, at, ...audit })
    return ended.length
  }

  /** A fresh authentication on an active session: new `auth_time`, new refresh token. */
  async reauthenticate(sid: string, audit: AuditContext): Promise<TokenSet> {
    const { store, options, revoker, emit } = this.#deps
    const found = await callStore('read a session', () => store.getSession(sid))
    if (found === undefined) throw new SessionNotFound()
    const state = await this.admit(found.sub, options.clock())
    const now = revoker.issueInstant(found.sub)
    const refresh = createRefreshToken(sid)
    const session = await callStore('re-authenticate a session', () =>
      store.reauthenticateSession({
        sid,
        newHash: refresh.hash,
        now,
        idleTtlMs: options.sessionIdleTtl * 1000,
        retentionMs: EXPIRED_SESSION_RETENTION_MS,
        revocationExpiresAt: revoker.sessionRevocationExpiry(),
      }),
    )
    if (session === undefined || session.sub !== found.sub) throw new SessionNotFound()
    const { sub, createdAt, expiresAt, clientId } = session
    revoker.announce({ kind: 'session-active', sid, sub, createdAt, expiresAt })
    emit('session.reauthenticated', { sid, sub, clientId, authTime: now, at: now, ...audit })
    const withClaims = await this.claimsFor(session, 'reauthenticate')
    return {
      accessToken: this.#deps.mint(withClaims, this.mintInstant(Math.max(now, createdAt), state)),
      refreshToken: refresh.token,
      tokenType: 'Bearer',
      expiresIn: options.accessTokenTtl,
      session: toSessionInfo(session, sid),
    }
  }
}
