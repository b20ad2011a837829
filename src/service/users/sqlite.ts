import type Database from 'better-sqlite3'
import type { UserClaims, UserDirectory, UserRecord } from './directory.js'

const SCHEMA = `CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  sub TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS user_claims (
  sub TEXT PRIMARY KEY,
  claims TEXT NOT NULL
) WITHOUT ROWID`

interface Row {
  username: string
  sub: string
  password_hash: string
  created_at: number
}

function toRecord(row: Row | undefined): UserRecord | undefined {
  if (row === undefined) return undefined
  return {
    username: row.username,
    sub: row.sub,
    passwordHash: row.password_hash,
    createdAt: row.created_at,
  }
}

/** Users in a table of the same SQLite file as the SqliteStore. The caller owns the database. */
export class SqliteUserDirectory implements UserDirectory {
  readonly #insert: Database.Statement
  readonly #select: Database.Statement
  readonly #updateHash: Database.Statement
  readonly #selectBySub: Database.Statement
  readonly #delete: (username: string, sub: string) => boolean
  readonly #selectClaims: Database.Statement
  readonly #upsertClaims: Database.Statement
  readonly #deleteClaims: Database.Statement

  constructor(db: Database.Database) {
    db.exec(SCHEMA)
    this.#insert = db.prepare(
      'INSERT OR IGNORE INTO users (username, sub, password_hash, created_at) VALUES (?, ?, ?, ?)',
    )
    this.#select = db.prepare('SELECT * FROM users WHERE username = ?')
    this.#updateHash = db.prepare(
      'UPDATE users SET password_hash = ? WHERE username = ? AND (? IS NULL OR sub = ?)',
    )
    this.#selectBySub = db.prepare('SELECT * FROM users WHERE sub = ?')
    this.#selectClaims = db.prepare('SELECT claims FROM user_claims WHERE sub = ?')
    this.#upsertClaims = db.prepare(
      'INSERT INTO user_claims (sub, claims) VALUES (?, ?) ON CONFLICT(sub) DO UPDATE SET claims = excluded.claims',
    )
    this.#deleteClaims = db.prepare('DELETE FROM user_claims WHERE sub = ?')
    const deleteUser = db.prepare('DELETE FROM users WHERE username = ? AND sub = ?')
    // The record and its claims go together, or neither does.
    this.#delete = db.transaction((username: string, sub: string) => {
      if (deleteUser.run(username, sub).changes === 0) return false
      this.#deleteClaims.run(sub)
      return true
    })
  }

  async create(user: UserRecord): Promise<boolean> {
    const result = this.#insert.run(user.username, user.sub, user.passwordHash, user.createdAt)
    return result.changes === 1
  }

  async find(username: string): Promise<UserRecord | undefined> {
    return toRecord(this.#select.get(username) as Row | undefined)
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    return toRecord(this.#selectBySub.get(sub) as Row | undefined)
  }

  async delete(username: string, sub: string): Promise<boolean> {
    return this.#delete(username, sub)
  }

  async getClaims(sub: string): Promise<UserClaims | undefined> {
    const row = this.#selectClaims.get(sub) as { claims: string } | undefined
    return row === undefined ? undefined : (JSON.parse(row.claims) as UserClaims)
  }

  async setClaims(sub: string, claims: UserClaims): Promise<void> {
    if (Object.keys(claims).length === 0) this.#deleteClaims.run(sub)
    else this.#upsertClaims.run(sub, JSON.stringify(claims))
  }

  async updatePasswordHash(username: string, passwordHash: string, sub?: string): Promise<void> {
    this.#updateHash.run(passwordHash, username, sub ?? null, sub ?? null)
  }

  async close(): Promise<void> {}
}
