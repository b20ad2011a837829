// Records for tests of the rules and stores: one definition each, so a field added to a record
// is added here once. Tests spread their own values over them.
import type { RevocationStatus } from '../../src/records/revocation-reason.js'
import type { SessionRecord } from '../../src/records/session.js'

/** A revocation status with nothing against the token: every flag clear, the session active. */
export const NOT_REVOKED: Readonly<RevocationStatus> = Object.freeze({
  jtiRevoked: false,
  sessionRevoked: false,
  userCutoff: undefined,
  epoch: undefined,
  kidRetired: false,
  sessionActive: true,
  userSuspended: false,
  claimsCutoff: undefined,
})

/** A session of alice (sid s1) with no optional part, its times given by `fields`. */
export function sessionRecord(
  fields: Pick<
    SessionRecord,
    'createdAt' | 'lastUsedAt' | 'expiresAt' | 'absoluteExpiresAt' | 'purgeAt' | 'rotatedAt'
  > &
    Partial<SessionRecord>,
): SessionRecord {
  return {
    sid: 's1',
    sub: 'alice',
    clientId: undefined,
    scope: undefined,
    claims: undefined,
    device: undefined,
    refreshHash: undefined,
    spentHashes: [],
    ...fields,
  }
}
