// Secrets stay out of logs and error messages (issue 11): a token in a query string, the
// password of a STORE URL on a start-up failure or a bad configuration.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { main } from '../../src/cli/main.js'
import { ConfigError, loadConfig } from '../../src/service/config.js'
import { redactQuery, redactUrlCredentials } from '../../src/service/redact.js'
import { captureLogs } from '../support/log-capture.js'
import { freePort, signUp, startService } from './support.js'

test('the userinfo of every URL in a text is redacted', () => {
  assert.equal(
    redactUrlCredentials('at redis://app:s3cret@db:6379 and rediss://:pw@x, not http://host/a@b'),
    'at redis://[redacted]@db:6379 and rediss://[redacted]@x, not http://host/a@b',
  )
  assert.equal(
    redactUrlCredentials('redis-cluster://u:p@a:1,b:2'),
    'redis-cluster://[redacted]@a:1,b:2',
  )
})

test('every query value, and any name that is not plain, is redacted from a request target', () => {
  assert.equal(
    redactQuery('/auth/me?access_token=eyJ.a.b&x=1&flag'),
    '/auth/me?access_token=[redacted]&x=[redacted]&flag',
  )
  assert.equal(
    redactQuery('/auth/me?eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ1In0.c2ln'),
    '/auth/me?[redacted]',
  )
  assert.equal(redactQuery('/auth/me'), '/auth/me')
})

test('a token sent as ?access_token= never reaches the request log', async () => {
  const logs = captureLogs()
  const service = await startService({ LOG_LEVEL: 'info', ACCESS_LOG: 'true' }, logs.stream)
  try {
    const { tokens } = await signUp(service)
    const token = tokens.access_token
    const response = await fetch(`${service.url}/auth/me?access_token=${token}&${token}`)
    assert.equal(response.status, 401)
    assert.ok(logs.lines.some((line) => line.includes('/auth/me?access_token=[redacted]')))
    assert.deepEqual(logs.linesWith(token), [])
    assert.deepEqual(logs.linesWith(tokens.refresh_token), [])
  } finally {
    await service.close()
  }
})

test('a STORE password is not in the ConfigError of a bad Redis URL', () => {
  assert.throws(
    () => loadConfig({ STORE: 'redis://app:s3cret-pass@db:99999999' }),
    (error: unknown) => {
      assert.ok(error instanceof ConfigError)
      assert.doesNotMatch(error.message, /s3cret-pass/)
      assert.match(error.message, /redis:\/\/\[redacted\]@db/)
      return true
    },
  )
})

test('a STORE password is not printed when revocable serve cannot reach Redis', async () => {
  const port = await freePort() // nothing listens there
  const printed: string[] = []
  const warn = console.warn
  console.warn = (...args: unknown[]) => void printed.push(args.map(String).join(' '))
  let code: number | 'running'
  try {
    code = await main(['serve', '--port', '0', '--log-level', 'silent'], {
      out: (text) => void printed.push(text),
      err: (text) => void printed.push(text),
      env: { STORE: `redis://app:s3cret-pass@127.0.0.1:${port}`, ISSUER: 'http://x.test' },
    })
  } finally {
    console.warn = warn
  }
  assert.equal(code, 1)
  const output = printed.join('\n')
  assert.match(output, /could not connect to Redis at redis:\/\/\[redacted\]@127\.0\.0\.1/)
  assert.doesNotMatch(output, /s3cret-pass/)
})
