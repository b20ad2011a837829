import { StoreUnavailable } from '../../errors.js'
import { serviceKeys } from '../../stores/redis/keys.js'
import type { UserClaims, UserDirectory, UserRecord } from './directory.js'

/** The commands the directory needs, on a node-redis v5 client or cluster. */
export interface UserRedis {
  hSetNX(key: string, field: string, value: string): Promise<number | boolean>
  hGet(key: string, field: string): Promise<string | null | undefined>
  hSet(key: string, field: string, value: string): Promise<number>
  hDel(key: string, field: string): Promise<number>
  hScan(
    key: string,
    cursor: string,
    options?: { COUNT?: number },
  ): Promise<{ cursor: string; entries: Array<{ field: string; value: string }> }>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  get(key: string): Promise<string | null | undefined>
  set(key: string, value: string): Promise<unknown>
}

/**
 * Sets (or, with no new value, deletes) a field only if it still holds what was read: a record
 * rewritten in between (a deletion, a new user of the same name) is left alone. One key.
 */
const COMPARE_AND_SET = `
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
if ARGV[3] == nil then return redis.call('HDEL', KEYS[1], ARGV[1]) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
return 1`

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new StoreUnavailable(`could not ${what}`, { cause: error })
  }
}

/**
 * Users in one Redis hash, `<prefix>users`, field = username, value = JSON record. HSETNX makes
 * registration atomic on a cluster too (one key, one slot). Beside it, `<prefix>users:by-sub`
 * (sub -> username) finds a user by subject id, and `<prefix>users:claims` (sub -> JSON) holds
 * the claims an admin set. The three are separate keys (separate slots on a cluster), so each
 * write is one command; the index is written before the record and a record is always checked
 * against its sub, so a stale entry finds nobody. Users registered before the index existed are
 * indexed by one scan, the first time a sub is not found (`<prefix>users:by-sub:complete` then
 * says it is done): no request ever scans after that. The caller owns the client.
 */
export class RedisUserDirectory implements UserDirectory {
  readonly #redis: UserRedis
  readonly #key: string
  readonly #bySubKey: string
  readonly #claimsKey: string
  readonly #indexedKey: string
  #backfilled: Promise<void> | undefined

  constructor(redis: UserRedis, prefix: string) {
    this.#redis = redis
    const keys = serviceKeys(prefix)
    this.#key = keys.users
    this.#bySubKey = keys.usersBySub
    this.#claimsKey = keys.userClaims
    this.#indexedKey = keys.usersIndexed
  }

  async create(user: UserRecord): Promise<boolean> {
    // The index entry first (a fresh sub: nobody else's), so no user ever exists unindexed.
    await call('index a user', () => this.#redis.hSet(this.#bySubKey, user.sub, user.username))
    const added = await call('register a user', () =>
      this.#redis.hSetNX(this.#key, user.username, JSON.stringify(user)),
    )
    if (added === true || added === 1) return true
    await call('register a user', () => this.#redis.hDel(this.#bySubKey, user.sub))
    return false
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    const found = await this.#findIndexed(sub)
    if (found !== undefined) return found
    // Users registered before the index existed: indexed once, then never scanned for again.
    await (this.#backfilled ??= this.#backfill().catch((error: unknown) => {
      this.#backfilled = undefined
      throw error
    }))
    return this.#findIndexed(sub)
  }

  async #findIndexed(sub: string): Promise<UserRecord | undefined> {
    const username = await call('read a user', () => this.#redis.hGet(this.#bySubKey, sub))
    if (typeof username !== 'string') return undefined
    const user = await this.find(username)
    // An entry left by a registration that lost its race, or a user deleted since: not theirs.
    return user?.sub === sub ? user : undefined
  }

  /** Indexes every user once per store (a flag key says it is done), for users made before. */
  async #backfill(): Promise<void> {
    if ((await call('read a user', () => this.#redis.get(this.#indexedKey))) !== null) return
    let cursor = '0'
    do {
      const page = await call('scan the users', () =>
        this.#redis.hScan(this.#key, cursor, { COUNT: 500 }),
      )
      cursor = String(page.cursor)
      for (const { field, value } of page.entries) {
        const user = JSON.parse(value) as UserRecord
        await call('index a user', () => this.#redis.hSet(this.#bySubKey, user.sub, field))
      }
    } while (cursor !== '0')
    await call('index a user', () => this.#redis.set(this.#indexedKey, '1'))
  }

  async delete(username: string, sub: string): Promise<boolean> {
    const raw = await call('read a user', () => this.#redis.hGet(this.#key, username))
    if (typeof raw !== 'string' || (JSON.parse(raw) as UserRecord).sub !== sub) return false
    // The username first: once it is gone the user is gone; the rest only tidies up.
    if (!(await this.#compareAndSet('delete a user', username, raw, []))) return false
    const user = { sub }
    await call('delete a user', () => this.#redis.hDel(this.#bySubKey, user.sub))
    await call('delete a user', () => this.#redis.hDel(this.#claimsKey, user.sub))
    return true
  }

  async getClaims(sub: string): Promise<UserClaims | undefined> {
    const raw = await call('read claims', () => this.#redis.hGet(this.#claimsKey, sub))
    return typeof raw === 'string' ? (JSON.parse(raw) as UserClaims) : undefined
  }

  async setClaims(sub: string, claims: UserClaims): Promise<void> {
    await call('write claims', () =>
      Object.keys(claims).length === 0
        ? this.#redis.hDel(this.#claimsKey, sub)
        : this.#redis.hSet(this.#claimsKey, sub, JSON.stringify(claims)),
    )
  }

  async find(username: string): Promise<UserRecord | undefined> {
    const raw = await call('read a user', () => this.#redis.hGet(this.#key, username))
    return raw === null || raw === undefined ? undefined : (JSON.parse(raw) as UserRecord)
  }

  async updatePasswordHash(username: string, passwordHash: string, sub?: string): Promise<void> {
    const raw = await call('read a user', () => this.#redis.hGet(this.#key, username))
    if (typeof raw !== 'string') return
    const user = JSON.parse(raw) as UserRecord
    if (sub !== undefined && user.sub !== sub) return
    await this.#compareAndSet('update a password hash', username, raw, [
      JSON.stringify({ ...user, passwordHash }),
    ])
  }

  async #compareAndSet(
    what: string,
    username: string,
    expected: string,
    next: [string] | [],
  ): Promise<boolean> {
    const done = await call(what, () =>
      this.#redis.eval(COMPARE_AND_SET, {
        keys: [this.#key],
        arguments: [username, expected, ...next],
      }),
    )
    return done === 1
  }

  async close(): Promise<void> {}
}
