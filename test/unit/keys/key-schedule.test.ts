/**
 * Issue 19, item 4: scheduled rotation. Two instances on one store, a compressed schedule and an
 * injected clock: every key is published before any instance signs with it, retired once the
 * longest token lifetime has passed since it last signed, each step taken by one instance only,
 * and every token verifies on both instances for as long as it lives.
 */
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { createRevocable, type Revocable } from '../../../src/index.js'
import { dueSteps, stepName } from '../../../src/keys/key-schedule.js'
import { MemoryStore } from '../../../src/stores/memory.js'
import { SqliteStore } from '../../../src/stores/sqlite.js'
import type { Store } from '../../../src/stores/store.js'
import { AUDIENCE, ISSUER } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'
import { parts } from '../../support/forge.js'

const kidOf = (token: string) => parts(token).header.kid as string
const published = (auth: Revocable, kid: string) => auth.jwks().keys.some((key) => key.kid === kid)

const INTERVAL = 3600 // a rotation an hour
const LEAD = 120
const TTL = 600
const TOLERANCE = 5
const STEP = 30_000

const stores: Record<string, () => { stores: [Store, Store]; close(): Promise<void> }> = {
  memory: () => {
    const clockless = new MemoryStore({ clock: sharedClock })
    return { stores: [clockless, clockless], close: async () => {} }
  },
  sqlite: () => {
    const dir = mkdtempSync(join(tmpdir(), 'revocable-schedule-'))
    const path = join(dir, 'store.db')
    const a = new SqliteStore({ path, clock: sharedClock })
    const b = new SqliteStore({ path, clock: sharedClock })
    return {
      stores: [a, b],
      async close() {
        await a.close()
        await b.close()
        rmSync(dir, { recursive: true, force: true })
      },
    }
  },
}
const sharedClock = manualClock()

for (const [name, make] of Object.entries(stores)) {
  describe(`scheduled rotation on ${name}`, () => {
    test('two instances: publish before use, retire after the longest lifetime, every token verifies throughout', async () => {
      const clock = sharedClock
      const { stores: pair, close } = make()
      const open = (store: Store) =>
        createRevocable({
          issuer: ISSUER,
          audience: AUDIENCE,
          store,
          clock,
          replica: false,
          keyRotationInterval: INTERVAL,
          keyPublishLead: LEAD,
          accessTokenTtl: TTL,
          maxAccessTokenTtl: TTL,
          clockTolerance: TOLERANCE,
          keyReloadInterval: 0,
        })
      const a = await open(pair[0])
      const b = await open(pair[1])
      try {
        const instances = [a, b]
        const retiredAt = new Map<string, number>()
        const lastSigned = new Map<string, number>()
        const stepsTaken: string[] = []
        for (const auth of instances) {
          auth.on('key.retired', (event) => retiredAt.set(event.kid, event.at))
          // The instances' own timers may take a step too: count steps by their events.
          auth.on('key.rotated', (event) => stepsTaken.push(`publish@${event.at}`))
          auth.on('key.retired', (event) => stepsTaken.push(`retire:${event.kid}`))
        }
        const live: { token: string; exp: number }[] = []
        // Five hours in 30-second steps.
        for (let tick = 0; tick < (5 * 3600_000) / STEP; tick += 1) {
          clock.advance(STEP)
          const order = tick % 2 === 0 ? instances : [b, a]
          for (const auth of order) {
            await auth.maintainKeys()
          }
          for (const auth of instances) {
            const token = await auth.issue({ sub: 'alice' })
            const kid = kidOf(token)
            // Never signed with a key some instance does not publish yet.
            assert.ok(published(a, kid) && published(b, kid), `kid ${kid} published everywhere`)
            lastSigned.set(kid, clock())
            live.push({ token, exp: clock() + TTL * 1000 })
          }
          while (live.length > 0 && (live[0] as { exp: number }).exp <= clock()) live.shift()
          for (const { token } of live) {
            for (const auth of instances) assert.equal((await auth.verify(token)).sub, 'alice')
          }
        }
        // Each step once, by one instance.
        assert.equal(new Set(stepsTaken).size, stepsTaken.length, 'no step taken twice')
        const publishes = stepsTaken.filter((step) => step.startsWith('publish@'))
        assert.ok(publishes.length >= 4, `rotated every hour (${publishes.length})`)
        assert.ok(retiredAt.size >= 3, `retired superseded keys (${retiredAt.size})`)
        for (const [kid, at] of retiredAt) {
          const signed = lastSigned.get(kid) as number
          assert.ok(
            at - signed >= TTL * 1000,
            `${kid} retired only after its last token expired (${at - signed} ms)`,
          )
          assert.ok(!published(a, kid) && !published(b, kid))
        }
      } finally {
        await a.close()
        await b.close()
        await close()
      }
    })
  })
}

describe('dueSteps', () => {
  const base = { intervalMs: 1000, leadMs: 100, maxTokenLifetimeMs: 500 }
  test('publishes a lead before the interval ends, not while a newer key waits', () => {
    const keys = [{ kid: 'k1', createdAt: 0, activatesAt: 0 }]
    assert.deepEqual(dueSteps({ ...base, now: 899, keys }), [])
    assert.deepEqual(dueSteps({ ...base, now: 900, keys }), [{ kind: 'publish', after: 'k1' }])
    const waiting = [...keys, { kid: 'k2', createdAt: 900, activatesAt: 1000 }]
    assert.deepEqual(dueSteps({ ...base, now: 950, keys: waiting }), [])
  })

  test('retires a superseded key once the longest lifetime has passed since its successor activated', () => {
    const keys = [
      { kid: 'k1', createdAt: 0, activatesAt: 0 },
      { kid: 'k2', createdAt: 900, activatesAt: 1000 },
    ]
    assert.deepEqual(dueSteps({ ...base, now: 1499, keys }), [])
    assert.deepEqual(dueSteps({ ...base, now: 1500, keys }), [{ kind: 'retire', kid: 'k1' }])
  })

  test('with the schedule off no key is ever due to a publish twice from the same key', () => {
    const keys = [{ kid: 'k1', createdAt: 0, activatesAt: 0 }]
    const first = dueSteps({ ...base, now: 5000, keys })
    assert.deepEqual(first.map(stepName), ['key-publish:k1'])
  })
})
