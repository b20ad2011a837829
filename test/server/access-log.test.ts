/**
 * Per-request access logging is off by default (it costs CPU on every request); ACCESS_LOG turns
 * it on. Audit lines, warnings and errors are written either way.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { captureLogs } from '../support/log-capture.js'
import { me, signUp, startService, testConfig } from './support.js'

/** The lines Fastify writes for each request ("incoming request", "request completed"). */
function accessLines(lines: readonly string[]): string[] {
  return lines.filter((line) => {
    const record = JSON.parse(line) as { req?: unknown; res?: unknown }
    return record.req !== undefined || record.res !== undefined
  })
}

test('with the defaults a request writes no access log line, while audit lines stay', async () => {
  const logs = captureLogs()
  const service = await startService({ LOG_LEVEL: 'info' }, logs.stream)
  try {
    const { tokens } = await signUp(service)
    assert.equal((await me(service, tokens.access_token)).status, 200)
    const logout = await fetch(`${service.url}/auth/logout`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.access_token}` },
    })
    assert.equal(logout.status, 204)
    assert.deepEqual(accessLines(logs.lines), [])
    assert.ok(
      logs.lines.some((line) => line.includes('"audit":"revocation"')),
      'the logout left no audit line',
    )
  } finally {
    await service.close()
  }
})

test('ACCESS_LOG=true writes the access log lines, with query values redacted', async () => {
  const logs = captureLogs()
  const service = await startService({ LOG_LEVEL: 'info', ACCESS_LOG: 'true' }, logs.stream)
  try {
    const response = await fetch(`${service.url}/auth/me?access_token=secret-value-0123`)
    assert.equal(response.status, 401)
    const lines = accessLines(logs.lines)
    assert.ok(lines.some((line) => line.includes('/auth/me?access_token=[redacted]')))
    assert.ok(lines.some((line) => line.includes('"statusCode":401')))
    assert.deepEqual(logs.linesWith('secret-value-0123'), [])
  } finally {
    await service.close()
  }
})

test('ACCESS_LOG takes only true or false', () => {
  assert.equal(testConfig().accessLog, false)
  assert.equal(testConfig({ ACCESS_LOG: 'true' }).accessLog, true)
  assert.throws(
    () => testConfig({ ACCESS_LOG: 'verbose' }),
    (error: Error) => error.name === 'ConfigError' && error.message.startsWith('ACCESS_LOG'),
  )
})
