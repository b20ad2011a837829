export { createRevocable, Revocable } from './revocable.js'
export type { IssueInput, RevokeUserOptions } from './revocable.js'
export { DEFAULTS } from './options.js'
export type { Mode, RevocableOptions, ResolvedOptions } from './options.js'
export { MemoryStore } from './stores/memory.js'
export type { MemoryStoreOptions } from './stores/memory.js'
export type {
  RevocationQuery,
  RevocationStatus,
  SessionRecord,
  Store,
  StoredKey,
} from './stores/store.js'
export type { AccessTokenClaims } from './tokens/claims.js'
export { ALGORITHMS } from './keys/algorithms.js'
export type { Algorithm } from './keys/algorithms.js'
export type { KeyInput } from './keys/import.js'
export type { JSONWebKeySet, PublicJwk } from './keys/jwks.js'
export type { KeyInfo } from './keys/key-ring.js'
export type { Clock } from './clock.js'
export * from './errors.js'
export * as errors from './errors.js'
