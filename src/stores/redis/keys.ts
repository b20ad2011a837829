import { createHash } from 'node:crypto'
import type { Change } from '../change-feed.js'

/**
 * Every Redis key this package uses is built here, and nowhere else: the store's (`redisKeys`)
 * and the service's data beside it under the same prefix (`serviceKeys`: users, rate-limit and
 * failed-attempt counters), so that one file shows every name and that no two collide. A user's
 * keys share the hash tag `{u:<sub>}` so the scripts that touch several of them (start a session
 * under the cap, rotate, revoke the user) stay in one Redis Cluster slot; the global epoch,
 * retired kids and keys share `{g}`. Keys looked up by a bare jti or sid stand alone (any slot).
 *
 * Lua scripts receive every key they touch in KEYS, with one documented exception
 * (`SCRIPT_BUILT_KEYS`): scripts that walk a user's unbounded session set get the record and
 * marker *prefixes* (and the replica-position prefix) as ARGV and append an id, because the ids
 * are only known inside the script. Each such prefix carries the same hash tag as the script's
 * KEYS, so every key built lives in the declared slot: test/stores/redis-keys.test.ts checks the
 * scripts and the hash tags, test/stores/redis-cluster.test.ts asks a real cluster (CLUSTER
 * KEYSLOT) and runs the scripts there for hostile subs (a cluster refuses a non-local key).
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
  /** The record of the user's session `sid`. */
  session(sid: string): string
  /** The user's revoked-session marker for `sid`. */
  revokedSession(sid: string): string
  /** Prefix of the user's session records, for the scripts that walk the sessions (see above). */
  readonly sessionPrefix: string
  /** Prefix of the user's revoked-session markers, for the same scripts. */
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
  /** A replica's acknowledged position (expiring). */
  replicaAck(id: string): string
  /** Prefix of the replicas' positions, for the script that reads them (see above). */
  readonly replicaAckPrefix: string
  /**
   * The index of live revocations a replica's snapshot reads instead of scanning the keyspace:
   * `REVOKED_INDEX_BUCKETS` sorted sets, each in a slot of its own (`{rv<n>}`), of members
   * (`indexMember`) scored by when the entry stops mattering (ms).
   */
  readonly revokedIndex: readonly string[]
  /** The bucket of the index that holds `member`. */
  revokedIndexFor(member: string): string
  /** Set once the index holds every revocation of the data set (new data set, or migrated). */
  readonly revokedIndexed: string
  /**
   * SCAN patterns, each with the parser of the keys it matches: the one-time migration of a data
   * set written before the index existed, and the user-state lookups of the snapshot.
   */
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

/** Buckets of the revocation index: spread over a cluster's masters, each a few MB at 1M. */
export const REVOKED_INDEX_BUCKETS = 16

/**
 * The index member for a change a snapshot must load (undefined for the others):
 * `j:<expiresAt>:<jti>` and `s:<expiresAt>:<sid>` (the expiry in the member too, so a snapshot
 * reads members without scores: Redis formats a score far slower than it copies a member), and
 * for the user state whose value lives in the user's own keys (read at snapshot time), `u:<sub>`
 * (cutoff), `p:<sub>` (suspension), `c:<sub>` (claims cutoff).
 */
export function indexMember(change: Change): string | undefined {
  switch (change.kind) {
    case 'jti':
      return `j:${Math.ceil(change.expiresAt)}:${change.jti}`
    case 'session':
      return `s:${Math.ceil(change.expiresAt)}:${change.sid}`
    case 'user':
      return `u:${change.sub}`
    case 'suspension':
      return `p:${change.sub}`
    case 'claims':
      return `c:${change.sub}`
    default:
      return undefined
  }
}

/**
 * When an index member stops mattering (ms): the change's expiry; a suspension's end plus the
 * day its key outlives it (user-state.ts), or never without an end.
 */
export function indexExpiry(change: Change): number {
  if (change.kind === 'suspension') {
    return change.until === undefined ? Number.POSITIVE_INFINITY : change.until + 86_400_000
  }
  return 'expiresAt' in change ? change.expiresAt : Number.POSITIVE_INFINITY
}

/** FNV-1a of a member: its bucket of the index. */
function bucketOf(member: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < member.length; i += 1) {
    hash = Math.imul(hash ^ member.charCodeAt(i), 0x01000193)
  }
  return (hash >>> 0) % REVOKED_INDEX_BUCKETS
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
  const revokedIndex = Array.from(
    { length: REVOKED_INDEX_BUCKETS },
    (_, n) => `${prefix}{rv${n}}:revoked`,
  )
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
        session: (sid) => `${tag}:s:${sid}`,
        revokedSession: (sid) => `${tag}:rs:${sid}`,
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
    replicaAck: (id) => `${prefix}{g}:ack:${id}`,
    replicaAckPrefix: `${prefix}{g}:ack:`,
    revokedIndex,
    revokedIndexFor: (member) => revokedIndex[bucketOf(member)] as string,
    revokedIndexed: `${prefix}{g}:revoked:indexed`,
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

/**
 * The scripts that build key names from an ARGV prefix (the hash-tag exception above): script
 * name → the ARGV indexes (1-based) that hold a key prefix, each with what it is. Every prefix
 * listed here carries the hash tag of the script's KEYS[1]; a key built from any other ARGV, or
 * by any other script, fails test/stores/redis-keys.test.ts.
 */
export const SCRIPT_BUILT_KEYS: Readonly<Record<string, Readonly<Record<number, string>>>> = {
  'create-session': {
    10: "the user's session record prefix (UserKeys.sessionPrefix): evicted records",
    11: "the user's revoked-session marker prefix (UserKeys.revokedSessionPrefix)",
  },
  'revoke-user': {
    3: "the user's session record prefix (UserKeys.sessionPrefix): the records it ends",
    4: "the user's revoked-session marker prefix (UserKeys.revokedSessionPrefix)",
  },
  'forget-sessions': {
    1: "the user's session record prefix (UserKeys.sessionPrefix): the records it forgets",
  },
  'replicas-behind': {
    1: 'the replica-position prefix (RedisKeys.replicaAckPrefix), in the slot {g} of KEYS[1]',
  },
}

/** The service's data beside the store's, under the same prefix. */
export interface ServiceKeys {
  /** The user directory: one hash, field = username, value = JSON record. */
  readonly users: string
  /** sub -> username: finds a user by subject id. */
  readonly usersBySub: string
  /** sub -> JSON: the claims an admin set for a user. */
  readonly userClaims: string
  /** Set once every user made before the by-sub index existed has been indexed. */
  readonly usersIndexed: string
  /** The rate-limit counters' prefix; a route adds `<METHOD><url>:`, then the client's key. */
  readonly rateLimitPrefix: string
  /**
   * The failed-attempt counters of one bucket: a hash named by a digest of the bucket in its own
   * hash tag, so no username or address ever becomes part of a key name.
   */
  guesses(bucket: string): string
}

/**
 * The service's Redis keys (users, rate limits, failed attempts), under the store's prefix.
 *
 * @example
 * serviceKeys('rvk:').users // 'rvk:users'
 */
export function serviceKeys(prefix: string): ServiceKeys {
  return {
    users: `${prefix}users`,
    usersBySub: `${prefix}users:by-sub`,
    userClaims: `${prefix}users:claims`,
    usersIndexed: `${prefix}users:by-sub:complete`,
    rateLimitPrefix: `${prefix}rl:`,
    guesses: (bucket) => {
      const digest = createHash('sha256').update(bucket).digest('hex').slice(0, 32)
      return `${prefix}guess:{${digest}}`
    },
  }
}
