/**
 * Opens what the service and the CLI work against, from one configuration: the Store, the user
 * directory beside it (same SQLite file, same Redis prefix, or memory) and the Revocable.
 */
import { existsSync, mkdirSync } from 'node:fs'
import { dirname } from 'node:path'
import { createRevocable } from '../create-revocable.js'
import type { Revocable } from '../revocable.js'
import { MemoryStore } from '../stores/memory.js'
import { connectRedis } from '../stores/redis/connect.js'
import { withDeadline, type RedisConnection } from '../stores/redis/connection.js'
import type { Store } from '../stores/store.js'
import { ConfigError, describeStore, type ServerConfig } from './config.js'
import { MemoryGuessCounters, type GuessCounters } from './guessing/counters.js'
import { RedisGuessCounters, type GuessRedis } from './guessing/redis.js'
import { SqliteGuessCounters } from './guessing/sqlite.js'
import type { UserDirectory } from './users/directory.js'
import { MemoryUserDirectory } from './users/memory.js'
import { loadPeer } from './peer.js'
import { redactUrlCredentials } from './redact.js'
import { redisRateLimitStore, type RateLimitRedis } from './rate-limit-store.js'
import { RedisUserDirectory, type UserRedis } from './users/redis.js'
import { SqliteUserDirectory } from './users/sqlite.js'

export interface Runtime {
  readonly auth: Revocable
  readonly store: Store
  readonly users: UserDirectory
  /**
   * Failed-attempt counters, in the same backend as the users (shared by every instance);
   * a hand-built runtime without them counts in memory.
   */
  readonly guesses?: GuessCounters
  /** On Redis: a rate-limit counter every instance shares (undefined: counted in memory). */
  readonly rateLimitStore?: ReturnType<typeof redisRateLimitStore>
  /** Closes the Revocable, the store, the user directory and their connections, once. */
  close(): Promise<void>
}

export interface RuntimeOptions {
  /** Wraps the store before the Revocable gets it (the service measures store latency). */
  wrapStore?: (store: Store) => Store
  /** The CLI runs one command: no replica to load. */
  replica?: 'auto' | false
  warn?: (message: string) => void
  /**
   * Whether an empty store may be made (the service: yes). A command that acts on an existing
   * store says `false`: a new, empty store (with a fresh key) would let it "succeed" on nothing.
   */
  create?: boolean
}

/** The configured store does not exist (a CLI command must not make one). */
function noSuchStore(config: ServerConfig, what: string): ConfigError {
  const where = describeStore(config.store)
  return new ConfigError(
    'STORE',
    `names no existing store (${where}): ${what}. Run the command with the service's STORE ` +
      `(and from its directory, for a relative sqlite: path), or start the service once.`,
  )
}

const COMMAND_TIMEOUT_MS = 250

async function openBackend(
  config: ServerConfig,
  warn: (message: string) => void,
  create: boolean,
): Promise<{
  store: Store
  users: UserDirectory
  guesses: GuessCounters
  rateLimitStore?: ReturnType<typeof redisRateLimitStore>
  release: () => Promise<void>
}> {
  const spec = config.store
  switch (spec.kind) {
    case 'memory':
      if (!create) throw noSuchStore(config, 'a memory store exists only inside the service')
      return {
        store: new MemoryStore(),
        users: new MemoryUserDirectory(),
        guesses: new MemoryGuessCounters(),
        release: async () => {},
      }
    case 'sqlite': {
      if (!create && (spec.path === ':memory:' || !existsSync(spec.path))) {
        throw noSuchStore(config, 'there is no database file there')
      }
      if (spec.path !== ':memory:') mkdirSync(dirname(spec.path), { recursive: true })
      // One connection for both: the store sets WAL and synchronous=FULL on it, and the users
      // table lives in the same file, so a copy of the file is a complete backup.
      const Database = await loadPeer('better-sqlite3', 'STORE=sqlite:…')
      const { SqliteStore } = await import('../stores/sqlite.js')
      const db = new Database(spec.path)
      const store = new SqliteStore({ database: db })
      return {
        store,
        users: new SqliteUserDirectory(db),
        guesses: new SqliteGuessCounters(db),
        release: async () => void db.close(),
      }
    }
    case 'redis':
    case 'redis-cluster': {
      await loadPeer('redis', 'STORE=redis://…')
      const { RedisStore } = await import('../stores/redis/index.js')
      // The store's own connect path: the same client options, deadline and error (with cause).
      const client = await connectRedis(
        spec.kind === 'redis'
          ? { url: spec.url }
          : { cluster: { rootNodes: spec.urls.map((url) => ({ url })) } },
        {
          commandTimeout: COMMAND_TIMEOUT_MS,
          warn: (message) => warn(redactUrlCredentials(message)),
          requiredBy: 'STORE=redis://…',
        },
      )
      try {
        const store = await RedisStore.connect({
          client,
          prefix: config.redisPrefix,
          commandTimeout: COMMAND_TIMEOUT_MS,
          warn,
        })
        // The same bounds as the store's own commands: a write timeout and a reply deadline.
        const bounded = withDeadline(
          (client as unknown as RedisConnection).withCommandOptions({
            timeout: COMMAND_TIMEOUT_MS,
          }) as object,
          COMMAND_TIMEOUT_MS,
        )
        const users = new RedisUserDirectory(bounded as UserRedis, config.redisPrefix)
        const rateLimitStore = redisRateLimitStore(bounded as RateLimitRedis, config.redisPrefix)
        const guesses = new RedisGuessCounters(bounded as GuessRedis, config.redisPrefix)
        return { store, users, guesses, rateLimitStore, release: () => client.close() }
      } catch (error) {
        await client.close().catch(() => undefined)
        throw error
      }
    }
  }
}

/**
 * Opens the store and user directory named by `config.store`, and a Revocable on them.
 *
 * @example
 * const runtime = await openRuntime(loadConfig())
 * await runtime.auth.revokeUser('user-42')
 * await runtime.close()
 */
export async function openRuntime(
  config: ServerConfig,
  options: RuntimeOptions = {},
): Promise<Runtime> {
  const warn = options.warn ?? ((message: string) => console.warn(message))
  const create = options.create ?? true
  const backend = await openBackend(config, warn, create)
  if (!create && config.signingKeys.length === 0) {
    // The service stores its generated key on first start: no key, no service ever ran here.
    // (With SIGNING_KEYS the keys are configured, not stored: nothing to tell by.)
    let keys: unknown[] = []
    try {
      keys = await backend.store.listKeys()
    } finally {
      if (keys.length === 0) {
        await backend.store.close().catch(() => undefined)
        await backend.release().catch(() => undefined)
      }
    }
    if (keys.length === 0) {
      const where = config.store.kind.startsWith('redis')
        ? ` under REDIS_PREFIX "${config.redisPrefix}"`
        : ''
      throw noSuchStore(config, `it holds no keys${where}`)
    }
  }
  const store = options.wrapStore?.(backend.store) ?? backend.store
  let auth: Revocable
  try {
    auth = await createRevocable({
      issuer: config.issuer,
      audience: config.audience,
      store,
      accessTokenTtl: config.accessTokenTtl,
      sessionIdleTtl: config.sessionIdleTtl,
      sessionMaxAge: config.sessionMaxAge,
      // Bounded work per login and per "log out everywhere", whatever the account's size.
      maxSessionsPerUser: config.sessionCap,
      sessionLimitAction: 'evict',
      reuseGrace: config.reuseGrace,
      refreshRetryWindow: config.refreshRetryWindow,
      onStoreError: config.failMode === 'open' ? 'fail-open' : 'fail-closed',
      replica: options.replica ?? 'auto',
      // A logout, a session delete, an RFC 7009 revoke or an admin revoke answers only once
      // every instance enforces it (on Redis; at most maxStaleness later).
      awaitReplicas: true,
      keys: config.signingKeys,
      algorithm: config.signingAlg,
      keyEncryptionKey: config.keyEncryptionKey,
      allowPlaintextKeys: config.allowPlaintextKeys,
      keyPublishLead: config.keyPublishLead,
      keyRotationInterval: config.keyRotationInterval,
      // The claims an admin set (PUT /admin/users/:sub/claims), in every new access token.
      resolveClaims: ({ sub }) => backend.users.getClaims(sub),
      warn,
    })
  } catch (error) {
    await backend.store.close().catch(() => undefined)
    await backend.release().catch(() => undefined)
    throw error
  }
  let closing: Promise<void> | undefined
  return {
    auth,
    store,
    users: backend.users,
    guesses: backend.guesses,
    rateLimitStore: backend.rateLimitStore,
    close: () =>
      (closing ??= (async () => {
        await auth.close()
        await backend.store.close()
        await backend.users.close()
        await backend.release()
      })()),
  }
}
