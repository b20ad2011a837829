/**
 * Optional peer dependencies (better-sqlite3, redis, fastify-plugin) are loaded when first
 * needed, so a missing one is an error that names the package and the command that installs
 * it, instead of a bare ERR_MODULE_NOT_FOUND at import time. They are CommonJS packages, so a
 * synchronous require serves both ESM and `require()` users.
 */
import { createRequire } from 'node:module'

const load = createRequire(import.meta.url)

/** An optional peer dependency that is not installed. */
export class MissingPeerDependency extends Error {
  readonly code = 'ERR_MISSING_PEER_DEPENDENCY'
  /** The npm package to install. */
  readonly packageName: string
  constructor(packageName: string, neededBy: string, cause: unknown) {
    super(
      `${neededBy} needs the package "${packageName}", which is not installed: ` +
        `npm install ${packageName}`,
      { cause },
    )
    this.name = 'MissingPeerDependency'
    this.packageName = packageName
  }
}

/**
 * Loads an optional peer, or throws `MissingPeerDependency` when it is not installed. A package
 * that is installed but fails to load (a broken native build) rethrows its own error.
 *
 * @example
 * const Database = requirePeer<typeof import('better-sqlite3')>('better-sqlite3', 'revocable/sqlite')
 */
export function requirePeer<T>(packageName: string, neededBy: string): T {
  try {
    return load(packageName) as T
  } catch (error) {
    const { code, message } = error as { code?: unknown; message?: unknown }
    // Only this package missing, not one of its own dependencies.
    const missing =
      code === 'MODULE_NOT_FOUND' &&
      typeof message === 'string' &&
      message.startsWith(`Cannot find module '${packageName}'`)
    if (missing) throw new MissingPeerDependency(packageName, neededBy, error)
    throw error
  }
}
