/**
 * The Redis reply deadline (src/stores/redis/connection.ts): under CPU saturation the timer and
 * the reply become due in the same turn of the event loop, and timers run first. A reply that
 * has arrived must win over the timer (issue 20). Timers are mocked, so nothing here depends on
 * how fast the machine is.
 */
import assert from 'node:assert/strict'
import { afterEach, beforeEach, mock, test } from 'node:test'
import { withDeadline } from '../../../src/stores/redis/connection.js'

const DEADLINE_MS = 250

/** A client whose GET answers when the test says so. */
function fakeClient() {
  let answer: (value: string) => void = () => {}
  const client = {
    get: (_key: string) =>
      new Promise<string>((resolve) => {
        answer = resolve
      }),
  }
  return { client, answer: (value: string) => answer(value) }
}

/** Lets setImmediate callbacks (real, not mocked) run. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }))
afterEach(() => mock.timers.reset())

test('a reply that arrives in the same turn as the deadline wins over it', async () => {
  const { client, answer } = fakeClient()
  const reply = withDeadline(client, DEADLINE_MS).get('k')
  // The reply is read in the same turn the timer fires (a timer queued behind the deadline's).
  setTimeout(() => answer('value'), DEADLINE_MS)
  mock.timers.tick(DEADLINE_MS)
  await nextTurn()
  assert.equal(await reply, 'value')
})

test('a reply that has not arrived when the deadline passes is ERR_STORE_UNAVAILABLE', async () => {
  const { client, answer } = fakeClient()
  const reply = withDeadline(client, DEADLINE_MS).get('k')
  const rejected = assert.rejects(reply, { code: 'ERR_STORE_UNAVAILABLE' })
  mock.timers.tick(DEADLINE_MS)
  await nextTurn()
  await rejected
  // A late reply changes nothing (and raises nothing).
  answer('late')
  await nextTurn()
})

test('a reply before the deadline resolves at once and a failed one rejects with its error', async () => {
  const ok = fakeClient()
  const reply = withDeadline(ok.client, DEADLINE_MS).get('k')
  ok.answer('early')
  assert.equal(await reply, 'early')
  const failing = { get: () => Promise.reject(new Error('WRONGTYPE')) }
  await assert.rejects(withDeadline(failing, DEADLINE_MS).get(), /WRONGTYPE/)
})
