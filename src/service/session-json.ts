import type { SessionInfo } from '../sessions/sessions.js'

/** A session as the HTTP API shows it: snake_case, ISO 8601 times, null for unknown fields. */
export function sessionJson(session: SessionInfo) {
  return {
    id: session.id,
    current: session.current,
    created_at: session.createdAt.toISOString(),
    last_used_at: session.lastUsedAt.toISOString(),
    expires_at: session.expiresAt.toISOString(),
    client_id: session.clientId ?? null,
    user_agent: session.device?.userAgent ?? null,
    ip: session.device?.ip ?? null,
  }
}
