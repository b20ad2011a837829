/**
 * `revocable/store`: what a store author needs, apart from the main entry. The contract (`Store`
 * and its argument and result types), the records a store persists, and the pure rules every
 * store applies inside its own atomic step (so no store copies another's algorithm). The
 * executable form of the contract is test/stores/contract.ts in the repository.
 *
 * @example
 * import { decideRotation, isSessionActive, type Store } from 'revocable/store'
 */
export type {
  CreateSessionResult,
  DataLossEvent,
  RevocationQuery,
  RevocationStatus,
  SessionLimit,
  Store,
} from './stores/store.js'
export type { Change, ChangeFeed, FeedBatch } from './stores/change-feed.js'
export { FeedGap } from './stores/change-feed.js'
export type { DeviceInfo, SessionRecord } from './records/session.js'
export { isSessionActive, sessionExpiry } from './records/session.js'
export type { SealedKey, StoredKey } from './records/key.js'
export { decideRotation, SPENT_HISTORY } from './records/rotation.js'
export type {
  RotationDecision,
  RotationOutcome,
  RotationRequest,
  RotationResult,
} from './records/rotation.js'
export { instantAfter, isCutOff, NO_CUTOFFS, type Cutoffs } from './records/cutoff.js'
export { decideSessionCap, type SessionCapDecision } from './records/session-cap.js'
export { revocationReason, type RevocationMode } from './records/revocation-reason.js'
export { REFRESH_TOKEN_PREFIX } from './sessions/refresh-token.js'
export {
  claimsChangedSince,
  isSuspended,
  NO_USER_STATE,
  suspensionExpiry,
  type SuspensionRecord,
  type UserStateRecord,
} from './records/user-state.js'
export { decideReauthentication, type ReauthenticationRequest } from './records/reauthentication.js'
