import type BetterSqlite3 from 'better-sqlite3'
import type * as Redis from 'redis'

/**
 * The service's packages are optional peer dependencies of revocable (a library user should not
 * install a web framework). A missing one stops `revocable serve` with the command that fixes it.
 */

/** The packages `revocable serve` needs beyond the library. */
export const SERVICE_PACKAGES = [
  'fastify',
  '@fastify/cookie',
  '@fastify/rate-limit',
  // The pages (src/server/pages/).
  '@fastify/helmet',
  '@fastify/static',
  '@fastify/view',
  'eta',
  'ua-parser-js',
  'pino',
  'prom-client',
] as const

/** A peer dependency that is not installed. */
export class MissingPeerError extends Error {
  readonly packageName: string
  constructor(packageName: string, neededFor: string) {
    super(`${neededFor} needs the package "${packageName}": npm install ${packageName}`)
    this.name = 'MissingPeerError'
    this.packageName = packageName
  }
}

function isModuleNotFound(error: unknown): boolean {
  return error instanceof Error && (error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND'
}

/** Imports an optional peer, turning "not installed" into a `MissingPeerError`. */
export async function loadPeer(
  name: 'better-sqlite3',
  neededFor: string,
): Promise<typeof BetterSqlite3>
export async function loadPeer(name: 'redis', neededFor: string): Promise<typeof Redis>
export async function loadPeer(name: string, neededFor: string): Promise<unknown> {
  try {
    const module = (await import(name)) as { default?: unknown }
    // better-sqlite3 is CommonJS: its constructor is the default export.
    return name === 'better-sqlite3' ? module.default : module
  } catch (error) {
    if (isModuleNotFound(error)) throw new MissingPeerError(name, neededFor)
    throw error
  }
}

/** Checks that every service package can be found, before importing the server. */
export function checkServicePackages(): void {
  const missing = SERVICE_PACKAGES.filter((name) => {
    try {
      import.meta.resolve(name)
      return false
    } catch {
      return true
    }
  })
  if (missing.length > 0) throw new MissingPeerError(missing.join(' '), 'revocable serve')
}
