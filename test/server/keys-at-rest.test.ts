/**
 * Issue 19, item 3: no private key or secret in clear in the store of a running service. The
 * store is dumped as a thief would (the SQLite files; Redis SCAN + GET and friends) and searched
 * for private JWK members, PEM headers and the key bytes themselves.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createClient } from 'redis'
import { openSealedKey, parseKeyEncryptionKey } from '../../src/keys/envelope.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { SqliteStore } from '../../src/stores/sqlite.js'
import type { StoredKey } from '../../src/stores/store.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'
import { ADMIN_TOKEN, me, signUp, startService, type Service } from './support.js'

/** Everything a thief must not find, for each stored key: its private members in any encoding. */
function secretsOf(keys: StoredKey[], kek: Uint8Array): Buffer[] {
  const secrets: Buffer[] = []
  for (const key of keys) {
    if (key.origin === 'config') continue
    assert.ok(key.sealed, `key ${key.kid} is sealed`)
    const jwk = openSealedKey(parseKeyEncryptionKey(kek, 'kek'), key.kid, key.alg, key.sealed)
    for (const member of ['d', 'k', 'p', 'q', 'dp', 'dq', 'qi']) {
      const value = jwk[member]
      if (typeof value !== 'string') continue
      const raw = Buffer.from(value, 'base64url')
      secrets.push(Buffer.from(value), raw, Buffer.from(raw.toString('hex')))
      secrets.push(Buffer.from(raw.toString('base64')))
    }
  }
  assert.ok(secrets.length > 0, 'there were secrets to look for')
  return secrets
}

function assertNothingInClear(dump: Buffer, secrets: Buffer[]): void {
  assert.equal(dump.indexOf('"d":'), -1, 'a private JWK member "d" in clear')
  assert.equal(dump.indexOf('"k":'), -1, 'an HMAC JWK member "k" in clear')
  assert.equal(dump.indexOf('-----BEGIN'), -1, 'a PEM header')
  for (const secret of secrets) assert.equal(dump.indexOf(secret), -1, 'key bytes in clear')
}

async function exercise(service: Service): Promise<void> {
  const { tokens } = await signUp(service)
  assert.equal((await me(service, tokens.access_token)).status, 200)
  const rotated = await fetch(`${service.url}/admin/keys/rotate`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
  })
  assert.equal(rotated.status, 200)
}

for (const alg of ['ES256', 'HS256'] as const) {
  describe(`a running ${alg} service keeps no key in clear`, () => {
    test('in its SQLite file; the KEK sits beside it in a 0600 file', async (t) => {
      const dir = mkdtempSync(join(tmpdir(), 'revocable-at-rest-'))
      t.after(() => rmSync(dir, { recursive: true, force: true }))
      const path = join(dir, 'revocable.db')
      // No KEY_ENCRYPTION_KEY: the embedded default makes its own KEK file.
      const service = await startService({
        STORE: `sqlite:${path}`,
        SIGNING_ALG: alg,
        KEY_ENCRYPTION_KEY: '',
      })
      try {
        await exercise(service)
        const kekPath = `${path}.kek`
        assert.ok(existsSync(kekPath))
        assert.equal(statSync(kekPath).mode & 0o777, 0o600)
        const dump = Buffer.concat(
          [path, `${path}-wal`].filter(existsSync).map((file) => readFileSync(file)),
        )
        const store = new SqliteStore({ path })
        try {
          const kek = parseKeyEncryptionKey(readFileSync(kekPath, 'utf8').trim(), 'kek').bytes
          const keys = await store.listKeys()
          assert.equal(keys.length, 2)
          assertNothingInClear(dump, secretsOf(keys, kek))
        } finally {
          await store.close()
        }
      } finally {
        await service.close()
      }
    })

    test('in Redis (SCAN, then GET / HGETALL / SMEMBERS / XRANGE of every key)', async (t) => {
      const prefix = `rvk-test:at-rest:${randomBytes(6).toString('hex')}:`
      t.after(() => deletePrefix(REDIS_URL, prefix))
      const kek = randomBytes(32)
      const service = await startService({
        STORE: REDIS_URL,
        REDIS_PREFIX: prefix,
        SIGNING_ALG: alg,
        KEY_ENCRYPTION_KEY: kek.toString('base64'),
      })
      const client = createClient({ url: REDIS_URL })
      await client.connect()
      try {
        await exercise(service)
        const parts: string[] = []
        for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
          for (const key of keys) {
            // Raw values, never re-encoded: JSON.stringify would escape the quotes searched for.
            const type = await client.type(key)
            if (type === 'string') parts.push(String(await client.get(key)))
            else if (type === 'hash') parts.push(...Object.values(await client.hGetAll(key)))
            else if (type === 'set') parts.push(...(await client.sMembers(key)))
            else if (type === 'zset') parts.push(...(await client.zRange(key, 0, -1)))
            else if (type === 'stream') {
              for (const entry of await client.xRange(key, '-', '+')) {
                parts.push(...Object.values(entry.message as Record<string, string>))
              }
            } else parts.push(String(await client.dump(key)))
          }
        }
        const store = await RedisStore.connect({ url: REDIS_URL, prefix, warn: () => {} })
        try {
          const keys = await store.listKeys()
          assert.equal(keys.length, 2)
          assertNothingInClear(Buffer.from(parts.join('\n')), secretsOf(keys, kek))
        } finally {
          await store.close()
        }
      } finally {
        await client.close()
        await service.close()
      }
    })
  })
}
