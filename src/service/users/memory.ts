import type { UserClaims, UserDirectory, UserRecord } from './directory.js'

/** Users in this process's memory (STORE=memory): gone on restart. */
export class MemoryUserDirectory implements UserDirectory {
  readonly #users = new Map<string, UserRecord>()
  readonly #claims = new Map<string, UserClaims>()

  async create(user: UserRecord): Promise<boolean> {
    if (this.#users.has(user.username)) return false
    this.#users.set(user.username, user)
    return true
  }

  async find(username: string): Promise<UserRecord | undefined> {
    return this.#users.get(username)
  }

  async updatePasswordHash(username: string, passwordHash: string, sub?: string): Promise<void> {
    const user = this.#users.get(username)
    if (user === undefined || (sub !== undefined && user.sub !== sub)) return
    this.#users.set(username, { ...user, passwordHash })
  }

  async findBySub(sub: string): Promise<UserRecord | undefined> {
    for (const user of this.#users.values()) if (user.sub === sub) return user
    return undefined
  }

  async delete(username: string, sub: string): Promise<boolean> {
    const user = this.#users.get(username)
    if (user === undefined || user.sub !== sub) return false
    this.#users.delete(username)
    this.#claims.delete(user.sub)
    return true
  }

  async getClaims(sub: string): Promise<UserClaims | undefined> {
    return this.#claims.get(sub)
  }

  async setClaims(sub: string, claims: UserClaims): Promise<void> {
    if (Object.keys(claims).length === 0) this.#claims.delete(sub)
    else this.#claims.set(sub, structuredClone(claims))
  }

  async close(): Promise<void> {}
}
