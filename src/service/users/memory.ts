import type { UserDirectory, UserRecord } from './directory.js'

/** Users in this process's memory (STORE=memory): gone on restart. */
export class MemoryUserDirectory implements UserDirectory {
  readonly #users = new Map<string, UserRecord>()

  async create(user: UserRecord): Promise<boolean> {
    if (this.#users.has(user.username)) return false
    this.#users.set(user.username, user)
    return true
  }

  async find(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(username)
  }

  async updatePasswordHash(username: string, passwordHash: string): Promise<void> {
    const user = this.#users.get(username)
    if (user !== undefined) this.#users.set(username, { ...user, passwordHash })
  }

  async close(): Promise<void> {}
}
