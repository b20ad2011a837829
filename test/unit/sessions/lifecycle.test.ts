import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRevocable } from '../../../src/index.js'
import { MemoryStore } from '../../../src/stores/memory.js'
import type { Store } from '../../../src/stores/store.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'

/** A memory store whose user-state reads fail, as a store outage would make them. */
function failingUserState(store: MemoryStore): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      if (name === 'getUserState') return () => Promise.reject(new Error('connection lost'))
      const value = Reflect.get(target, name, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

test('issue needs no user-state read to succeed; a login does (ERR_STORE_UNAVAILABLE)', async () => {
  const clock = manualClock()
  const memory = new MemoryStore({ clock })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'k' }],
    clock,
    store: failingUserState(memory),
  })
  try {
    await auth.verify(await auth.issue({ sub: 'alice' }))
    await assert.rejects(auth.startSession({ sub: 'alice' }), { code: 'ERR_STORE_UNAVAILABLE' })
  } finally {
    await auth.close()
    await memory.close()
  }
})

test('a suspended user still cannot use a token issued while the state was unreadable', async () => {
  const clock = manualClock()
  const memory = new MemoryStore({ clock })
  const options = {
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'k' }],
    clock,
  }
  const admin = await createRevocable({ ...options, store: memory })
  const blind = await createRevocable({ ...options, store: failingUserState(memory) })
  try {
    await admin.suspendUser('mallory')
    clock.advance(1)
    const token = await blind.issue({ sub: 'mallory' })
    await assert.rejects(admin.verify(token), {
      code: 'ERR_TOKEN_REVOKED',
      reason: 'user-suspended',
    })
    await assert.rejects(blind.verify(token), {
      code: 'ERR_TOKEN_REVOKED',
      reason: 'user-suspended',
    })
  } finally {
    await admin.close()
    await blind.close()
    await memory.close()
  }
})
