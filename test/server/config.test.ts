import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { ConfigError, loadConfig } from '../../src/server/config.js'

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

  test('CLIENTS is parsed into id -> secret', () => {
    const config = loadConfig({ CLIENTS: 'a:aaaaaaaaaaaaaaaa, b:bbbbbbbbbbbbbbbb:with-colon' })
    assert.equal(config.clients.get('a'), 'aaaaaaaaaaaaaaaa')
    assert.equal(config.clients.get('b'), 'bbbbbbbbbbbbbbbb:with-colon')
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
      [{ CLIENTS: 'a:aaaaaaaaaaaaaaaa,a:bbbbbbbbbbbbbbbb' }, 'CLIENTS'],
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
      [{ TRUST_PROXY: '2' }, 'TRUST_PROXY'],
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
