import type { Change } from '../change-feed.js'

/**
 * Every Redis key this library uses is built here, and nowhere else. A user's keys share the
 * hash tag `{u:<sub>}` so the scripts that touch several of them (start a session under the cap,
 * rotate, revoke the user) stay in one Redis Cluster slot; the global epoch, retired kids and
 * keys share `{g}`. Keys looked up by a bare jti or sid stand alone (any slot).
 */
export interface UserKeys {
  /** The user's revocation cutoff (ms). */
  readonly cutoff: string
  /** Sorted set of the user's session ids, scored by last use (least recently used first). */
  readonly sessions: string
  /** The same ids scored by `expiresAt`: expired entries are pruned a bounded slice at a time. */
  readonly sessionsByExpiry: string
  /** The same ids scored by `createdAt`: the sessions a cutoff covers are a range of it. */
  readonly sessionsByCreation: string
  /** Prefix of the user's session records; the record of `sid` is `sessionPrefix + sid`. */
  readonly sessionPrefix: string
  /** Prefix of the user's revoked-session markers. */
  readonly revokedSessionPrefix: string
  /** The user's suspension (JSON of a SuspensionRecord). */
  readonly suspension: string
  /** The user's claims cutoff (ms). */
  readonly claimsCutoff: string
  /** Set of every sid whose owner pointer names the user (forgetUser deletes them all). */
  readonly ownedSids: string
}

export interface RedisKeys {
  /** Revoked-token marker. */
  jti(jti: string): string
  /** Issued-token record of revocable/jwt-redis (jwt-redis's label, for destroy's answer). */
  issued(jti: string): string
  /** Revoked-session marker for a sid whose owner is not known (no session record). */
  revokedSession(sid: string): string
  /** Which user a session belongs to: the way from a bare sid to the user's slot. */
  sessionOwner(sid: string): string
  user(sub: string): UserKeys
  readonly epoch: string
  readonly retiredKids: string
  readonly signingKeys: string
  /** A lease (scheduled key steps), in the global slot. */
  lease(name: string): string
  /** Written once per data set; its disappearance means Redis lost its data. */
  readonly generation: string
  /** The change feed (a stream) that replicas tail. */
  readonly feed: string
  /** Set of the ids of replicas that acknowledge their feed position. */
  readonly replicas: string
  /** Prefix of a replica's acknowledged position (expiring); the key of `id` is prefix + id. */
  readonly replicaAckPrefix: string
  /** SCAN patterns for a replica's snapshot, each with the parser of the keys it matches. */
  readonly scan: Record<
    'jtis' | 'sessions' | 'userCutoffs' | 'userSessions' | 'suspensions' | 'claimsCutoffs',
    ScanPattern
  >
}

export interface ScanPattern {
  readonly match: string
  readonly kind: 'marker' | 'user'
  parse(key: string, value: string | null, expiresAt: number): Change | undefined
}

/** Escapes glob characters so a prefix matches itself in a SCAN pattern. */
function glob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** Throws a TypeError for a prefix that would break hash tags. */
export function checkPrefix(prefix: unknown): string {
  if (typeof prefix !== 'string' || /[{}]/.test(prefix)) {
    throw new TypeError('"prefix" must be a string without "{" or "}"')
  }
  return prefix
}

export function redisKeys(prefix: string): RedisKeys {
  return {
    jti: (jti) => `${prefix}j:${jti}`,
    issued: (jti) => `${prefix}i:${jti}`,
    revokedSession: (sid) => `${prefix}rs:${sid}`,
    sessionOwner: (sid) => `${prefix}so:${sid}`,
    user: (sub) => {
      const tag = `${prefix}{u:${sub}}`
      return {
        cutoff: `${tag}:cut`,
        sessions: `${tag}:sessions`,
        sessionsByExpiry: `${tag}:sessions:exp`,
        sessionsByCreation: `${tag}:sessions:born`,
        sessionPrefix: `${tag}:s:`,
        revokedSessionPrefix: `${tag}:rs:`,
        suspension: `${tag}:susp`,
        claimsCutoff: `${tag}:claims`,
        ownedSids: `${tag}:owned`,
      }
    },
    epoch: `${prefix}{g}:epoch`,
    retiredKids: `${prefix}{g}:retired`,
    signingKeys: `${prefix}{g}:keys`,
    lease: (name) => `${prefix}{g}:lease:${name}`,
    generation: `${prefix}{g}:generation`,
    feed: `${prefix}{g}:feed`,
    replicas: `${prefix}{g}:replicas`,
    replicaAckPrefix: `${prefix}{g}:ack:`,
    scan: {
      jtis: {
        match: `${glob(prefix)}j:*`,
        kind: 'marker',
        parse: (key, _value, expiresAt) => ({
          kind: 'jti',
          jti: key.slice(prefix.length + 2),
          expiresAt,
        }),
      },
      sessions: {
        match: `${glob(prefix)}rs:*`,
        kind: 'marker',
        parse: (key, _value, expiresAt) => ({
          kind: 'session',
          sid: key.slice(prefix.length + 3),
          expiresAt,
        }),
      },
      userCutoffs: {
        match: `${glob(prefix)}{u:*}:cut`,
        kind: 'user',
        parse: (key, value, expiresAt) =>
          value === null
            ? undefined
            : {
                kind: 'user',
                sub: key.slice(prefix.length + 3, -5),
                cutoff: Number(value),
                expiresAt,
              },
      },
      suspensions: {
        match: `${glob(prefix)}{u:*}:susp`,
        kind: 'user',
        parse: (key, value) => {
          if (value === null) return undefined
          const { until } = JSON.parse(value) as { until?: number }
          const sub = key.slice(prefix.length + 3, -'}:susp'.length)
          return until === undefined
            ? { kind: 'suspension', sub }
            : { kind: 'suspension', sub, until }
        },
      },
      claimsCutoffs: {
        match: `${glob(prefix)}{u:*}:claims`,
        kind: 'user',
        parse: (key, value, expiresAt) =>
          value === null
            ? undefined
            : {
                kind: 'claims',
                sub: key.slice(prefix.length + 3, -'}:claims'.length),
                cutoff: Number(value),
                expiresAt,
              },
      },
      userSessions: {
        // Session ids never contain "}" (issue() refuses one), so the last "}:rs:" ends the sub.
        match: `${glob(prefix)}{u:*}:rs:*`,
        kind: 'marker',
        parse: (key, _value, expiresAt) => ({
          kind: 'session',
          sid: key.slice(key.lastIndexOf('}:rs:') + 5),
          expiresAt,
        }),
      },
    },
  }
}
