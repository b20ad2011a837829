import type Database from 'better-sqlite3'
import { nextCount, SWEEP_EVERY, type GuessCounters } from './counters.js'
import type { FailureCount } from './rules.js'

const SCHEMA = `CREATE TABLE IF NOT EXISTS guess_counters (
  bucket TEXT NOT NULL,
  field TEXT NOT NULL,
  count INTEGER NOT NULL,
  last_at INTEGER NOT NULL,
  PRIMARY KEY (bucket, field)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS guess_counters_last_at ON guess_counters (last_at)`

interface Row {
  field: string
  count: number
  last_at: number
}

/**
 * Counters in a table of the service's SQLite file: every process on that file shares them.
 * Each add is one transaction; rows past the window are deleted as their bucket is written, and
 * all of them every few hundred adds.
 */
export class SqliteGuessCounters implements GuessCounters {
  readonly #db: Database.Database
  readonly #select: Database.Statement
  readonly #upsert: Database.Statement
  readonly #expire: Database.Statement
  readonly #deleteBucket: Database.Statement
  readonly #deleteField: Database.Statement
  readonly #sweep: Database.Statement
  #adds = 0

  constructor(db: Database.Database) {
    db.exec(SCHEMA)
    this.#db = db
    this.#select = db.prepare('SELECT field, count, last_at FROM guess_counters WHERE bucket = ?')
    this.#upsert = db.prepare(
      'INSERT OR REPLACE INTO guess_counters (bucket, field, count, last_at) VALUES (?, ?, ?, ?)',
    )
    this.#expire = db.prepare('DELETE FROM guess_counters WHERE bucket = ? AND last_at <= ?')
    this.#deleteBucket = db.prepare('DELETE FROM guess_counters WHERE bucket = ?')
    this.#deleteField = db.prepare('DELETE FROM guess_counters WHERE bucket = ? AND field = ?')
    this.#sweep = db.prepare('DELETE FROM guess_counters WHERE last_at <= ?')
  }

  #rows(bucket: string): Map<string, FailureCount> {
    const rows = this.#select.all(bucket) as Row[]
    return new Map(rows.map((row) => [row.field, { count: row.count, lastAt: row.last_at }]))
  }

  async add(bucket: string, fields: readonly string[], now: number, windowMs: number) {
    this.#adds += 1
    const sweep = this.#adds % SWEEP_EVERY === 0
    const run = this.#db.transaction(() => {
      if (sweep) this.#sweep.run(now - windowMs)
      else this.#expire.run(bucket, now - windowMs)
      const current = this.#rows(bucket)
      return fields.map((field) => {
        const next = nextCount(current.get(field), now, windowMs)
        this.#upsert.run(bucket, field, next.count, next.lastAt)
        return next
      })
    })
    // IMMEDIATE: the write lock first, so two processes never count from the same read.
    return run.immediate()
  }

  async read(bucket: string, now: number, windowMs: number) {
    const live = new Map<string, FailureCount>()
    for (const [field, failures] of this.#rows(bucket)) {
      if (now - failures.lastAt < windowMs) live.set(field, failures)
    }
    return live
  }

  async clear(bucket: string, fields?: readonly string[]) {
    if (fields === undefined) this.#deleteBucket.run(bucket)
    else for (const field of fields) this.#deleteField.run(bucket, field)
  }
}
