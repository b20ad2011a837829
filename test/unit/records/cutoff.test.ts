import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { instantAfter, instantAfterNearby, isCutOff } from '../../../src/records/cutoff.js'

const cutoffs = fc.record({
  user: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
  epoch: fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
})

test('a session created at a cutoff is cut off; one a millisecond later is not', () => {
  assert.equal(isCutOff(1000, { user: 1000, epoch: undefined }), true)
  assert.equal(isCutOff(1001, { user: 1000, epoch: undefined }), false)
  assert.equal(isCutOff(1000, { user: undefined, epoch: 1000 }), true)
  assert.equal(isCutOff(1000, { user: undefined, epoch: undefined }), false)
})

test('the issue instant is never cut off, and never before now', () => {
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 10_000 }), cutoffs, (now, given) => {
      const instant = instantAfter(now, given)
      return instant >= now && !isCutOff(instant, given)
    }),
  )
})

test('only a cutoff less than the uncertainty ahead moves a login past it', () => {
  assert.equal(instantAfterNearby(1000, { user: 1002, epoch: undefined }, 3), 1003)
  assert.equal(instantAfterNearby(1000, { user: 1003, epoch: undefined }, 3), 1000)
  assert.equal(instantAfterNearby(1000, { user: 999, epoch: undefined }, 3), 1000)
  assert.equal(instantAfterNearby(1000, { user: 1000, epoch: 1001 }, 0), 1000)
  assert.equal(instantAfterNearby(1000, { user: 1000, epoch: 1001 }, 5), 1002)
})
