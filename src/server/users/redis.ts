import { StoreUnavailable } from '../../errors.js'
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
}

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
 * write is one command and the index is only a hint: a record is always checked against its
 * sub, and a user registered before the index existed is found by a scan once, then indexed.
 * The caller owns the client.
 */
export class RedisUserDirectory implements UserDirectory {
  readonly #redis: UserRedis
  readonly #key: string
  readonly #bySubKey: string
  readonly #claimsKey: string

  constructor(redis: UserRedis, prefix: string) {
    this.#redis = redis
    this.#key = `${prefix}users`
    this.#bySubKey = `${prefix}users:by-sub`
    this.#claimsKey = `${prefix}users:claims`
  }

  async create(user: UserRecord): Promise<boolean> {
    const added = await call('register a user', () =>
      this.#redis.hSetNX(this.#key, user.username, JSON.stringify(user)),
    )
    if (added !== true && added !== 1) return false
    await call('index a user', () => this.#redis.hSet(this.#bySubKey, user.sub, user.username))
    return true
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    const username = await call('read a user', () => this.#redis.hGet(this.#bySubKey, sub))
    if (typeof username === 'string') {
      const user = await this.find(username)
      if (user?.sub === sub) return user
    }
    // Not indexed (registered before the index, or the index write was lost): one scan.
    let cursor = '0'
    do {
      const page = await call('scan the users', () =>
        this.#redis.hScan(this.#key, cursor, { COUNT: 500 }),
      )
      cursor = String(page.cursor)
      for (const { value } of page.entries) {
        const user = JSON.parse(value) as UserRecord
        if (user.sub !== sub) continue
        await call('index a user', () => this.#redis.hSet(this.#bySubKey, sub, user.username))
        return user
      }
    } while (cursor !== '0')
    return undefined
  }

  async delete(username: string): Promise<boolean> {
    const user = await this.find(username)
    if (user === undefined) return false
    // The username first: once it is gone the user is gone; the rest only tidies up.
    const removed = await call('delete a user', () => this.#redis.hDel(this.#key, username))
    if (removed === 0) return false
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

  async updatePasswordHash(username: string, passwordHash: string): Promise<void> {
    const user = await this.find(username)
    if (user === undefined) return
    await call('update a password hash', () =>
      this.#redis.hSet(this.#key, username, JSON.stringify({ ...user, passwordHash })),
    )
  }

  async close(): Promise<void> {}
}
