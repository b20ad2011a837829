// Over 300 lines on purpose: one store's whole contract, each method one transaction over the
// same schema; the rules it applies (rotation, cutoff, session cap) are in records/.
import { randomBytes } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import type Database from 'better-sqlite3'
import { requirePeer } from '../peer.js'
import { systemClock, type Clock } from '../clock.js'
import { isCutOff, type Cutoffs } from '../records/cutoff.js'
import { readOrCreateKekFile } from './kek-file.js'
import { decideRotation, type RotationRequest, type RotationResult } from '../records/rotation.js'
import { isSessionActive } from '../records/session.js'
import { decideSessionCap } from '../records/session-cap.js'
import { isSuspended, type SuspensionRecord, type UserStateRecord } from '../records/user-state.js'
import {
  decideReauthentication,
  type ReauthenticationRequest,
} from '../records/reauthentication.js'
import type {
  CreateSessionResult,
  RevocationQuery,
  RevocationStatus,
  SessionLimit,
  SessionRecord,
  Store,
  StoredKey,
} from './store.js'

export interface SqliteStoreOptions {
  /**
   * Database file (its folder is created), or `':memory:'` for a store that vanishes with the
   * process. Required unless `database` is given: there is no silent in-memory default.
   */
  path?: string
  /** An open better-sqlite3 database to use instead of opening `path`. */
  database?: Database.Database
  /** The clock that decides expiry; pass the same one as `createRevocable`'s. */
  clock?: Clock
  /** Milliseconds between sweeps of expired rows. Default 60 000. */
  sweepInterval?: number
}

const NEEDS_PATH =
  'SqliteStore needs a "path": a database file, or \':memory:\' for a store that vanishes with ' +
  'the process (or an open better-sqlite3 "database")'

const SCHEMA = `
CREATE TABLE IF NOT EXISTS revoked_jtis (jti TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS revoked_sessions (sid TEXT PRIMARY KEY, expires_at INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_cutoffs (
  sub TEXT PRIMARY KEY, cutoff INTEGER NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS globals (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS signing_keys (
  kid TEXT PRIMARY KEY, alg TEXT NOT NULL, jwk TEXT NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS retired_kids (kid TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS leases (
  name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT PRIMARY KEY,
  sub TEXT NOT NULL,
  purge_at INTEGER NOT NULL,
  record TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sessions_by_sub ON sessions (sub);
CREATE TABLE IF NOT EXISTS user_suspensions (
  sub TEXT PRIMARY KEY, record TEXT NOT NULL, expires_at INTEGER
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims_cutoffs (
  sub TEXT PRIMARY KEY, cutoff INTEGER NOT NULL, expires_at INTEGER NOT NULL
) WITHOUT ROWID;
`

// Files made before keys were sealed lack the column for the sealed key and its schedule.
function addKeyMetaColumn(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(signing_keys)').all() as { name: string }[]
  if (!columns.some((column) => column.name === 'meta')) {
    db.exec('ALTER TABLE signing_keys ADD COLUMN meta TEXT')
  }
}

/** What of a StoredKey goes in the `meta` column (JSON). */
function keyMeta(key: StoredKey): string {
  const { sealed, activatesAt, origin } = key
  return JSON.stringify({ sealed, activatesAt, origin })
}

/**
 * Everything `checkRevocation` needs, as one indexed query (a primary-key probe per table), read
 * as a raw row (an array: no object per row). Positional parameters, cheaper to bind than named
 * ones (`checkParameters`); `now` is the store's clock, which decides when an entry may be
 * forgotten. A suspension without an expiry (NULL) lasts until lifted.
 */
const CHECK_REVOCATION = `SELECT
  EXISTS (SELECT 1 FROM revoked_jtis WHERE jti = ? AND expires_at > ?),
  EXISTS (SELECT 1 FROM revoked_sessions WHERE sid = ? AND expires_at > ?),
  (SELECT cutoff FROM user_cutoffs WHERE sub = ? AND expires_at > ?),
  (SELECT value FROM globals WHERE name = 'epoch'),
  EXISTS (SELECT 1 FROM retired_kids WHERE kid = ?),
  (SELECT record FROM user_suspensions WHERE sub = ? AND (expires_at IS NULL OR expires_at > ?)),
  (SELECT cutoff FROM claims_cutoffs WHERE sub = ? AND expires_at > ?)`

/** CHECK_REVOCATION's parameters, in their order. */
function checkParameters(query: RevocationQuery, now: number) {
  const { jti, sid, sub, kid } = query
  return [jti, now, sid, now, sub, now, kid, sub, now, sub, now] as const
}

/**
 * The same, plus the two fields of the session record that allowlist mode decides on; three
 * more parameters: sid, sub, now.
 */
const CHECK_REVOCATION_WITH_SESSION = `${CHECK_REVOCATION},
  json_extract(s.record, '$.createdAt'), json_extract(s.record, '$.expiresAt')
  FROM (SELECT 1) LEFT JOIN sessions AS s ON s.sid = ? AND s.sub = ? AND s.purge_at > ?`

/** The row of CHECK_REVOCATION(_WITH_SESSION), in its column order. */
type RevocationRow = [
  jtiRevoked: 0 | 1,
  sessionRevoked: 0 | 1,
  userCutoff: number | null,
  epoch: number | null,
  kidRetired: 0 | 1,
  suspension: string | null,
  claimsCutoff: number | null,
  sessionCreatedAt?: number | null,
  sessionExpiresAt?: number | null,
]

function prepareStatements(db: Database.Database) {
  const prepare = (sql: string) => db.prepare(sql)
  return {
    check: prepare(CHECK_REVOCATION).raw(),
    checkWithSession: prepare(CHECK_REVOCATION_WITH_SESSION).raw(),
    getJti: prepare('SELECT expires_at FROM revoked_jtis WHERE jti = ? AND expires_at > ?'),
    putJti: prepare(`INSERT INTO revoked_jtis (jti, expires_at) VALUES (?, ?)
      ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`),
    getRevokedSession: prepare(
      'SELECT expires_at FROM revoked_sessions WHERE sid = ? AND expires_at > ?',
    ),
    putRevokedSession: prepare(`INSERT INTO revoked_sessions (sid, expires_at) VALUES (?, ?)
      ON CONFLICT (sid) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`),
    getCutoff: prepare('SELECT cutoff FROM user_cutoffs WHERE sub = ? AND expires_at > ?'),
    putCutoff: prepare(`INSERT INTO user_cutoffs (sub, cutoff, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (sub) DO UPDATE SET
        cutoff = CASE WHEN expires_at > ? THEN max(cutoff, excluded.cutoff) ELSE excluded.cutoff END,
        expires_at = max(expires_at, excluded.expires_at)`),
    getEpoch: prepare("SELECT value FROM globals WHERE name = 'epoch'"),
    putEpoch: prepare(`INSERT INTO globals (name, value) VALUES ('epoch', ?)
      ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`),
    isRetired: prepare('SELECT 1 FROM retired_kids WHERE kid = ?'),
    retire: prepare('INSERT OR IGNORE INTO retired_kids (kid) VALUES (?)'),
    listRetired: prepare('SELECT kid FROM retired_kids'),
    listKeys: prepare('SELECT kid, alg, jwk, created_at, meta FROM signing_keys'),
    addKey: prepare(
      'INSERT OR IGNORE INTO signing_keys (kid, alg, jwk, created_at, meta) VALUES (?, ?, ?, ?, ?)',
    ),
    replaceKey: prepare(
      'INSERT OR REPLACE INTO signing_keys (kid, alg, jwk, created_at, meta) VALUES (?, ?, ?, ?, ?)',
    ),
    takeLease: prepare(`INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
      WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`),
    getSession: prepare('SELECT record FROM sessions WHERE sid = ? AND purge_at > ?'),
    userSessions: prepare('SELECT record FROM sessions WHERE sub = ? AND purge_at > ?'),
    putSession: prepare(`INSERT INTO sessions (sid, sub, purge_at, record) VALUES (?, ?, ?, ?)
      ON CONFLICT (sid) DO UPDATE SET sub = excluded.sub, purge_at = excluded.purge_at,
        record = excluded.record`),
    deleteSession: prepare('DELETE FROM sessions WHERE sid = ?'),
    deleteUserSessions: prepare('DELETE FROM sessions WHERE sub = ?'),
    // A suspension without `until` has no expiry (NULL): it lasts until lifted.
    getSuspension: prepare(
      'SELECT record FROM user_suspensions WHERE sub = ? AND (expires_at IS NULL OR expires_at > ?)',
    ),
    putSuspension: prepare(`INSERT INTO user_suspensions (sub, record, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (sub) DO UPDATE SET record = excluded.record, expires_at = excluded.expires_at`),
    deleteSuspension: prepare('DELETE FROM user_suspensions WHERE sub = ?'),
    getClaimsCutoff: prepare('SELECT cutoff FROM claims_cutoffs WHERE sub = ? AND expires_at > ?'),
    putClaimsCutoff: prepare(`INSERT INTO claims_cutoffs (sub, cutoff, expires_at) VALUES (?, ?, ?)
      ON CONFLICT (sub) DO UPDATE SET
        cutoff = CASE WHEN expires_at > ? THEN max(cutoff, excluded.cutoff) ELSE excluded.cutoff END,
        expires_at = max(expires_at, excluded.expires_at)`),
    deleteClaimsCutoff: prepare('DELETE FROM claims_cutoffs WHERE sub = ?'),
  }
}

/**
 * A store in one SQLite file (better-sqlite3, WAL mode): the embedded default for a single
 * process, surviving restarts. Every method is one transaction, so rotation is atomic even
 * across processes sharing the file. Expired rows are ignored when read and swept periodically.
 */
export class SqliteStore implements Store {
  readonly #db: Database.Database
  readonly #ownsDatabase: boolean
  readonly #clock: Clock
  readonly #sweeper: NodeJS.Timeout
  readonly #sql: ReturnType<typeof prepareStatements>
  #ephemeralKek: Uint8Array | undefined

  /**
   * Opens (or creates) the store in a database file. A path alone may be given as a string.
   *
   * @example
   * const store = new SqliteStore('./data/revocable.db')
   * const auth = await createRevocable({ issuer, audience, store })
   */
  constructor(pathOrOptions: string | SqliteStoreOptions) {
    const options = typeof pathOrOptions === 'string' ? { path: pathOrOptions } : pathOrOptions
    if (options === null || typeof options !== 'object') {
      throw new TypeError(NEEDS_PATH)
    }
    this.#clock = options.clock ?? systemClock
    const interval = options.sweepInterval ?? 60_000
    if (!Number.isFinite(interval) || interval <= 0) {
      throw new TypeError('"sweepInterval" must be a positive number of milliseconds')
    }
    if (options.database !== undefined) {
      if (options.path !== undefined) throw new TypeError('give "path" or "database", not both')
      this.#db = options.database
      this.#ownsDatabase = false
    } else {
      const path = options.path
      if (typeof path !== 'string' || path === '') throw new TypeError(NEEDS_PATH)
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true })
      const open = requirePeer<typeof Database>('better-sqlite3', 'revocable/sqlite')
      this.#db = new open(path)
      this.#ownsDatabase = true
    }
    this.#db.pragma('journal_mode = WAL')
    // Every revocation is on disk when the call resolves: a crash right after loses nothing.
    this.#db.pragma('synchronous = FULL')
    this.#db.pragma('busy_timeout = 5000')
    this.#db.exec(SCHEMA)
    addKeyMetaColumn(this.#db)
    this.#sql = prepareStatements(this.#db)
    this.#sweeper = setInterval(() => this.sweep(), interval)
    this.#sweeper.unref()
  }

  /** Deletes every expired row now. Runs on a timer; public for tests. */
  sweep(): void {
    const now = this.#clock()
    this.#db.transaction(() => {
      for (const table of ['revoked_jtis', 'revoked_sessions', 'user_cutoffs', 'claims_cutoffs']) {
        this.#db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`).run(now)
      }
      this.#db.prepare('DELETE FROM sessions WHERE purge_at <= ?').run(now)
      this.#db
        .prepare('DELETE FROM user_suspensions WHERE expires_at IS NOT NULL AND expires_at <= ?')
        .run(now)
    })()
  }

  #userState(sub: string): UserStateRecord {
    const now = this.#clock()
    const row = this.#sql.getSuspension.get(sub, now) as { record: string } | undefined
    const cutoff = this.#sql.getClaimsCutoff.get(sub, now) as { cutoff: number } | undefined
    return {
      ...(row !== undefined && { suspension: JSON.parse(row.record) as SuspensionRecord }),
      ...(cutoff !== undefined && { claimsCutoff: cutoff.cutoff }),
    }
  }

  #epoch(): number | undefined {
    return (this.#sql.getEpoch.get() as { value: number } | undefined)?.value
  }

  #session(sid: string): SessionRecord | undefined {
    const row = this.#sql.getSession.get(sid, this.#clock()) as { record: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.record) as SessionRecord)
  }

  #saveSession(session: SessionRecord): void {
    this.#sql.putSession.run(session.sid, session.sub, session.purgeAt, JSON.stringify(session))
  }

  #endSession(sid: string, expiresAt: number): SessionRecord | undefined {
    const session = this.#session(sid)
    this.#sql.putRevokedSession.run(sid, expiresAt)
    this.#sql.deleteSession.run(sid)
    return session
  }

  #userSessions(sub: string): SessionRecord[] {
    const rows = this.#sql.userSessions.all(sub, this.#clock()) as { record: string }[]
    return rows.map((row) => JSON.parse(row.record) as SessionRecord)
  }

  #cutoffs(sub: string): Cutoffs {
    const row = this.#sql.getCutoff.get(sub, this.#clock()) as { cutoff: number } | undefined
    return { user: row?.cutoff, epoch: this.#epoch() }
  }

  #activeSessions(sub: string, now: number): SessionRecord[] {
    const cutoffs = this.#cutoffs(sub)
    return this.#userSessions(sub)
      .filter((session) => isSessionActive(session, now, cutoffs))
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    this.#sql.putJti.run(jti, expiresAt)
  }

  async revokeSession(sid: string, expiresAt: number): Promise<SessionRecord | undefined> {
    return this.#db.transaction(() => this.#endSession(sid, expiresAt)).immediate()
  }

  async revokeUser(
    sub: string,
    requested: number,
    expiresAt: number,
    everySession = false,
  ): Promise<SessionRecord[]> {
    return this.#db
      .transaction(() => {
        const cutoff = everySession
          ? Math.max(requested, ...this.#userSessions(sub).map((s) => s.createdAt))
          : requested
        this.#sql.putCutoff.run(sub, cutoff, expiresAt, this.#clock())
        const cutoffs = this.#cutoffs(sub)
        const ended = this.#userSessions(sub).filter((s) => isCutOff(s.createdAt, cutoffs))
        for (const session of ended) this.#endSession(session.sid, expiresAt)
        return ended
      })
      .immediate()
  }

  async setEpoch(cutoff: number): Promise<void> {
    this.#sql.putEpoch.run(cutoff)
  }

  async checkRevocation(query: RevocationQuery): Promise<RevocationStatus> {
    // One statement: its own read transaction, so every answer comes from one snapshot.
    const { sid, sub } = query
    const now = this.#clock()
    const withSession = query.needsSession !== false
    const row = (
      withSession
        ? this.#sql.checkWithSession.get(...checkParameters(query, now), sid, sub, now)
        : this.#sql.check.get(...checkParameters(query, now))
    ) as RevocationRow
    const [jtiRevoked, sessionRevoked, userCutoff, epoch, kidRetired, suspension, claimsCutoff] =
      row
    const createdAt = row[7]
    const expiresAt = row[8]
    const cutoffs = { user: userCutoff ?? undefined, epoch: epoch ?? undefined }
    return {
      jtiRevoked: jtiRevoked === 1,
      sessionRevoked: sessionRevoked === 1,
      userCutoff: cutoffs.user,
      epoch: cutoffs.epoch,
      kidRetired: kidRetired === 1,
      sessionActive:
        withSession &&
        typeof createdAt === 'number' &&
        typeof expiresAt === 'number' &&
        isSessionActive({ createdAt, expiresAt }, query.now, cutoffs),
      userSuspended:
        suspension !== null && isSuspended(JSON.parse(suspension) as SuspensionRecord, query.now),
      claimsCutoff: claimsCutoff ?? undefined,
    }
  }

  async getUserState(sub: string): Promise<UserStateRecord> {
    return this.#userState(sub)
  }

  async suspendUser(sub: string, suspension: SuspensionRecord): Promise<void> {
    this.#sql.putSuspension.run(sub, JSON.stringify(suspension), suspension.until ?? null)
  }

  async reinstateUser(sub: string): Promise<SuspensionRecord | undefined> {
    return this.#db
      .transaction(() => {
        const { suspension } = this.#userState(sub)
        this.#sql.deleteSuspension.run(sub)
        return suspension
      })
      .immediate()
  }

  async setClaimsCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    this.#sql.putClaimsCutoff.run(sub, cutoff, expiresAt, this.#clock())
  }

  async forgetUser(sub: string): Promise<void> {
    this.#db
      .transaction(() => {
        this.#sql.deleteUserSessions.run(sub)
        this.#sql.deleteSuspension.run(sub)
        this.#sql.deleteClaimsCutoff.run(sub)
      })
      .immediate()
  }

  async reauthenticateSession(
    request: ReauthenticationRequest,
  ): Promise<SessionRecord | undefined> {
    return this.#db
      .transaction((): SessionRecord | undefined => {
        const session = this.#session(request.sid)
        if (session === undefined) return undefined
        const next = decideReauthentication(session, request, this.#cutoffs(session.sub))
        if (next !== undefined) this.#saveSession(next)
        return next
      })
      .immediate()
  }

  async listKeys(): Promise<StoredKey[]> {
    const rows = this.#sql.listKeys.all() as {
      kid: string
      alg: string
      jwk: string
      created_at: number
      meta: string | null
    }[]
    return rows.map((row) => ({
      kid: row.kid,
      alg: row.alg,
      jwk: JSON.parse(row.jwk),
      createdAt: row.created_at,
      ...(row.meta === null ? {} : (JSON.parse(row.meta) as Partial<StoredKey>)),
    }))
  }

  async addKey(key: StoredKey): Promise<void> {
    this.#sql.addKey.run(key.kid, key.alg, JSON.stringify(key.jwk), key.createdAt, keyMeta(key))
  }

  async replaceKey(key: StoredKey): Promise<void> {
    this.#sql.replaceKey.run(key.kid, key.alg, JSON.stringify(key.jwk), key.createdAt, keyMeta(key))
  }

  /**
   * The key-encryption key in `<database>.kek` (mode 0600, made on first use), apart from the
   * database so a copy of the database alone does not open the keys. An in-memory database gets
   * a key that lives as long as the process, like its data.
   */
  async localKeyEncryptionKey(): Promise<Uint8Array | undefined> {
    if (this.#db.memory) return (this.#ephemeralKek ??= randomBytes(32))
    return readOrCreateKekFile(`${this.#db.name}.kek`)
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    const now = this.#clock()
    // One statement: the upsert only happens when the lease is free, expired or ours.
    return this.#sql.takeLease.run(name, owner, now + ttlMs, now).changes === 1
  }

  async retireKey(kid: string): Promise<void> {
    this.#sql.retire.run(kid)
  }

  async listRetiredKids(): Promise<string[]> {
    return (this.#sql.listRetired.all() as { kid: string }[]).map((row) => row.kid)
  }

  async createSession(session: SessionRecord, limit: SessionLimit): Promise<CreateSessionResult> {
    return this.#db
      .transaction((): CreateSessionResult => {
        if (isCutOff(session.createdAt, this.#cutoffs(session.sub))) {
          return { created: false, revoked: true, evicted: [] }
        }
        const cap = decideSessionCap(this.#activeSessions(session.sub, limit.now), limit)
        if (cap.refuse) return { created: false, evicted: [] }
        const evicted = [...cap.evict]
        for (const old of evicted) this.#endSession(old.sid, limit.revocationExpiresAt)
        this.#saveSession(session)
        return { created: true, evicted }
      })
      .immediate()
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    return this.#session(sid)
  }

  async listSessions(sub: string, now: number): Promise<SessionRecord[]> {
    return this.#activeSessions(sub, now)
  }

  async rotateRefreshToken(request: RotationRequest): Promise<RotationResult> {
    return this.#db
      .transaction((): RotationResult => {
        const session = this.#session(request.sid)
        const cutoffs =
          session === undefined
            ? { user: undefined, epoch: this.#epoch() }
            : this.#cutoffs(session.sub)
        const decision = decideRotation(session, request, cutoffs)
        if (decision.next !== undefined) {
          this.#saveSession(decision.next)
          return { outcome: decision.outcome, session: decision.next }
        }
        if (decision.outcome === 'reused')
          this.#endSession(request.sid, request.revocationExpiresAt)
        const keepsRecord = decision.outcome === 'reused' || decision.outcome === 'expired'
        return { outcome: decision.outcome, session: keepsRecord ? session : undefined }
      })
      .immediate()
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper)
    if (this.#ownsDatabase && this.#db.open) this.#db.close()
  }
}
