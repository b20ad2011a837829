import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRevocable, MemoryStore } from '../../../src/index.js'
import type { StoredKey } from '../../../src/store.js'
import { AUDIENCE, ISSUER } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'

/** A shared store whose next key listing is empty: what an instance starting with a sibling saw. */
class StartingTogether extends MemoryStore {
  #hideKeys = false
  hideKeysOnce(): void {
    this.#hideKeys = true
  }
  override async listKeys(): Promise<StoredKey[]> {
    if (!this.#hideKeys) return super.listKeys()
    this.#hideKeys = false
    return []
  }
}

test("two instances starting together on an empty store accept each other's first tokens at once", async () => {
  // B starts on the empty store and generates its key; A, started at the same moment, saw no key
  // either and generated its own, which reached the store after B had loaded its ring.
  const clock = manualClock()
  const store = new StartingTogether({ clock })
  const b = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, store, clock })
  clock.advance(1)
  store.hideKeysOnce()
  const a = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, store, clock })
  try {
    const token = await a.issue({ sub: 'alice' })
    // No time has passed: B's rate limit on key reloads must not keep the sibling's key unknown.
    assert.equal((await b.verify(token)).sub, 'alice')
  } finally {
    await a.close()
    await b.close()
  }
})
