/**
 * Issue 19, item 3: private keys are sealed at rest, plaintext keys migrate, a wrong KEK stops the
 * start (never a silent new key), and a shared store gets no plaintext key unless asked.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { createRevocable } from '../../../src/index.js'
import { RedisStore } from '../../../src/stores/redis/index.js'
import { SqliteStore } from '../../../src/stores/sqlite.js'
import { AUDIENCE, ISSUER } from '../../support/auth.js'
import { deletePrefix, REDIS_URL } from '../../support/redis.js'

const base = { issuer: ISSUER, audience: AUDIENCE, keyPublishLead: 0 }

function tempDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-kek-'))
  t.after(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

test('a store written in plaintext is sealed once a KEK is configured; tokens keep verifying', async (t) => {
  const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
  t.after(() => deletePrefix(REDIS_URL, prefix))
  const open = () => RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  const store = await open()
  t.after(() => store.close())
  const plain = await createRevocable({ ...base, store, replica: false, allowPlaintextKeys: true })
  const token = await plain.issue({ sub: 'alice' })
  const [record] = await store.listKeys()
  assert.equal(typeof record?.jwk.d, 'string', 'stored in plaintext, as asked')
  await plain.close()

  const kek = randomBytes(32)
  const sealed = await createRevocable({ ...base, store, replica: false, keyEncryptionKey: kek })
  const [migrated] = await store.listKeys()
  assert.equal(migrated?.kid, record?.kid)
  assert.equal(migrated?.jwk.d, undefined)
  assert.ok(migrated?.sealed)
  assert.equal((await sealed.verify(token)).sub, 'alice')
  assert.equal(sealed.listKeys().find((key) => key.signing)?.kid, record?.kid)
  await sealed.close()
})

test('a wrong KEK fails the start with ERR_KEY_DECRYPTION_FAILED and makes no new key', async (t) => {
  const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
  t.after(() => deletePrefix(REDIS_URL, prefix))
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  t.after(() => store.close())
  const first = await createRevocable({
    ...base,
    store,
    replica: false,
    keyEncryptionKey: randomBytes(32),
  })
  await first.close()
  const before = await store.listKeys()
  await assert.rejects(
    createRevocable({ ...base, store, replica: false, keyEncryptionKey: randomBytes(32) }),
    (error: Error & { code?: string }) =>
      error.code === 'ERR_KEY_DECRYPTION_FAILED' &&
      /another key-encryption key/.test(error.message),
  )
  await assert.rejects(createRevocable({ ...base, store, replica: false }), TypeError)
  await assert.rejects(
    createRevocable({ ...base, store, replica: false, allowPlaintextKeys: true }),
    { code: 'ERR_KEY_DECRYPTION_FAILED' },
  )
  assert.deepEqual(await store.listKeys(), before)
})

test('without a KEK a Redis store gets no private key, unless allowPlaintextKeys', async (t) => {
  const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
  t.after(() => deletePrefix(REDIS_URL, prefix))
  const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
  t.after(() => store.close())
  await assert.rejects(
    createRevocable({ ...base, store, replica: false }),
    (error: Error) => error instanceof TypeError && /keyEncryptionKey/.test(error.message),
  )
  assert.deepEqual(await store.listKeys(), [])
})

test('the SQLite KEK file is made 0600 beside the database; one others may read is refused', async (t) => {
  const dir = tempDir(t)
  const path = join(dir, 'store.db')
  writeFileSync(`${path}.kek`, `${randomBytes(32).toString('base64url')}\n`)
  chmodSync(`${path}.kek`, 0o644)
  const store = new SqliteStore({ path })
  t.after(() => store.close())
  await assert.rejects(
    createRevocable({ ...base, store }),
    (error: Error) => error instanceof TypeError && /chmod 600/.test(error.message),
  )
  assert.deepEqual(await store.listKeys(), [])
  chmodSync(`${path}.kek`, 0o600)
  const auth = await createRevocable({ ...base, store })
  const [record] = await store.listKeys()
  assert.ok(record?.sealed)
  assert.equal((await auth.verify(await auth.issue({ sub: 'alice' }))).sub, 'alice')
})
