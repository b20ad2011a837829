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
  /**
   * Replaces the password hash of an existing user (a hash upgraded at login, a password
   * change). With `sub`, only while the name still belongs to that user: a change that raced a
   * deletion never lands on someone who registered the name since.
   */
  updatePasswordHash(username: string, passwordHash: string, sub?: string): Promise<void>
  /** The user whose subject id is `sub`. */
  findBySub(sub: string): Promise<UserRecord | undefined>
  /**
   * Forgets a user: the record (the username is free again) and its claims. Resolves to false
   * when the name belongs to no user, or to another one than `sub`.
   */
  delete(username: string, sub: string): Promise<boolean>
  /** The claims merged into every new access token of `sub` (undefined: none set). */
  getClaims(sub: string): Promise<UserClaims | undefined>
  /** Replaces the claims of `sub`; an empty object removes them. */
  setClaims(sub: string, claims: UserClaims): Promise<void>
  close(): Promise<void>
}

/** Claims an admin set on a user (roles, permissions, tenant…): a JSON object. */
export type UserClaims = Readonly<Record<string, unknown>>

/** Usernames are compared case-insensitively. */
export function normalizeUsername(username: string): string {
  return username.toLowerCase()
}
