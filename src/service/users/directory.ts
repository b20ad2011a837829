/**
 * The service's user directory: username -> subject id and password hash. It lives beside the
 * library's Store, in the same backend (a table in the same SQLite file, Redis hashes under the
 * same prefix, or memory), so one STORE setting decides where everything is kept.
 */
export interface UserRecord {
  /** The normalised username (lower case). */
  readonly username: string
  /** The stable subject id that tokens carry. */
  readonly sub: string
  readonly passwordHash: string
  /** ms since the epoch. */
  readonly createdAt: number
}

export interface UserDirectory {
  /** Adds a user; resolves to false (and changes nothing) when the username is taken. */
  create(user: UserRecord): Promise<boolean>
  find(username: string): Promise<UserRecord | undefined>
  /** Replaces the password hash of an existing user (a hash upgraded at login). */
  updatePasswordHash(username: string, passwordHash: string): Promise<void>
  close(): Promise<void>
}

/** Usernames are compared case-insensitively. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase()
}
