/**
 * A user's lifecycle as the service and the CLI both see it: what an admin is shown of a user,
 * forgetting one (library and directory, in that order), which claims an admin may set, and
 * when a suspension may end. The HTTP routes and `revocable users` call these, so both decide
 * alike.
 */
import type { Revocable } from '../../revocable.js'
import { RESERVED_CLAIMS } from '../../tokens/claims.js'
import type { AuditContext } from '../../events.js'
import type { UserClaims, UserDirectory, UserRecord } from './directory.js'

export interface LifecycleDeps {
  readonly auth: Revocable
  readonly users: UserDirectory
}

/** What an admin sees of a user (GET /admin/users/:sub, `revocable users show --json`). */
export interface UserView {
  sub: string
  username: string
  created_at: string
  suspension: { since: string; until: string | null; reason: string | null } | null
  claims: UserClaims
  /** Active sessions. */
  sessions: number
}

export async function describeUser(deps: LifecycleDeps, user: UserRecord): Promise<UserView> {
  const [state, claims, sessions] = await Promise.all([
    deps.auth.getUserState(user.sub),
    deps.users.getClaims(user.sub),
    deps.auth.listSessions(user.sub),
  ])
  const suspension = state.suspended ? state.suspension : undefined
  return {
    sub: user.sub,
    username: user.username,
    created_at: new Date(user.createdAt).toISOString(),
    suspension:
      suspension === undefined
        ? null
        : {
            since: suspension.since.toISOString(),
            until: suspension.until?.toISOString() ?? null,
            reason: suspension.reason ?? null,
          },
    claims: claims ?? {},
    sessions: sessions.length,
  }
}

/**
 * Forgets a user: the library first (every session and token rejected from now on), then the
 * directory (the username is free again). In that order a failure half-way leaves an account
 * that cannot be used rather than tokens that still work; running it again finishes it.
 */
export async function forgetUser(
  deps: LifecycleDeps,
  user: UserRecord,
  audit: AuditContext,
): Promise<void> {
  await deps.auth.deleteUser(user.sub, audit)
  await deps.users.delete(user.username, user.sub)
}

/** Largest claims object, serialised: it rides in every access token of the user. */
export const MAX_CLAIMS_BYTES = 4096
/** Most claim names in one object. */
export const MAX_CLAIMS = 64

/**
 * Claim names an admin may not set: the ones the library stamps itself, and the ones other
 * specifications give a meaning the service does not vouch for (RFC 9068, 8693, 8705, OIDC).
 */
const SERVICE_RESERVED = new Set([
  ...RESERVED_CLAIMS,
  'auth_time',
  'acr',
  'amr',
  'azp',
  'nonce',
  'cnf',
  'act',
  'may_act',
  'typ',
  'events',
])
const CLAIM_NAME = /^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$/

/**
 * Why `claims` cannot be set, naming the rule (never echoing a name or value); undefined when
 * it can.
 *
 * @example
 * claimsProblem({ roles: ['editor'] }) // undefined
 * claimsProblem({ sub: 'someone-else' }) // 'a registered claim name may not be set'
 */
export function claimsProblem(claims: unknown): string | undefined {
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
    return 'the claims must be a JSON object'
  }
  const names = Object.keys(claims)
  if (names.length > MAX_CLAIMS) return `the claims may have at most ${MAX_CLAIMS} names`
  for (const name of names) {
    if (!CLAIM_NAME.test(name)) {
      return 'claim names are 1 to 64 characters of A-Z a-z 0-9 _ . : - and start with a letter or _'
    }
    if (SERVICE_RESERVED.has(name)) return 'a registered claim name may not be set'
  }
  if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) {
    return `the claims must be at most ${MAX_CLAIMS_BYTES} bytes as JSON`
  }
  return undefined
}

/** RFC 3339 date-time with a zone, as JSON dates are written. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/i

/**
 * The end of a suspension, in ms, from an RFC 3339 date-time that lies after `now`; or the
 * reason it cannot be one.
 *
 * @example
 * parseSuspensionEnd('2030-01-01T00:00:00Z', Date.now()) // { until: 1893456000000 }
 */
export function parseSuspensionEnd(
  text: string,
  now: number,
): { until: number } | { reason: string } {
  const until = DATE_TIME.test(text) ? Date.parse(text) : Number.NaN
  if (!Number.isFinite(until)) return { reason: '"until" must be an RFC 3339 date-time' }
  if (until <= now) return { reason: '"until" must lie in the future' }
  return { until }
}
