/**
 * Argon2id at OWASP's parameters (issue 20): new hashes are Argon2id through `@node-rs/argon2`,
 * and an existing scrypt hash still logs in and is replaced by an Argon2id one at that login.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../src/server/app.js'
import { loadConfig } from '../../src/service/config.js'
import { openRuntime } from '../../src/service/runtime.js'
import { loadArgon2, PasswordHasher } from '../../src/service/users/password.js'
import { PASSWORD, postJson, testConfig, uniqueName } from './support.js'

const OWASP_PREFIX = '$argon2id$v=19$m=19456,t=2,p=1$'

test('the Argon2 binding loads here', async () => {
  assert.notEqual(await loadArgon2(), undefined)
})

test('a new hash is Argon2id at m=19 MiB, t=2, p=1 and verifies', async () => {
  const hasher = new PasswordHasher({ argon2: await loadArgon2() })
  const stored = await hasher.hash(PASSWORD)
  assert.ok(stored.startsWith(OWASP_PREFIX), stored.slice(0, 40))
  assert.equal(await hasher.verify(PASSWORD, stored), true)
  assert.equal(await hasher.verify('not the password at all', stored), false)
  assert.equal(hasher.needsRehash(stored), false)
})

test('an scrypt hash still verifies under Argon2id and asks to be rehashed', async () => {
  const stored = await new PasswordHasher({ scryptLogN: 10 }).hash(PASSWORD)
  const hasher = new PasswordHasher({ argon2: await loadArgon2() })
  assert.equal(await hasher.verify(PASSWORD, stored), true)
  assert.equal(await hasher.verify('not the password at all', stored), false)
  assert.equal(hasher.needsRehash(stored), true)
})

test('a malformed Argon2 hash, or one without the binding, never verifies', async () => {
  const hasher = new PasswordHasher({ argon2: await loadArgon2() })
  assert.equal(await hasher.verify(PASSWORD, '$argon2id$v=19$m=19456,t=2,p=1$bad'), false)
  const stored = await hasher.hash(PASSWORD)
  assert.equal(await new PasswordHasher({ scryptLogN: 10 }).verify(PASSWORD, stored), false)
})

test('a user registered with scrypt logs in and their hash becomes Argon2id', async () => {
  const config = testConfig({ PASSWORD_HASH: 'argon2id' })
  const runtime = await openRuntime(config)
  const username = uniqueName('argon')
  await runtime.users.create({
    username,
    sub: 'sub-argon',
    passwordHash: await new PasswordHasher({ scryptLogN: 10 }).hash(PASSWORD),
    createdAt: Date.now(),
  })
  const app = await buildApp({ config, runtime })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const service = { url: `http://127.0.0.1:${address.port}` }
  try {
    const first = await postJson(service, '/auth/login', { username, password: PASSWORD })
    assert.equal(first.status, 200)
    const upgraded = (await runtime.users.find(username))?.passwordHash ?? ''
    assert.ok(upgraded.startsWith(OWASP_PREFIX), upgraded.slice(0, 40))
    const second = await postJson(service, '/auth/login', { username, password: PASSWORD })
    assert.equal(second.status, 200)
    const wrong = await postJson(service, '/auth/login', { username, password: 'wrong password!' })
    assert.equal(wrong.status, 401)
  } finally {
    await app.close()
  }
})

test('PASSWORD_HASH takes only argon2id or scrypt, and argon2id is the default', () => {
  assert.equal(loadConfig({ STORE: 'memory' }).passwordHash, 'argon2id')
  assert.equal(testConfig({ PASSWORD_HASH: 'scrypt' }).passwordHash, 'scrypt')
  assert.throws(() => testConfig({ PASSWORD_HASH: 'md5' }), /PASSWORD_HASH/)
})
