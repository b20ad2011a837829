import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import { promisify } from 'node:util'
import { REDIS_URL, deletePrefix } from '../support/redis.js'
import {
  ROOT,
  assertBuilt,
  call,
  revokedSession,
  startExample,
  type RunningExample,
} from './process.js'

const prefix = `test:two-instances:${randomBytes(6).toString('hex')}:`
const instances: RunningExample[] = []
after(async () => {
  for (const instance of instances) await instance.stop()
  await deletePrefix(REDIS_URL, prefix)
})

test('a session revoked on instance A is rejected by instance B', async () => {
  const env = {
    REDIS_URL,
    REDIS_PREFIX: prefix,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('base64url'),
  }
  // In turn: A generates the signing key into Redis, B loads it at start.
  const a = await startExample('two-instances/server.js', { ...env, INSTANCE: 'A' })
  instances.push(a)
  const b = await startExample('two-instances/server.js', { ...env, INSTANCE: 'B' })
  instances.push(b)

  const login = await call(a.url, 'POST', '/login', { body: { username: 'alice' } })
  const token = (login.body as { access_token: string }).access_token
  const before = await call(b.url, 'GET', '/me', { token })
  assert.equal(before.status, 200)
  assert.deepEqual(before.body, { sub: 'alice', instance: 'B' })

  assert.equal((await call(a.url, 'POST', '/logout', { token })).status, 200)
  // B's replica is at most maxStaleness (1 s) behind Redis: wait for it, within a generous bound.
  let answer = await call(b.url, 'GET', '/me', { token })
  for (let tries = 0; answer.status === 200 && tries < 50; tries += 1) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    answer = await call(b.url, 'GET', '/me', { token })
  }
  assert.equal(answer.status, 401)
  assert.deepEqual(answer.body, revokedSession)
})

test('the one-command demo runs both instances and exits 0', async () => {
  assertBuilt()
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['examples/two-instances/index.js'],
    {
      cwd: ROOT,
      env: { ...process.env, REDIS_URL },
      timeout: 30_000,
    },
  )
  assert.match(
    stdout,
    /GET \/me on B → 200\nPOST \/logout on A → 200\n(GET \/me on B → 200\n)*GET \/me on B → 401\nB rejects the token revoked on A\n$/,
  )
})
