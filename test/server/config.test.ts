import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConfigError, loadConfig } from '../../src/service/config.js'

describe('loadConfig', () => {
  test('the defaults serve SQLite under ./data on port 3000', () => {
    const config = loadConfig({})
    assert.equal(config.port, 3000)
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.issuer, 'http://localhost:3000')
    assert.equal(config.audience, 'http://localhost:3000')
    assert.deepEqual(config.store, { kind: 'sqlite', path: './data/revocable.db' })
    assert.equal(config.failMode, 'closed')
    assert.equal(config.cookieMode, false)
    assert.equal(config.adminToken, undefined)
    assert.deepEqual(config.allowedOrigins, [
      'http://localhost:3000',
      'http://127.0.0.1:3000',
      'http://[::1]:3000',
    ])
    assert.equal(config.clients.size, 0)
  })

  test('the issuer follows PORT, and a flag wins over the environment', () => {
    const config = loadConfig({ PORT: '8080', STORE: 'memory' }, { port: '9090' })
    assert.equal(config.port, 9090)
    assert.equal(config.issuer, 'http://localhost:9090')
  })

  test('every store form is understood', () => {
    assert.deepEqual(loadConfig({ STORE: 'memory' }).store, { kind: 'memory' })
    assert.deepEqual(loadConfig({ STORE: 'redis://h:6379/0' }).store, {
      kind: 'redis',
      url: 'redis://h:6379/0',
    })
    assert.deepEqual(loadConfig({ STORE: 'redis-cluster://a:7000,b:7001' }).store, {
      kind: 'redis-cluster',
      urls: ['redis://a:7000', 'redis://b:7001'],
    })
    assert.deepEqual(loadConfig({ STORE: 'sqlite:/tmp/x.db' }).store, {
      kind: 'sqlite',
      path: '/tmp/x.db',
    })
  })

  test('CLIENTS id:secret pairs get the default rights', () => {
    const config = loadConfig({ CLIENTS: 'a:Q7m2xVb9LkP4wZr8, b:N3f8cTy6HjW1qEs5:with-colon' })
    assert.equal(config.clients.get('a')?.secret, 'Q7m2xVb9LkP4wZr8')
    assert.equal(config.clients.get('b')?.secret, 'N3f8cTy6HjW1qEs5:with-colon')
    assert.deepEqual(config.clients.get('a'), {
      id: 'a',
      secret: 'Q7m2xVb9LkP4wZr8',
      grantTypes: ['refresh_token', 'client_credentials'],
      scopes: [],
      resourceServer: true,
    })
  })

  test('a bad value throws a ConfigError naming the variable', () => {
    const cases: [Record<string, string>, string][] = [
      [{ PORT: '70000' }, 'PORT'],
      [{ PORT: '3.5' }, 'PORT'],
      [{ ISSUER: 'not a url' }, 'ISSUER'],
      [{ ISSUER: 'ftp://x' }, 'ISSUER'],
      [{ ISSUER: 'https://x/?q=1' }, 'ISSUER'],
      [{ STORE: 'postgres://x' }, 'STORE'],
      [{ STORE: 'sqlite:' }, 'STORE'],
      [{ STORE: 'redis-cluster://nohostport' }, 'STORE'],
      [{ CLIENTS: 'no-secret' }, 'CLIENTS'],
      [{ CLIENTS: 'a:short' }, 'CLIENTS'],
      [{ CLIENTS: 'a:Q7m2xVb9LkP4wZr8,a:N3f8cTy6HjW1qEs5' }, 'CLIENTS'],
      [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN'],
      [{ ACCESS_TOKEN_TTL: '0' }, 'ACCESS_TOKEN_TTL'],
      [{ SESSION_IDLE_TTL: '-1' }, 'SESSION_IDLE_TTL'],
      [{ SESSION_MAX_AGE: 'forever' }, 'SESSION_MAX_AGE'],
      [{ REUSE_GRACE: 'x' }, 'REUSE_GRACE'],
      [{ FAIL_MODE: 'sometimes' }, 'FAIL_MODE'],
      [{ COOKIE_MODE: 'maybe' }, 'COOKIE_MODE'],
      [{ ALLOWED_ORIGINS: 'nope' }, 'ALLOWED_ORIGINS'],
      [{ LOGIN_RATE_LIMIT: '0' }, 'LOGIN_RATE_LIMIT'],
      [{ BODY_LIMIT: '10' }, 'BODY_LIMIT'],
      [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
      [{ TRUST_PROXY: 'true' }, 'TRUST_PROXY'],
      [{ TRUST_PROXY: '10.0.0.0/33' }, 'TRUST_PROXY'],
      [{ TRUST_PROXY: 'proxy.internal' }, 'TRUST_PROXY'],
      [{ REDIS_PREFIX: 'a{b}' }, 'REDIS_PREFIX'],
      [{ SCRYPT_LOG_N: '30' }, 'SCRYPT_LOG_N'],
    ]
    for (const [env, variable] of cases) {
      assert.throws(
        () => loadConfig(env),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === variable &&
          error.message.startsWith(`${variable} (--`),
        JSON.stringify(env),
      )
    }
  })
})

describe('weak secrets are refused at start', () => {
  for (const weak of [
    'aaaaaaaaaaaaaaaa',
    'abcdefghijklmnop',
    'abababababababab',
    '1234567890123456',
  ]) {
    test(`CLIENTS with the secret "${weak}" is a ConfigError`, () => {
      assert.throws(
        () => loadConfig({ CLIENTS: `backend:${weak}` }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'CLIENTS' &&
          error.message.includes('too little entropy'),
      )
    })
    test(`ADMIN_TOKEN "${weak}" is a ConfigError`, () => {
      assert.throws(
        () => loadConfig({ ADMIN_TOKEN: weak }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'ADMIN_TOKEN' &&
          error.message.includes('too little entropy'),
      )
    })
  }

  test('random secrets of 16+ characters are accepted', () => {
    const config = loadConfig({
      CLIENTS: 'backend:Q7m2xVb9LkP4wZr8',
      ADMIN_TOKEN: 'c2VjcmV0LXJhbmRvbS1ieXRlcy0wMTIz',
    })
    assert.equal(config.adminToken, 'c2VjcmV0LXJhbmRvbS1ieXRlcy0wMTIz')
  })
})

describe('CLIENTS in its JSON form', () => {
  test('declares public and confidential clients with their rights', () => {
    const config = loadConfig({
      CLIENTS: JSON.stringify([
        { id: 'spa', public: true },
        { id: 'rs', secret: 'Q7m2xVb9LkP4wZr8', resource_server: true, scopes: ['a', 'b'] },
      ]),
    })
    const spa = config.clients.get('spa')
    const rs = config.clients.get('rs')
    assert.equal(spa?.secret, undefined)
    assert.deepEqual(spa?.grantTypes, ['refresh_token'])
    assert.equal(rs?.resourceServer, true)
    assert.deepEqual(rs?.scopes, ['a', 'b'])
  })

  test('CLIENTS_FILE reads the same JSON from a file, and not together with CLIENTS', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rvk-clients-'))
    try {
      const file = join(dir, 'clients.json')
      writeFileSync(file, JSON.stringify([{ id: 'spa', public: true }]))
      assert.equal(loadConfig({ CLIENTS_FILE: file }).clients.get('spa')?.secret, undefined)
      assert.throws(
        () => loadConfig({ CLIENTS_FILE: file, CLIENTS: 'a:Q7m2xVb9LkP4wZr8' }),
        (error: unknown) => error instanceof ConfigError && error.variable === 'CLIENTS_FILE',
      )
      assert.throws(
        () => loadConfig({ CLIENTS_FILE: join(dir, 'missing.json') }),
        (error: unknown) => error instanceof ConfigError && error.variable === 'CLIENTS_FILE',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test('a weak secret in the JSON form is refused without being quoted', () => {
    assert.throws(
      () => loadConfig({ CLIENTS: JSON.stringify([{ id: 'rs', secret: 'aaaaaaaaaaaaaaaa' }]) }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message.includes('the secret of client "rs" has too little entropy') &&
        !error.message.includes('aaaaaaaaaaaaaaaa'),
    )
  })

  test('a bad entry is a ConfigError naming the client and the field', () => {
    const cases: [unknown, string][] = [
      [[{ id: 'x' }], 'client "x" needs a secret, or "public": true'],
      [[{ id: 'x', public: true, secret: 'Q7m2xVb9LkP4wZr8' }], 'client "x" is public'],
      [[{ id: 'x', public: true, resource_server: true }], 'client "x" is public'],
      [[{ id: 'x', secret: 'Q7m2xVb9LkP4wZr8', grant_types: ['password'] }], 'grant_types'],
      [[{ id: 'x', secret: 'Q7m2xVb9LkP4wZr8', colour: 'red' }], 'unknown field "colour"'],
      [{ id: 'x' }, 'must be a JSON array'],
    ]
    for (const [value, fragment] of cases) {
      assert.throws(
        () => loadConfig({ CLIENTS: JSON.stringify(value) }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.variable === 'CLIENTS' &&
          error.message.includes(fragment),
        fragment,
      )
    }
  })
})

describe('LOCKOUT_*', () => {
  test('the defaults are Auth0 and Keycloak shaped', () => {
    assert.deepEqual(loadConfig({}).lockout, {
      pairFailures: 10,
      userFailures: 30,
      ipFailures: 100,
      credentialFailures: 50,
      lockMs: 60_000,
      maxLockMs: 900_000,
      windowMs: 43_200_000,
    })
    assert.equal(loadConfig({}).loginRateLimit, 100)
  })

  test('a longest lock shorter than the first, or a window shorter than the longest lock, is refused', () => {
    assert.throws(
      () => loadConfig({ LOCKOUT_SECONDS: '120', LOCKOUT_MAX_SECONDS: '60' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'LOCKOUT_MAX_SECONDS',
    )
    assert.throws(
      () => loadConfig({ LOCKOUT_MAX_SECONDS: '900', LOCKOUT_WINDOW: '600' }),
      (error: unknown) => error instanceof ConfigError && error.variable === 'LOCKOUT_WINDOW',
    )
  })
})
