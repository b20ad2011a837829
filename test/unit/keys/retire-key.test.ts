import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRevocable, MemoryStore } from '../../../src/index.js'
import { AUDIENCE, ISSUER } from '../../support/auth.js'
import { manualClock } from '../../support/clock.js'

/** A memory store whose retireKey fails as a broken connection would: a raw Error. */
class RetireFails extends MemoryStore {
  override async retireKey(): Promise<void> {
    throw new Error('connection reset')
  }
}

test('retireKey turns a raw store failure into ERR_STORE_UNAVAILABLE with the cause', async () => {
  const clock = manualClock()
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    store: new RetireFails({ clock }),
    clock,
    keyPublishLead: 0,
  })
  const [key] = auth.listKeys()
  const error = await auth.retireKey(key?.kid as string).then(
    () => assert.fail('retired through a failing store'),
    (failure: unknown) => failure as Error & { code?: string; cause?: unknown },
  )
  assert.equal(error.code, 'ERR_STORE_UNAVAILABLE')
  assert.equal((error.cause as Error).message, 'connection reset')
  await auth.close()
})

test('retireKey of a kid the ring does not hold is still a TypeError', async () => {
  const clock = manualClock()
  const auth = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, clock })
  await assert.rejects(auth.retireKey('no-such-kid'), TypeError)
  await auth.close()
})
