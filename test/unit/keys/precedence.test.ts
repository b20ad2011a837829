/**
 * Issue 19, item 2: one precedence rule on every store. Configured keys always sign; keys found in
 * the store only verify when keys are configured; an instance never signs with an algorithm or a
 * key it was not configured for; a mixed fleet is reported at start.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createRevocable, type RevocableOptions } from '../../../src/index.js'
import { MemoryStore } from '../../../src/stores/memory.js'
import { RedisStore } from '../../../src/stores/redis/index.js'
import { SqliteStore } from '../../../src/stores/sqlite.js'
import type { Store } from '../../../src/stores/store.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../../support/auth.js'
import { manualClock, type ManualClock } from '../../support/clock.js'
import { parts } from '../../support/forge.js'
import { deletePrefix, REDIS_URL } from '../../support/redis.js'

const header = (token: string) => parts(token).header as { alg: string; kid: string }

interface Shared {
  /** A second handle on the same state, as a second instance would open it. */
  open(): Promise<Store>
  cleanup(): Promise<void>
}

const STORES: Record<string, (clock: ManualClock) => Promise<Shared>> = {
  async memory(clock) {
    const store = new MemoryStore({ clock })
    return { open: async () => store, cleanup: async () => {} }
  },
  async sqlite(clock) {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-precedence-'))
    const opened: SqliteStore[] = []
    return {
      async open() {
        const store = new SqliteStore({ path: join(dir, 'store.db'), clock })
        opened.push(store)
        return store
      },
      async cleanup() {
        for (const store of opened) await store.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
  async redis(clock) {
    const prefix = `rvk-test:${randomBytes(6).toString('hex')}:`
    const opened: RedisStore[] = []
    return {
      async open() {
        const store = await RedisStore.connect({ url: REDIS_URL, prefix, clock, warn: () => {} })
        opened.push(store)
        return store
      },
      async cleanup() {
        for (const store of opened) await store.close()
        await deletePrefix(REDIS_URL, prefix)
      },
    }
  },
}

const hmacKey = { secret: HMAC_SECRET, kid: 'configured-hs256' }

for (const [name, makeShared] of Object.entries(STORES)) {
  describe(`key precedence on ${name}`, () => {
    async function fleet(t: { after(fn: () => Promise<void>): void }) {
      const clock = manualClock()
      const shared = await makeShared(clock)
      const warnings: string[] = []
      const instances: { close(): Promise<void> }[] = []
      t.after(async () => {
        for (const instance of instances) await instance.close()
        await shared.cleanup()
      })
      const open = async (options: Partial<RevocableOptions> = {}) => {
        const auth = await createRevocable({
          issuer: ISSUER,
          audience: AUDIENCE,
          store: await shared.open(),
          clock,
          replica: false,
          allowPlaintextKeys: true,
          warn: (message) => warnings.push(message),
          ...options,
        })
        instances.push(auth)
        return auth
      }
      return { clock, open, warnings }
    }

    test('a configured HS256 key signs although another instance generated an ES256 key', async (t) => {
      const { open, clock } = await fleet(t)
      const generating = await open()
      clock.advance(1000)
      const configured = await open({ keys: [hmacKey] })
      const token = await configured.issue({ sub: 'alice' })
      assert.deepEqual(header(token), { ...header(token), alg: 'HS256', kid: 'configured-hs256' })
      // And it stays that way after a rotation elsewhere and a reload here.
      clock.advance(1000)
      await generating.rotateKeys()
      await configured.reloadKeys()
      assert.equal(header(await configured.issue({ sub: 'alice' })).kid, 'configured-hs256')
      assert.equal(configured.listKeys().find((key) => key.signing)?.source, 'config')
    })

    test('keys found in the store only verify on an instance with configured keys', async (t) => {
      const { open } = await fleet(t)
      const generating = await open()
      const configured = await open({ keys: [hmacKey] })
      const stored = generating.listKeys()[0]?.kid as string
      const token = await generating.issue({ sub: 'alice' })
      assert.equal((await configured.verify(token)).sub, 'alice')
      const info = configured.listKeys().find((key) => key.kid === stored)
      assert.equal(info?.signing, false)
      assert.equal(info?.canSign, false)
      await assert.rejects(configured.rotateKeys(), TypeError)
    })

    test('an instance never signs with an algorithm it was not configured for', async (t) => {
      const { open, clock } = await fleet(t)
      const eddsa = await open({ algorithm: 'EdDSA' })
      clock.advance(1000)
      const es256 = await open({ algorithm: 'ES256' })
      assert.equal(header(await es256.issue({ sub: 'alice' })).alg, 'ES256')
      assert.equal(header(await eddsa.issue({ sub: 'alice' })).alg, 'EdDSA')
      // Each verifies the other's tokens: they share the store's keys.
      assert.equal((await es256.verify(await eddsa.issue({ sub: 'bob' }))).sub, 'bob')
      await eddsa.reloadKeys()
      assert.equal((await eddsa.verify(await es256.issue({ sub: 'bob' }))).sub, 'bob')
      assert.equal(header(await eddsa.issue({ sub: 'alice' })).alg, 'EdDSA')
    })

    test('a mixed fleet is reported at start, by configured and unconfigured instances', async (t) => {
      const { open, warnings } = await fleet(t)
      await open()
      assert.deepEqual(warnings, [])
      await open({ keys: [hmacKey] })
      assert.equal(warnings.length, 1)
      assert.match(String(warnings[0]), /mixed fleet/)
      warnings.length = 0
      await open()
      assert.equal(warnings.length, 1)
      assert.match(String(warnings[0]), /mixed fleet/)
      // The secret is never part of a warning.
      assert.ok(!warnings.join('\n').includes(HMAC_SECRET))
    })
  })
}
