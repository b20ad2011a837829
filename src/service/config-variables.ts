/**
 * The service's configuration variables: name, default and meaning, written once. Each has a
 * command-line flag of the same name in kebab case (`SESSION_IDLE_TTL`, `--session-idle-ttl`).
 */

export interface Variable {
  readonly name: string
  /** The default as text: what loadConfig reads when the variable is unset ('' : none). */
  readonly default: string
  readonly description: string
  /** A bare flag (`--cookie-mode`) rather than one that takes a value. */
  readonly boolean?: true
  /** The default is worked out from other values; `default` describes it in words. */
  readonly derived?: true
}

/**
 * Every variable, its default (as text) and meaning: the one place a default is written.
 * loadConfig reads an unset variable's default from here, and a test compares this table with
 * docs/service.md's.
 */
export const VARIABLES: readonly Variable[] = deepFreeze([
  { name: 'PORT', default: '3000', description: 'TCP port (0: any free port)' },
  { name: 'HOST', default: '127.0.0.1', description: 'interface to listen on' },
  {
    name: 'ISSUER',
    default: 'http://localhost:$PORT',
    description: '`iss` of every token',
    derived: true,
  },
  { name: 'AUDIENCE', default: 'the issuer', description: '`aud` of every token', derived: true },
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
    derived: true,
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
    default: 'SQLite: `<db>.kek`; Redis: none (refused)',
    description: '32 bytes (base64 or hex) sealing stored private keys',
    derived: true,
  },
  {
    name: 'KEY_ENCRYPTION_KEY_FILE',
    default: '',
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
])

/** `SESSION_IDLE_TTL` -> `session-idle-ttl`. */
export function flagName(variable: string): string {
  return variable.toLowerCase().replace(/_/g, '-')
}

/** The parseArgs option table for every configuration flag. */
export function configFlags(): Record<string, { type: 'string' | 'boolean' }> {
  return Object.fromEntries(
    VARIABLES.map((v) => [flagName(v.name), { type: v.boolean ? 'boolean' : 'string' }]),
  )
}

const BY_NAME: ReadonlyMap<string, Variable> = new Map(VARIABLES.map((v) => [v.name, v]))

/**
 * The default loadConfig uses for an unset variable: the table's text, or undefined when there
 * is none ('') or it is worked out from other values (`derived`).
 *
 * @example
 * defaultOf('PORT') // '3000'
 */
export function defaultOf(name: string): string | undefined {
  const variable = BY_NAME.get(name)
  if (variable === undefined) throw new TypeError(`unknown configuration variable "${name}"`)
  return variable.derived === true || variable.default === '' ? undefined : variable.default
}

function deepFreeze<T extends readonly object[]>(items: T): T {
  for (const item of items) Object.freeze(item)
  return Object.freeze(items)
}
