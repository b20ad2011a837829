import type { DataLossEvent } from './records/data-loss.js'
import type { DeviceInfo } from './records/session.js'

/**
 * Who did what, when and why. `actor` and `reason` come from the caller (an admin's id, "password
 * changed"); the library fills in the rest. Enough to write an audit log without patching.
 */
export interface AuditContext {
  /** Who asked for the change (a user id, an admin, a job). */
  actor?: string
  /** Why, in the caller's words. */
  reason?: string
}

interface EventBase {
  /** When it happened (ms since the epoch). */
  at: number
  actor?: string
  reason?: string
}

export interface SessionStartedEvent extends EventBase {
  sid: string
  sub: string
  clientId: string | undefined
  device: DeviceInfo | undefined
  /** The client's address as the application gave it (`device.ip`): for new-login notices. */
  ip: string | undefined
}

export interface UserSuspendedEvent extends EventBase {
  sub: string
  /** When the suspension ends by itself (ms); undefined: until `reinstateUser`. */
  until: number | undefined
  /** Sessions the suspension ended. */
  sessionsEnded: number
}

export interface UserReinstatedEvent extends EventBase {
  sub: string
}

export interface ClaimsChangedEvent extends EventBase {
  sub: string
  /** Access tokens of `sub` issued at or before this instant (ms) are refused until refreshed. */
  cutoff: number
}

export interface SessionReauthenticatedEvent extends EventBase {
  sid: string
  sub: string
  clientId: string | undefined
  /** The new authentication instant (ms): `auth_time` of the session's tokens from now on. */
  authTime: number
}

export interface UserDeletedEvent extends EventBase {
  sub: string
  /** Sessions the deletion ended. */
  sessionsEnded: number
}

export type SessionEndCause =
  'revoked' | 'user-revoked' | 'evicted' | 'reuse-detected' | 'other-sessions-ended'

export interface SessionEndedEvent extends EventBase {
  sid: string
  sub: string
  cause: SessionEndCause
}

export interface SessionRefreshedEvent extends EventBase {
  sid: string
  sub: string
  clientId: string | undefined
  /** True when the previous token was accepted within `reuseGrace`. */
  grace: boolean
  /** True when a lost answer was repeated (`refreshRetryWindow`): the same new token again. */
  retried: boolean
}

export interface ReuseDetectedEvent extends EventBase {
  sid: string
  sub: string
  clientId: string | undefined
}

export interface TokenRevokedEvent extends EventBase {
  kind: 'token' | 'session' | 'user' | 'global'
  jti?: string
  sid?: string
  sub?: string
  /** For `user` and `global`: tokens issued at or before this instant (ms) are revoked. */
  cutoff?: number
}

export interface KeyRotatedEvent extends EventBase {
  kid: string
  /** From when the new key signs (ms); until then it is only published. */
  activatesAt: number
}

export interface KeyRetiredEvent extends EventBase {
  kid: string
}

/** Every event `Revocable` emits, by name. */
export interface RevocableEvents {
  'session.started': [SessionStartedEvent]
  'session.ended': [SessionEndedEvent]
  'session.refreshed': [SessionRefreshedEvent]
  'refresh.reuse_detected': [ReuseDetectedEvent]
  'token.revoked': [TokenRevokedEvent]
  /** The store found its data emptied or rolled back, and took its `onDataLoss` action. */
  'store.data_loss': [DataLossEvent]
  'key.rotated': [KeyRotatedEvent]
  'key.retired': [KeyRetiredEvent]
  'user.suspended': [UserSuspendedEvent]
  'user.reinstated': [UserReinstatedEvent]
  'claims.changed': [ClaimsChangedEvent]
  'session.reauthenticated': [SessionReauthenticatedEvent]
  'user.deleted': [UserDeletedEvent]
}
