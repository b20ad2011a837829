export { createRevocable } from './create-revocable.js'
export { Revocable } from './revocable.js'
export type {
  IssueInput,
  ListSessionsOptions,
  RevokeOptions,
  RevokeUserOptions,
  RevocableStats,
} from './revocable.js'
export { DEFAULTS } from './options.js'
export type { Mode, RevocableOptions, ResolvedOptions } from './options.js'
export type { ScheduleStep } from './keys/key-schedule.js'
export type {
  AuditContext,
  KeyRetiredEvent,
  KeyRotatedEvent,
  ReuseDetectedEvent,
  RevocableEvents,
  SessionEndCause,
  SessionEndedEvent,
  SessionRefreshedEvent,
  SessionStartedEvent,
  TokenRevokedEvent,
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
