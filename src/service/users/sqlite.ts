import type Database from 'better-sqlite3'
import type { UserDirectory, UserRecord } from './directory.js'

const SCHEMA = `CREATE TABLE IF NOT EXISTS users (
  username TEXT PRIMARY KEY,
  sub TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  created_at INTEGER NOT NULL
) WITHOUT ROWID`

interface Row {
  username: string
  sub: string
  password_hash: string
  created_at: number
}

/** Users in a table of the same SQLite file as the SqliteStore. The caller owns the database. */
export class SqliteUserDirectory implements UserDirectory {
  readonly #insert: Database.Statement
  readonly #select: Database.Statement
  readonly #updateHash: Database.Statement

  constructor(db: Database.Database) {
    db.exec(SCHEMA)
    this.#insert = db.prepare(
      'INSERT OR IGNORE INTO users (username, sub, password_hash, created_at) VALUES (?, ?, ?, ?)',
    )
    this.#select = db.prepare('SELECT * FROM users WHERE username = ?')
    this.#updateHash = db.prepare('UPDATE users SET password_hash = ? WHERE username = ?')
  }

  async create(user: UserRecord): Promise<boolean> {
    const result = this.#insert.run(user.username, user.sub, user.passwordHash, user.createdAt)
    return result.changes === 1
  }

  async find(username: string): Promise<UserRecord | undefined> {
    const row = this.#select.get(username) as Row | undefined
    if (row === undefined) return undefined
    return {
      username: row.username,
      sub: row.sub,
      passwordHash: row.password_hash,
      createdAt: row.created_at,
    }
  }

  async updatePasswordHash(username: string, passwordHash: string): Promise<void> {
    this.#updateHash.run(passwordHash, username)
  }

  async close(): Promise<void> {}
}
