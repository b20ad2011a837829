/**
 * The audit trail: every revocation and every refresh-token reuse is one structured log line
 * (who, what, why, when), written from the library's events so no code path can skip it.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Revocable } from '../revocable.js'

export function attachAudit(auth: Revocable, log: FastifyBaseLogger): void {
  auth.on('token.revoked', (event) => {
    log.info(
      {
        audit: 'revocation',
        kind: event.kind,
        sub: event.sub,
        sid: event.sid,
        jti: event.jti,
        cutoff: event.cutoff,
        actor: event.actor,
        reason: event.reason,
        at: new Date(event.at).toISOString(),
      },
      `revoked ${event.kind}`,
    )
  })
  auth.on('key.rotated', (event) => {
    log.info(
      {
        audit: 'key',
        action: 'published',
        kid: event.kid,
        activatesAt: new Date(event.activatesAt).toISOString(),
        actor: event.actor,
        at: new Date(event.at).toISOString(),
      },
      'signing key published',
    )
  })
  auth.on('key.retired', (event) => {
    log.info(
      {
        audit: 'key',
        action: 'retired',
        kid: event.kid,
        actor: event.actor,
        reason: event.reason,
        at: new Date(event.at).toISOString(),
      },
      'signing key retired',
    )
  })
  auth.on('refresh.reuse_detected', (event) => {
    log.warn(
      {
        audit: 'refresh_reuse',
        sub: event.sub,
        sid: event.sid,
        clientId: event.clientId,
        at: new Date(event.at).toISOString(),
      },
      'refresh token reuse detected; session revoked',
    )
  })
}
