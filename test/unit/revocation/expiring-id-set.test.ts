import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { ExpiringIdSet } from '../../../src/revocation/expiring-id-set.js'

const T0 = Date.UTC(2026, 0, 1)

test('an added id is present until its expiry second and absent from then on', () => {
  const set = new ExpiringIdSet()
  set.add('jti-1', T0 + 60_000)
  assert.equal(set.has('jti-1', T0), true)
  assert.equal(set.has('jti-1', T0 + 59_999), true)
  assert.equal(set.has('jti-1', T0 + 60_000), false)
  assert.equal(set.has('jti-2', T0), false)
})

test('an expiry is rounded up to the second, never down', () => {
  const set = new ExpiringIdSet()
  set.add('a', T0 + 1)
  assert.equal(set.has('a', T0 + 999), true)
})

test('adding an id again keeps the later expiry', () => {
  const set = new ExpiringIdSet()
  set.add('a', T0 + 60_000)
  set.add('a', T0 + 10_000)
  assert.equal(set.has('a', T0 + 30_000), true)
  assert.equal(set.size, 1)
})

test('growing past its capacity keeps every id', () => {
  const set = new ExpiringIdSet(16)
  for (let i = 0; i < 10_000; i += 1) set.add(`id-${i}`, T0 + 60_000)
  assert.equal(set.size, 10_000)
  for (let i = 0; i < 10_000; i += 1) assert.equal(set.has(`id-${i}`, T0), true, `id-${i}`)
  assert.equal(set.has('id-10000', T0), false)
})

test('a sweep drops expired ids, keeps live ones, and shrinks the table', () => {
  const set = new ExpiringIdSet()
  for (let i = 0; i < 20_000; i += 1) set.add(`old-${i}`, T0 + 1000)
  for (let i = 0; i < 100; i += 1) set.add(`new-${i}`, T0 + 60_000)
  const before = set.byteLength
  set.sweep(T0 + 1000)
  assert.equal(set.size, 100)
  assert.ok(set.byteLength < before)
  for (let i = 0; i < 100; i += 1) assert.equal(set.has(`new-${i}`, T0), true)
})

test('a million ids take at most 24 bytes each', () => {
  const set = new ExpiringIdSet()
  for (let i = 0; i < 1_000_000; i += 1) set.add(`jti-${i}`, T0 + 60_000)
  assert.ok(set.byteLength / 1_000_000 <= 24, `${set.byteLength / 1_000_000} bytes per id`)
})

test('property: the set answers as a Map of id to expiry does, give or take the rounding up', () => {
  const op = fc.oneof(
    fc.record({
      kind: fc.constant('add' as const),
      id: fc.string({ maxLength: 6 }),
      ttl: fc.integer({ min: 1, max: 100 }),
    }),
    fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 30_000 }) }),
    fc.record({ kind: fc.constant('sweep' as const) }),
  )
  fc.assert(
    fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const set = new ExpiringIdSet(8)
      const model = new Map<string, number>()
      let now = T0
      for (const o of ops) {
        if (o.kind === 'add') {
          const expiresAt = now + o.ttl * 1000
          set.add(o.id, expiresAt)
          model.set(o.id, Math.max(model.get(o.id) ?? 0, expiresAt))
        } else if (o.kind === 'tick') now += o.ms
        else set.sweep(now)
        for (const [id, expiresAt] of model) {
          const has = set.has(id, now)
          const label = `${JSON.stringify(id)} at ${now - T0}`
          // Never absent while live; present after expiry only within the rounding to a second.
          if (expiresAt > now) assert.equal(has, true, label)
          else assert.equal(has, now < Math.ceil(expiresAt / 1000) * 1000, label)
        }
      }
    }),
    { numRuns: 300 },
  )
})
