/**
 * Reading and checking one configuration value each. Defaults are not written here: loadConfig
 * passes an unset variable's default from the table in config-variables.ts.
 */
import { readFileSync } from 'node:fs'
import { ALGORITHMS, isAlgorithm, type Algorithm } from '../keys/algorithms.js'
import type { KeyInput } from '../keys/import.js'
import { readKekFile } from '../stores/kek-file.js'
import { ClientConfigError, parseClients } from './clients.js'
import { ConfigError } from './config-error.js'
import { flagName } from './config-variables.js'
import type { LockoutConfig, StoreSpec, WebhookConfig } from './config.js'
import { redactUrlCredentials } from './redact.js'
import { weakSecretReason } from './secret-strength.js'
import { parseSigningKeys, SigningKeysError } from './signing-keys.js'
import { parseWebhookSecret } from './webhooks/signing.js'

export type Source = Readonly<Record<string, string | boolean | undefined>>

export function read(env: Source, flags: Source, name: string): string | undefined {
  const flag = flags[flagName(name)]
  if (flag !== undefined) return String(flag)
  const value = env[name]
  return value === undefined || value === '' ? undefined : String(value)
}

export function integer(name: string, text: string | undefined, min: number, max: number): number {
  if (text === undefined) throw new TypeError(`${name} has no default`)
  const value = Number(text)
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max} (got "${text}")`)
  }
  return value
}

export function boolean(name: string, text: string | undefined): boolean {
  if (text === undefined) return false
  const value = text.trim().toLowerCase()
  if (['1', 'true', 'yes', 'on'].includes(value)) return true
  if (['0', 'false', 'no', 'off'].includes(value)) return false
  throw new ConfigError(name, `must be true or false (got "${text}")`)
}

export function httpUrl(name: string, text: string): URL {
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

export function parseStore(text: string): StoreSpec {
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

export function loadClients(text: string | undefined, file: string | undefined) {
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

export function loadLockout(get: (name: string) => string | undefined): LockoutConfig {
  const count = (name: string) => integer(name, get(name), 1, 1_000_000)
  const seconds = (name: string) => integer(name, get(name), 1, 2_592_000) * 1000
  const lockMs = seconds('LOCKOUT_SECONDS')
  const maxLockMs = seconds('LOCKOUT_MAX_SECONDS')
  const windowMs = seconds('LOCKOUT_WINDOW')
  if (maxLockMs < lockMs) {
    throw new ConfigError('LOCKOUT_MAX_SECONDS', 'must not be less than LOCKOUT_SECONDS')
  }
  if (windowMs < maxLockMs) {
    throw new ConfigError('LOCKOUT_WINDOW', 'must not be less than LOCKOUT_MAX_SECONDS')
  }
  return Object.freeze({
    pairFailures: count('LOCKOUT_PAIR_FAILURES'),
    userFailures: count('LOCKOUT_USER_FAILURES'),
    ipFailures: count('LOCKOUT_IP_FAILURES'),
    credentialFailures: count('LOCKOUT_CREDENTIAL_FAILURES'),
    lockMs,
    maxLockMs,
    windowMs,
  })
}

export function passwordScheme(text: string | undefined): 'argon2id' | 'scrypt' {
  const value = text
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
export function defaultOrigins(issuer: URL): string[] {
  if (issuer.protocol !== 'http:' || !LOOPBACK_HOSTS.includes(issuer.hostname)) {
    return [issuer.origin]
  }
  const port = issuer.port === '' ? '' : `:${issuer.port}`
  const others = LOOPBACK_HOSTS.filter((host) => host !== issuer.hostname)
  return [issuer.origin, ...others.map((host) => `http://${host}${port}`)]
}

export function signingKeys(text: string | undefined): KeyInput[] {
  if (text === undefined) return []
  try {
    return parseSigningKeys(text)
  } catch (error) {
    if (error instanceof SigningKeysError) throw new ConfigError('SIGNING_KEYS', error.message)
    throw error
  }
}

export function signingAlg(text: string | undefined): Algorithm {
  if (text === undefined || !isAlgorithm(text)) {
    throw new ConfigError('SIGNING_ALG', `must be one of ${ALGORITHMS.join(', ')}`)
  }
  return text
}

// The KEK is never echoed: a wrong one is reported by its shape only.
export function keyEncryptionKey(
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

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']

// The secret is never echoed: a wrong one is reported by its shape only.
export function webhook(
  url: string | undefined,
  secret: string | undefined,
): WebhookConfig | undefined {
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
