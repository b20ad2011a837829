/**
 * Which events become webhook notices, and what each says. Written from the library's events
 * (as the audit log is), so no code path that logs a user in or suspends one can skip its
 * notice; the service adds the one the library cannot see (a password change). A notice carries
 * ids, times and the device the user logged in from, never a token or a password.
 */
import type { Revocable } from '../../revocable.js'
import type { WebhookSender } from './sender.js'

/** Every notice type the service sends. */
export const WEBHOOK_TYPES = [
  'session.started',
  'refresh.reuse_detected',
  'user.password_changed',
  'user.suspended',
  'user.deleted',
] as const

export type WebhookType = (typeof WEBHOOK_TYPES)[number]

/** Sends one notice (does nothing without a sender). Never throws, never waits. */
export function notify(
  sender: WebhookSender | undefined,
  type: WebhookType,
  data: Record<string, unknown>,
): void {
  sender?.send(type, data)
}

const iso = (ms: number) => new Date(ms).toISOString()

/** Turns the library's events into notices. */
export function attachWebhooks(auth: Revocable, sender: WebhookSender): void {
  auth.on('session.started', (event) => {
    notify(sender, 'session.started', {
      sub: event.sub,
      sid: event.sid,
      client_id: event.clientId ?? null,
      ip: event.device?.ip ?? null,
      user_agent: event.device?.userAgent ?? null,
      at: iso(event.at),
    })
  })
  auth.on('user.suspended', (event) => {
    notify(sender, 'user.suspended', {
      sub: event.sub,
      until: event.until === undefined ? null : iso(event.until),
      reason: event.reason ?? null,
      sessions_ended: event.sessionsEnded,
      at: iso(event.at),
    })
  })
  auth.on('user.deleted', (event) => {
    notify(sender, 'user.deleted', {
      sub: event.sub,
      sessions_ended: event.sessionsEnded,
      at: iso(event.at),
    })
  })
  auth.on('refresh.reuse_detected', (event) => {
    notify(sender, 'refresh.reuse_detected', {
      sub: event.sub,
      sid: event.sid,
      client_id: event.clientId ?? null,
      at: iso(event.at),
    })
  })
}
