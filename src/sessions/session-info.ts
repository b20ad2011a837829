import { callStore } from '../stores/call-store.js'
import { hashesEqual } from '../records/hash.js'
import type { DeviceInfo, SessionRecord } from '../records/session.js'
import type { Store } from '../stores/store.js'
import type { TokenInput } from '../tokens/token-input.js'
import { parseRefreshToken } from './refresh-token.js'

// What the session verbs take and show (sessions.ts sequences them), and how a refresh token
// finds its session.

export interface StartSessionInput extends TokenInput {
  /** Where the login came from; shown in session lists. */
  device?: DeviceInfo
}

/** A session as `listSessions` and the token verbs show it (no token material). */
export interface SessionInfo {
  id: string
  sub: string
  clientId: string | undefined
  scope: string | undefined
  device: DeviceInfo | undefined
  createdAt: Date
  lastUsedAt: Date
  /** When the session expires if not used again (the earlier of idle and absolute expiry). */
  expiresAt: Date
  /** True for the session the caller asked about (`listSessions(sub, { currentSid })`). */
  current: boolean
}

/** What `startSession` and `refresh` return (RFC 6749 §5.1 in camelCase). */
export interface TokenSet {
  accessToken: string
  refreshToken: string
  tokenType: 'Bearer'
  /** Seconds until the access token expires. */
  expiresIn: number
  session: SessionInfo
}

export function checkDevice(device: unknown): DeviceInfo | undefined {
  if (device === undefined) return undefined
  if (device === null || typeof device !== 'object')
    throw new TypeError('"device" must be an object')
  const { userAgent, ip, label } = device as Record<string, unknown>
  for (const [name, value] of Object.entries({ userAgent, ip, label })) {
    if (value !== undefined && typeof value !== 'string') {
      throw new TypeError(`"device.${name}" must be a string`)
    }
  }
  return {
    ...(userAgent !== undefined && { userAgent: userAgent as string }),
    ...(ip !== undefined && { ip: ip as string }),
    ...(label !== undefined && { label: label as string }),
  }
}

export function toSessionInfo(session: SessionRecord, currentSid?: string): SessionInfo {
  return {
    id: session.sid,
    sub: session.sub,
    clientId: session.clientId,
    scope: session.scope,
    device: session.device,
    createdAt: new Date(session.createdAt),
    lastUsedAt: new Date(session.lastUsedAt),
    expiresAt: new Date(session.expiresAt),
    current: session.sid === currentSid,
  }
}

/**
 * The session a refresh token of ours belongs to: its current token, or with `spent` also one
 * it has rotated away from. A token that merely names a real session (a forgery) finds nothing.
 */
export async function findSessionOfRefreshToken(
  store: Store,
  token: unknown,
  { spent }: { spent: boolean },
): Promise<SessionRecord | undefined> {
  const parsed = parseRefreshToken(token)
  if (parsed === undefined) return undefined
  const session = await callStore('read a session', () => store.getSession(parsed.sid))
  if (session === undefined) return undefined
  const current = session.refreshHash !== undefined && hashesEqual(session.refreshHash, parsed.hash)
  const known = current || (spent && session.spentHashes.some((h) => hashesEqual(h, parsed.hash)))
  return known ? session : undefined
}
