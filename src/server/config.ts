import { readFileSync } from 'node:fs'
import { ClientConfigError, parseClients, type ClientRecord } from './clients.js'
import { weakSecretReason } from './secret-strength.js'

/**
 * The service's configuration: environment variables, each mirrored by a command-line flag
 * (`PORT` and `--port`; a flag wins). Every value is validated once, here; a bad one stops
 * startup with a `ConfigError` that names the variable.
 */
import { resolve as resolvePath } from 'node:path'

import { redactUrlCredentials } from './redact.js'
import { parseTrustProxy, type TrustProxy } from './trust-proxy.js'
import { readKekFile } from '../stores/kek-file.js'
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../keys/algorithms.js'
import type { KeyInput } from '../keys/import.js'
import { parseSigningKeys, SigningKeysError } from './signing-keys.js'
import { parseWebhookSecret } from './webhooks/signing.js'

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
  /** The OAuth clients and their rights (src/server/clients.ts). */
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
  /** Failure counting against guessing (src/server/guessing/). */
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

/** WEBHOOK_URL and the key bytes of WEBHOOK_SECRET (src/server/webhooks/). */
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

/** A configuration value that cannot be used; `variable` names it. */
export class ConfigError extends Error {
  readonly variable: string
  constructor(variable: string, message: string) {
    super(`${variable} (--${flagName(variable)}) ${message}`)
    this.name = 'ConfigError'
    this.variable = variable
  }
}

interface Variable {
  readonly name: string
  readonly default: string
  readonly description: string
  /** A bare flag (`--cookie-mode`) rather than one that takes a value. */
  readonly boolean?: true
}

/** Every variable, its default (as text) and meaning: the table docs/service.md shows. */
export const VARIABLES: readonly Variable[] = [
  { name: 'PORT', default: '3000', description: 'TCP port (0: any free port)' },
  { name: 'HOST', default: '127.0.0.1', description: 'interface to listen on' },
  { name: 'ISSUER', default: 'http://localhost:$PORT', description: '`iss` of every token' },
  { name: 'AUDIENCE', default: 'the issuer', description: '`aud` of every token' },
  {
    name: 'STORE',
    default: 'sqlite:./data/revocable.db',
    description:
      '`sqlite:<path>`, `memory`, `redis://…` / `rediss://…`, `redis-cluster://host:port,host:port`',
  },
  { name: 'REDIS_PREFIX', default: 'rvk:', description: 'prefix of every Redis key' },
  {
    name: 'CLIENTS',
    default: '',
    description: 'OAuth clients: `id:secret,id2:secret2` or a JSON array (docs/service.md)',
  },
  { name: 'CLIENTS_FILE', default: '', description: 'a JSON file of clients (instead of CLIENTS)' },
  { name: 'ADMIN_TOKEN', default: '', description: 'admin API bearer token (off when unset)' },
  { name: 'ACCESS_TOKEN_TTL', default: '300', description: 'access-token lifetime, seconds' },
  { name: 'SESSION_IDLE_TTL', default: '1209600', description: 'session idle timeout, seconds' },
  { name: 'SESSION_MAX_AGE', default: '7776000', description: 'absolute session lifetime, s' },
  { name: 'SESSION_CAP', default: '100', description: 'most active sessions per user' },
  { name: 'REUSE_GRACE', default: '0', description: 'refresh-token retry window, seconds' },
  {
    name: 'REFRESH_RETRY_WINDOW',
    default: '10',
    description: 'seconds during which a repeated refresh gets the same new refresh token',
  },
  {
    name: 'FAIL_MODE',
    default: 'closed',
    description: '`closed` or `open` when the store is down',
  },
  {
    name: 'COOKIE_MODE',
    default: 'false',
    description: 'refresh token in a cookie',
    boolean: true,
  },
  {
    name: 'ALLOWED_ORIGINS',
    default: "the issuer's origin (+ the other loopback names for a loopback issuer)",
    description: 'origins allowed to use the refresh cookie and CORS (exact, with credentials)',
  },
  { name: 'LOGIN_RATE_LIMIT', default: '100', description: 'login requests per minute per IP' },
  { name: 'LOCKOUT_PAIR_FAILURES', default: '10', description: 'failed logins (user, IP)' },
  { name: 'LOCKOUT_USER_FAILURES', default: '30', description: 'failed logins per user' },
  { name: 'LOCKOUT_IP_FAILURES', default: '100', description: 'failed logins per IP' },
  { name: 'LOCKOUT_CREDENTIAL_FAILURES', default: '50', description: 'failed secrets per IP' },
  { name: 'LOCKOUT_SECONDS', default: '60', description: 'first lock, doubled per failure' },
  { name: 'LOCKOUT_MAX_SECONDS', default: '900', description: 'longest lock, seconds' },
  { name: 'LOCKOUT_WINDOW', default: '43200', description: 'failures forgotten after, s' },
  { name: 'BODY_LIMIT', default: '16384', description: 'largest request body, bytes' },
  { name: 'LOG_LEVEL', default: 'info', description: 'pino level (`silent` for none)' },
  {
    name: 'ACCESS_LOG',
    default: 'false',
    description: 'one log line per request and answer',
    boolean: true,
  },
  {
    name: 'TRUST_PROXY',
    default: 'false',
    description: 'proxies trusted for X-Forwarded-For: a hop count or addresses/CIDRs',
  },
  { name: 'SCRYPT_LOG_N', default: '15', description: 'log2 scrypt cost of new hashes' },
  {
    name: 'PASSWORD_HASH',
    default: 'argon2id',
    description: '`argon2id` (needs `@node-rs/argon2`) or `scrypt` for new hashes',
  },
  {
    name: 'SIGNING_KEYS',
    default: '',
    description:
      'keys to sign with: a JWK set, PEM, `secret:<hmac secret>`, or file paths (see "Keys")',
  },
  { name: 'SIGNING_ALG', default: 'ES256', description: 'algorithm of generated keys' },
  {
    name: 'KEY_ENCRYPTION_KEY',
    default: '',
    description: '32 bytes (base64 or hex) sealing stored private keys',
  },
  {
    name: 'KEY_ENCRYPTION_KEY_FILE',
    default: 'SQLite: `<db>.kek`',
    description: 'file holding KEY_ENCRYPTION_KEY (mode 0600)',
  },
  {
    name: 'ALLOW_PLAINTEXT_KEYS',
    default: 'false',
    description: 'keep generated private keys in Redis unencrypted',
    boolean: true,
  },
  { name: 'KEY_PUBLISH_LEAD', default: '60', description: 'seconds a new key is published first' },
  {
    name: 'KEY_ROTATION_INTERVAL',
    default: '2592000',
    description: 'seconds between scheduled key rotations (0: off)',
  },
  {
    name: 'STEP_UP_MAX_AGE',
    default: '300',
    description:
      'seconds after a password entry during which a password change needs no current one',
  },
  {
    name: 'WEBHOOK_URL',
    default: '',
    description: 'http(s) URL receiving signed notices (off when unset)',
  },
  {
    name: 'WEBHOOK_SECRET',
    default: '',
    description: '`whsec_<base64>` signing key of the notices',
  },
]

/** `SESSION_IDLE_TTL` -> `session-idle-ttl`. */
export function flagName(variable: string): string {
  return variable.toLowerCase().replace(/_/g, '-')
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

/** The parseArgs option table for every configuration flag. */
export function configFlags(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(
    VARIABLES.map((v) => [flagName(v.name), { type: v.boolean ? 'boolean' : 'string' }]),
  )
}

type Source = Readonly<Record<string, string | boolean | undefined>>

function read(env: Source, flags: Source, name: string): string | undefined {
  const flag = flags[flagName(name)]
  if (flag !== undefined) return String(flag)
  const value = env[name]
  return value === undefined || value === '' ? undefined : String(value)
}

function integer(
  name: string,
  text: string | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (text === undefined) return fallback
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${text}")`)
  }
  return value
}

function boolean(name: string, text: string | undefined): boolean {
  if (text === undefined) return false
  const value = text.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  throw new ConfigError(name, `must be true or false (got "${text}")`)
}

function httpUrl(name: string, text: string): URL {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new ConfigError(name, `must be an http(s) URL (got "${text}")`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(name, `must be an http(s) URL (got "${text}")`)
  }
  return url
}

function parseStore(text: string): StoreSpec {
  if (text === 'memory') return { kind: 'memory' }
  if (text.startsWith('sqlite:')) {
    const path = text.slice('sqlite:'.length)
    if (path === '') throw new ConfigError('STORE', 'needs a path after "sqlite:"')
    return { kind: 'sqlite', path }
  }
  if (text.startsWith('redis://') || text.startsWith('rediss://')) {
    try {
      new URL(text)
    } catch {
      throw new ConfigError(
        'STORE',
        `is not a valid Redis URL (got "${redactUrlCredentials(text)}")`,
      )
    }
    return { kind: 'redis', url: text }
  }
  if (text.startsWith('redis-cluster://')) {
    const hosts = text.slice('redis-cluster://'.length).split(',')
    if (hosts.some((host) => !/^[^\s:/,]+:\d{1,5}$/.test(host))) {
      throw new ConfigError('STORE', `must list host:port pairs after "redis-cluster://"`)
    }
    return { kind: 'redis-cluster', urls: hosts.map((host) => `redis://${host}`) }
  }
  throw new ConfigError(
    'STORE',
    `must be sqlite:<path>, memory, redis://… or redis-cluster://… (got "${redactUrlCredentials(text)}")`,
  )
}

function loadClients(text: string | undefined, file: string | undefined) {
  if (text !== undefined && file !== undefined) {
    throw new ConfigError('CLIENTS_FILE', 'cannot be used together with CLIENTS')
  }
  let source = text
  const variable = file === undefined ? 'CLIENTS' : 'CLIENTS_FILE'
  if (file !== undefined) {
    try {
      source = readFileSync(file, 'utf8')
    } catch {
      throw new ConfigError('CLIENTS_FILE', 'names a file that cannot be read')
    }
  }
  try {
    return parseClients(source, (id, secret) => {
      const weak = weakSecretReason(secret)
      if (weak !== undefined) throw new ClientConfigError(`the secret of client "${id}" ${weak}`)
    })
  } catch (error) {
    if (error instanceof ClientConfigError) throw new ConfigError(variable, error.message)
    throw error
  }
}

function loadLockout(get: (name: string) => string | undefined): LockoutConfig {
  const count = (name: string, fallback: number) => integer(name, get(name), fallback, 1, 1_000_000)
  const seconds = (name: string, fallback: number) =>
    integer(name, get(name), fallback, 1, 2_592_000) * 1000
  const lockMs = seconds('LOCKOUT_SECONDS', 60)
  const maxLockMs = seconds('LOCKOUT_MAX_SECONDS', 900)
  const windowMs = seconds('LOCKOUT_WINDOW', 43_200)
  if (maxLockMs < lockMs) {
    throw new ConfigError('LOCKOUT_MAX_SECONDS', 'must not be less than LOCKOUT_SECONDS')
  }
  if (windowMs < maxLockMs) {
    throw new ConfigError('LOCKOUT_WINDOW', 'must not be less than LOCKOUT_MAX_SECONDS')
  }
  return Object.freeze({
    pairFailures: count('LOCKOUT_PAIR_FAILURES', 10),
    userFailures: count('LOCKOUT_USER_FAILURES', 30),
    ipFailures: count('LOCKOUT_IP_FAILURES', 100),
    credentialFailures: count('LOCKOUT_CREDENTIAL_FAILURES', 50),
    lockMs,
    maxLockMs,
    windowMs,
  })
}

function passwordScheme(text: string | undefined): 'argon2id' | 'scrypt' {
  const value = text ?? 'argon2id'
  if (value !== 'argon2id' && value !== 'scrypt') {
    throw new ConfigError('PASSWORD_HASH', 'must be "argon2id" or "scrypt"')
  }
  return value
}

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]']

/**
 * ALLOWED_ORIGINS by default: the issuer's origin, and for a loopback issuer the same port under
 * the other loopback names too, since a page opened as http://127.0.0.1:3000 is the same service
 * as http://localhost:3000 (and no other machine can be either).
 */
function defaultOrigins(issuer: URL): string[] {
  if (issuer.protocol !== 'http:' || !LOOPBACK_HOSTS.includes(issuer.hostname)) {
    return [issuer.origin]
  }
  const port = issuer.port === '' ? '' : `:${issuer.port}`
  const others = LOOPBACK_HOSTS.filter((host) => host !== issuer.hostname)
  return [issuer.origin, ...others.map((host) => `http://${host}${port}`)]
}

function signingKeys(text: string | undefined): KeyInput[] {
  if (text === undefined) return []
  try {
    return parseSigningKeys(text)
  } catch (error) {
    if (error instanceof SigningKeysError) throw new ConfigError('SIGNING_KEYS', error.message)
    throw error
  }
}

function signingAlg(text: string | undefined): Algorithm {
  if (text === undefined) return 'ES256'
  if (!isAlgorithm(text)) {
    throw new ConfigError('SIGNING_ALG', `must be one of ${ALGORITHMS.join(', ')}`)
  }
  return text
}

// The KEK is never echoed: a wrong one is reported by its shape only.
function keyEncryptionKey(
  value: string | undefined,
  file: string | undefined,
): string | Uint8Array | undefined {
  if (value !== undefined && file !== undefined) {
    throw new ConfigError(
      'KEY_ENCRYPTION_KEY',
      'and KEY_ENCRYPTION_KEY_FILE are both set: pick one',
    )
  }
  if (file === undefined) return value
  try {
    return readKekFile(file)
  } catch (error) {
    const reason =
      error instanceof TypeError
        ? error.message
        : `cannot be read (${(error as NodeJS.ErrnoException).code})`
    throw new ConfigError('KEY_ENCRYPTION_KEY_FILE', reason)
  }
}

// The secret is never echoed: a wrong one is reported by its shape only.
function webhook(url: string | undefined, secret: string | undefined): WebhookConfig | undefined {
  if (url === undefined && secret === undefined) return undefined
  if (url === undefined) throw new ConfigError('WEBHOOK_URL', 'must be set with WEBHOOK_SECRET')
  if (secret === undefined) throw new ConfigError('WEBHOOK_SECRET', 'must be set with WEBHOOK_URL')
  const parsed = parseWebhookSecret(secret)
  if ('reason' in parsed) throw new ConfigError('WEBHOOK_SECRET', parsed.reason)
  // Not echoed either: a receiver's URL may carry a credential of its own.
  const target = URL.canParse(url) ? new URL(url) : undefined
  if (target === undefined || (target.protocol !== 'http:' && target.protocol !== 'https:')) {
    throw new ConfigError('WEBHOOK_URL', 'must be an http(s) URL')
  }
  if (target.hash !== '') throw new ConfigError('WEBHOOK_URL', 'must not have a fragment')
  return Object.freeze({ url: target.href, key: parsed.key })
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

/**
 * Reads the configuration from the environment and parsed flags (flags win). Throws a
 * `ConfigError` naming the first bad variable.
 *
 * @example
 * const config = loadConfig(process.env, { port: '8080' })
 */
export function loadConfig(env: Source = process.env, flags: Source = {}): ServerConfig {
  const get = (name: string) => read(env, flags, name)
  const port = integer('PORT', get('PORT'), 3000, 0, 65535)
  const host = get('HOST') ?? '127.0.0.1'
  const issuerText = get('ISSUER') ?? `http://localhost:${port}`
  const issuerUrl = httpUrl('ISSUER', issuerText)
  if (issuerUrl.search !== '' || issuerUrl.hash !== '') {
    throw new ConfigError('ISSUER', 'must not have a query or fragment (RFC 8414)')
  }
  // RFC 8414 appends paths to the issuer; a trailing slash would double them.
  const issuer = issuerText.replace(/\/+$/, '')
  const audience = get('AUDIENCE') ?? issuer

  const failMode = get('FAIL_MODE') ?? 'closed'
  if (failMode !== 'closed' && failMode !== 'open') {
    throw new ConfigError('FAIL_MODE', `must be "closed" or "open" (got "${failMode}")`)
  }
  const adminToken = get('ADMIN_TOKEN')
  const weakAdminToken = adminToken === undefined ? undefined : weakSecretReason(adminToken)
  if (weakAdminToken !== undefined) throw new ConfigError('ADMIN_TOKEN', weakAdminToken)
  const redisPrefix = get('REDIS_PREFIX') ?? 'rvk:'
  if (/[{}]/.test(redisPrefix)) throw new ConfigError('REDIS_PREFIX', 'must not contain { or }')
  const logLevel = get('LOG_LEVEL') ?? 'info'
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

  const sessionMaxAge = integer('SESSION_MAX_AGE', get('SESSION_MAX_AGE'), 7_776_000, 1, 2 ** 31)
  const rotation = integer(
    'KEY_ROTATION_INTERVAL',
    get('KEY_ROTATION_INTERVAL'),
    2_592_000,
    0,
    2 ** 31,
  )
  return Object.freeze({
    port,
    host,
    issuer,
    audience,
    store: parseStore(get('STORE') ?? 'sqlite:./data/revocable.db'),
    redisPrefix,
    clients: loadClients(get('CLIENTS'), get('CLIENTS_FILE')),
    adminToken,
    accessTokenTtl: integer('ACCESS_TOKEN_TTL', get('ACCESS_TOKEN_TTL'), 300, 1, 86_400),
    sessionIdleTtl: integer('SESSION_IDLE_TTL', get('SESSION_IDLE_TTL'), 1_209_600, 1, 2 ** 31),
    sessionMaxAge,
    sessionCap: integer('SESSION_CAP', get('SESSION_CAP'), 100, 1, 10_000),
    reuseGrace: integer('REUSE_GRACE', get('REUSE_GRACE'), 0, 0, 3600),
    refreshRetryWindow: integer('REFRESH_RETRY_WINDOW', get('REFRESH_RETRY_WINDOW'), 10, 0, 3600),
    failMode,
    cookieMode: boolean('COOKIE_MODE', get('COOKIE_MODE')),
    allowedOrigins,
    loginRateLimit: integer('LOGIN_RATE_LIMIT', get('LOGIN_RATE_LIMIT'), 100, 1, 1_000_000),
    lockout: loadLockout(get),
    bodyLimit: integer('BODY_LIMIT', get('BODY_LIMIT'), 16_384, 1024, 10_485_760),
    logLevel,
    accessLog: boolean('ACCESS_LOG', get('ACCESS_LOG')),
    trustProxy: parseTrustProxy(get('TRUST_PROXY')),
    scryptLogN: integer('SCRYPT_LOG_N', get('SCRYPT_LOG_N'), 15, 10, 20),
    passwordHash: passwordScheme(get('PASSWORD_HASH')),
    signingKeys: signingKeys(get('SIGNING_KEYS')),
    signingAlg: signingAlg(get('SIGNING_ALG')),
    keyEncryptionKey: keyEncryptionKey(get('KEY_ENCRYPTION_KEY'), get('KEY_ENCRYPTION_KEY_FILE')),
    allowPlaintextKeys: boolean('ALLOW_PLAINTEXT_KEYS', get('ALLOW_PLAINTEXT_KEYS')),
    keyRotationInterval: rotation === 0 ? false : rotation,
    keyPublishLead: integer('KEY_PUBLISH_LEAD', get('KEY_PUBLISH_LEAD'), 60, 0, 2 ** 31),
    webhook: webhook(get('WEBHOOK_URL'), get('WEBHOOK_SECRET')),
    stepUpMaxAge: integer('STEP_UP_MAX_AGE', get('STEP_UP_MAX_AGE'), 300, 1, 86_400),
  })
}
