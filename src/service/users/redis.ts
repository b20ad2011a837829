import { StoreUnavailable } from '../../errors.js'
import type { UserDirectory, UserRecord } from './directory.js'

/** The two commands the directory needs, on a node-redis v5 client or cluster. */
export interface UserRedis {
  hSetNX(key: string, field: string, value: string): Promise<number | boolean>
  hGet(key: string, field: string): Promise<string | null | undefined>
  hSet(key: string, field: string, value: string): Promise<number>
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
 * registration atomic on a cluster too (one key, one slot). The caller owns the client.
 */
export class RedisUserDirectory implements UserDirectory {
  readonly #redis: UserRedis
  readonly #key: string

  constructor(redis: UserRedis, prefix: string) {
    this.#redis = redis
    this.#key = `${prefix}users`
  }

  async create(user: UserRecord): Promise<boolean> {
    const added = await call('register a user', () =>
      this.#redis.hSetNX(this.#key, user.username, JSON.stringify(user)),
    )
    return added === true || added === 1
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
