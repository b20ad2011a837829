export { createRevocable } from './create-revocable.js'
export { Revocable } from './revocable.js'
export type {
  IssueInput,
  ListSessionsOptions,
  RevokeOptions,
  RevokeUserOptions,
  RevocableStats,
  VerifyOptions,
} from './revocable.js'
export type { ReauthenticateOptions, SuspendUserOptions, UserState } from './sessions/lifecycle.js'
export { DEFAULTS } from './options.js'
export type {
  ClaimsContext,
  Mode,
  ResolveClaims,
  RevocableOptions,
  ResolvedOptions,
} from './options.js'
export type { ScheduleStep } from './keys/key-schedule.js'
export type {
  AuditContext,
  ClaimsChangedEvent,
  KeyRetiredEvent,
  KeyRotatedEvent,
  ReuseDetectedEvent,
  RevocableEvents,
  SessionEndCause,
  SessionEndedEvent,
  SessionReauthenticatedEvent,
  SessionRefreshedEvent,
  SessionStartedEvent,
  TokenRevokedEvent,
  UserDeletedEvent,
  UserReinstatedEvent,
  UserSuspendedEvent,
} from './events.js'
export type {
  RefreshOptions,
  SessionInfo,
  StartSessionInput,
  TokenSet,
} from './sessions/sessions.js'
export type { RefreshTokenInfo } from './sessions/inspect-refresh-token.js'
export { MemoryStore } from './stores/memory.js'
export type { MemoryStoreOptions } from './stores/memory.js'
export type { DeviceInfo } from './records/session.js'
export type { AccessTokenClaims } from './tokens/claims.js'
export type { TokenInput } from './tokens/token-input.js'
export { ALGORITHMS } from './keys/algorithms.js'
export type { Algorithm } from './keys/algorithms.js'
export type { KeyInput } from './keys/import.js'
export type { JSONWebKeySet, PublicJwk } from './keys/jwks.js'
export type { KeyInfo } from './keys/key-ring.js'
export type { Clock } from './clock.js'
export * from './errors.js'
export * as errors from './errors.js'
