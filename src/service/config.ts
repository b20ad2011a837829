/**
 * The service's configuration: environment variables, each mirrored by a command-line flag
 * (`PORT` and `--port`; a flag wins). Every value is validated once, here; a bad one stops
 * startup with a `ConfigError` that names the variable. Defaults: config-variables.ts.
 */
import { resolve as resolvePath } from 'node:path'
import type { Algorithm } from '../keys/algorithms.js'
import type { KeyInput } from '../keys/import.js'
import type { ClientRecord } from './clients.js'
import { ConfigError } from './config-error.js'
import {
  boolean,
  defaultOrigins,
  httpUrl,
  integer,
  keyEncryptionKey,
  loadClients,
  loadLockout,
  LOG_LEVELS,
  parseStore,
  passwordScheme,
  read,
  signingAlg,
  signingKeys,
  webhook,
  type Source,
} from './config-values.js'
import { defaultOf } from './config-variables.js'
import { weakSecretReason } from './secret-strength.js'
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js'

export { ConfigError } from './config-error.js'
export { configFlags, flagName, VARIABLES, type Variable } from './config-variables.js'

/** Where the service keeps its state (the library's Store and the user directory). */
export type StoreSpec =
  | { readonly kind: 'sqlite'; readonly path: string }
  | { readonly kind: 'memory' }
  | { readonly kind: 'redis'; readonly url: string }
  | { readonly kind: 'redis-cluster'; readonly urls: readonly string[] }

export interface ServerConfig {
  readonly port: number
  readonly host: string
  readonly issuer: string
  readonly audience: string
  readonly store: StoreSpec
  /** Prefix of every Redis key (the library's and the user directory's). */
  readonly redisPrefix: string
  /** The OAuth clients and their rights (src/service/clients.ts). */
  readonly clients: ReadonlyMap<string, ClientRecord>
  /** The admin API is off when undefined. */
  readonly adminToken: string | undefined
  readonly accessTokenTtl: number
  readonly sessionIdleTtl: number
  readonly sessionMaxAge: number
  /** Most active sessions per user; a login past it ends the least recently used. */
  readonly sessionCap: number
  readonly reuseGrace: number
  readonly refreshRetryWindow: number
  readonly failMode: 'closed' | 'open'
  readonly cookieMode: boolean
  /** Origins allowed to use the refresh cookie (cookie mode). */
  readonly allowedOrigins: readonly string[]
  /** Login (and register) requests per minute per client IP: a flood ceiling. */
  readonly loginRateLimit: number
  /** Failure counting against guessing (src/service/guessing/, src/server/guessing/guard.ts). */
  readonly lockout: LockoutConfig
  /** Largest request body, in bytes. */
  readonly bodyLimit: number
  readonly logLevel: string
  /** One log line per request and per answer (off by default: it costs CPU on every request). */
  readonly accessLog: boolean
  /**
   * Which proxies may set `X-Forwarded-For`: false (none, the default), the number of proxy
   * hops in front of the service, or their addresses/CIDRs. Fastify's `trustProxy` takes it.
   */
  readonly trustProxy: TrustProxy
  /** log2 of scrypt's cost N for new password hashes. */
  readonly scryptLogN: number
  /** The scheme of new password hashes (scrypt when `@node-rs/argon2` is not installed). */
  readonly passwordHash: 'argon2id' | 'scrypt'
  /** Operator-supplied keys (SIGNING_KEYS); empty: keys are generated into the store. */
  readonly signingKeys: readonly KeyInput[]
  /** Algorithm of generated keys. */
  readonly signingAlg: Algorithm
  /** KEY_ENCRYPTION_KEY (or the content of KEY_ENCRYPTION_KEY_FILE); undefined: none given. */
  readonly keyEncryptionKey: string | Uint8Array | undefined
  readonly allowPlaintextKeys: boolean
  /** Seconds a new generated key is published before it signs. */
  readonly keyPublishLead: number
  /** Seconds between scheduled rotations of generated keys; false: off. */
  readonly keyRotationInterval: number | false
  /** Where notices (new login, reuse, password change, suspension, deletion) go; off when undefined. */
  readonly webhook: WebhookConfig | undefined
  /** Seconds since the last password entry within which a password change needs no current password. */
  readonly stepUpMaxAge: number
}

/** WEBHOOK_URL and the key bytes of WEBHOOK_SECRET (src/service/webhooks/). */
export interface WebhookConfig {
  readonly url: string
  readonly key: Buffer
}

/** When failed attempts lock a login or a client address out. */
export interface LockoutConfig {
  /** Failed logins of one username from one IP before that pair is locked. */
  readonly pairFailures: number
  /** Failed logins of one username from any IP before the account is locked. */
  readonly userFailures: number
  /** Failed logins from one IP, any usernames, before that IP's logins are locked. */
  readonly ipFailures: number
  /** Failed client secrets, admin tokens or refresh tokens (each) from one IP before a lock. */
  readonly credentialFailures: number
  /** The first lock, ms; each further failure doubles it. */
  readonly lockMs: number
  /** The longest lock, ms. */
  readonly maxLockMs: number
  /** Failures are forgotten this long (ms) after the last one. */
  readonly windowMs: number
}

/**
 * The store as a person should read it: an SQLite path made absolute (a relative one depends on
 * the current directory), a Redis URL without its credentials.
 *
 * @example
 * describeStore({ kind: 'sqlite', path: './data/revocable.db' }) // 'sqlite:/srv/app/data/revocable.db'
 */
export function describeStore(store: StoreSpec): string {
  const withoutCredentials = (text: string) => {
    const url = new URL(text)
    url.username = ''
    url.password = ''
    return url.href.replace(/\/$/, '')
  }
  switch (store.kind) {
    case 'memory':
      return 'memory'
    case 'sqlite':
      return store.path === ':memory:' ? 'sqlite::memory:' : `sqlite:${resolvePath(store.path)}`
    case 'redis':
      return withoutCredentials(store.url)
    case 'redis-cluster':
      return `redis-cluster://${store.urls.map((url) => new URL(url).host).join(',')}`
  }
}

function missingDefault(name: string): never {
  throw new TypeError(`${name} has no default in the variable table`)
}

/**
 * Reads the configuration from the environment and parsed flags (flags win). Throws a
 * `ConfigError` naming the first bad variable.
 *
 * @example
 * const config = loadConfig(process.env, { port: '8080' })
 */
export function loadConfig(env: Source = process.env, flags: Source = {}): ServerConfig {
  // An unset variable takes its default from the one table (config-variables.ts).
  const get = (name: string) => read(env, flags, name) ?? defaultOf(name)
  const need = (name: string) => get(name) ?? missingDefault(name)
  const port = integer('PORT', get('PORT'), 0, 65535)
  const host = need('HOST')
  const issuerText = get('ISSUER') ?? `http://localhost:${port}`
  const issuerUrl = httpUrl('ISSUER', issuerText)
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') {
    throw new ConfigError('ISSUER', 'must not have a query or fragment (RFC 8414)')
  }
  // RFC 8414 appends paths to the issuer; a trailing slash would double them.
  const issuer = issuerText.replace(/\/+$/, '')
  const audience = get('AUDIENCE') ?? issuer

  const failMode = need('FAIL_MODE')
  if (failMode !== 'closed' && failMode !== 'open') {
    throw new ConfigError('FAIL_MODE', `must be "closed" or "open" (got "${failMode}")`)
  }
  const adminToken = get('ADMIN_TOKEN')
  const weakAdminToken = adminToken === undefined ? undefined : weakSecretReason(adminToken)
  if (weakAdminToken !== undefined) throw new ConfigError('ADMIN_TOKEN', weakAdminToken)
  const redisPrefix = need('REDIS_PREFIX')
  if (/[{}]/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must not contain { or }')
  const logLevel = need('LOG_LEVEL')
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`)
  }
  const origins = get('ALLOWED_ORIGINS')
  const allowedOrigins =
    origins === undefined
      ? defaultOrigins(issuerUrl)
      : origins.split(',').map((origin) => {
          const url = httpUrl('ALLOWED_ORIGINS', origin.trim())
          return url.origin
        })

  const sessionMaxAge = integer('SESSION_MAX_AGE', get('SESSION_MAX_AGE'), 1, 2 ** 31)
  const rotation = integer('KEY_ROTATION_INTERVAL', get('KEY_ROTATION_INTERVAL'), 0, 2 ** 31)
  return Object.freeze({
    port,
    host,
    issuer,
    audience,
    store: parseStore(need('STORE')),
    redisPrefix,
    clients: loadClients(get('CLIENTS'), get('CLIENTS_FILE')),
    adminToken,
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', get('ACCESS_TOKEN_TTL'), 1, 86_400),
    sessionIdleTtl: integer('SESSION_IDLE_TTL', get('SESSION_IDLE_TTL'), 1, 2 ** 31),
    sessionMaxAge,
    sessionCap: integer('SESSION_CAP', get('SESSION_CAP'), 1, 10_000),
    reuseGrace: integer('REUSE_GRACE', get('REUSE_GRACE'), 0, 3600),
    refreshRetryWindow: integer('REFRESH_RETRY_WINDOW', get('REFRESH_RETRY_WINDOW'), 0, 3600),
    failMode,
    cookieMode: boolean('COOKIE_MODE', get('COOKIE_MODE')),
    allowedOrigins,
    loginRateLimit: integer('LOGIN_RATE_LIMIT', get('LOGIN_RATE_LIMIT'), 1, 1_000_000),
    lockout: loadLockout(get),
    bodyLimit: integer('BODY_LIMIT', get('BODY_LIMIT'), 1024, 10_485_760),
    logLevel,
    accessLog: boolean('ACCESS_LOG', get('ACCESS_LOG')),
    trustProxy: parseTrustProxy(get('TRUST_PROXY')),
    scryptLogN: integer('SCRYPT_LOG_N', get('SCRYPT_LOG_N'), 10, 20),
    passwordHash: passwordScheme(get('PASSWORD_HASH')),
    signingKeys: signingKeys(get('SIGNING_KEYS')),
    signingAlg: signingAlg(get('SIGNING_ALG')),
    keyEncryptionKey: keyEncryptionKey(get('KEY_ENCRYPTION_KEY'), get('KEY_ENCRYPTION_KEY_FILE')),
    allowPlaintextKeys: boolean('ALLOW_PLAINTEXT_KEYS', get('ALLOW_PLAINTEXT_KEYS')),
    keyRotationInterval: rotation === 0 ? false : rotation,
    keyPublishLead: integer('KEY_PUBLISH_LEAD', get('KEY_PUBLISH_LEAD'), 0, 2 ** 31),
    webhook: webhook(get('WEBHOOK_URL'), get('WEBHOOK_SECRET')),
    stepUpMaxAge: integer('STEP_UP_MAX_AGE', get('STEP_UP_MAX_AGE'), 1, 86_400),
  })
}
