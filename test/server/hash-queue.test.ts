/**
 * Password hashing runs through a bounded queue (issue 20): at most `concurrency` hashes at once,
 * at most `maxWaiting` waiting; beyond that a login is answered 503 with Retry-After at once,
 * and requests that hash nothing (GET /auth/me) are still answered.
 */
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildApp } from '../../src/server/app.js'
import { HashQueue, HashQueueFullError } from '../../src/service/users/hash-queue.js'
import { PASSWORD, me, postJson, signUp, testConfig, uniqueName } from './support.js'

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve = () => {}
  const promise = new Promise<void>((done) => {
    resolve = done
  })
  return { promise, resolve }
}

test('the queue runs at most `concurrency` tasks and holds at most `maxWaiting`', async () => {
  const queue = new HashQueue({ concurrency: 2, maxWaiting: 1 })
  const gates = [deferred(), deferred(), deferred()]
  const started: number[] = []
  const runs = gates.map((gate, index) =>
    queue.run(async () => {
      started.push(index)
      await gate.promise
      return index
    }),
  )
  await Promise.resolve()
  assert.deepEqual(started, [0, 1])
  assert.deepEqual([queue.running, queue.waiting], [2, 1])
  await assert.rejects(
    queue.run(async () => 99),
    (error: unknown) => error instanceof HashQueueFullError && error.statusCode === 503,
  )
  gates[0]?.resolve()
  assert.equal(await runs[0], 0)
  await new Promise((resolve) => setImmediate(resolve))
  assert.deepEqual(started, [0, 1, 2])
  gates[1]?.resolve()
  gates[2]?.resolve()
  assert.deepEqual(await Promise.all(runs), [0, 1, 2])
  assert.deepEqual([queue.running, queue.waiting], [0, 0])
})

test('a task that throws frees its place for the next one', async () => {
  const queue = new HashQueue({ concurrency: 1, maxWaiting: 0 })
  await assert.rejects(
    queue.run(async () => {
      throw new Error('boom')
    }),
    /boom/,
  )
  assert.equal(await queue.run(async () => 'next'), 'next')
})

test('the default bound follows the core count', () => {
  const queue = new HashQueue()
  assert.ok(queue.concurrency >= 1)
  assert.ok(queue.maxWaiting >= queue.concurrency)
})

test('a bad bound is a TypeError naming the option', () => {
  assert.throws(() => new HashQueue({ concurrency: 0 }), /"concurrency" must be/)
  assert.throws(() => new HashQueue({ maxWaiting: -1 }), /"maxWaiting" must be/)
})

test('a full hashing queue answers logins 503 with Retry-After while /auth/me is still answered', async () => {
  const hashQueue = new HashQueue({ concurrency: 1, maxWaiting: 0 })
  const app = await buildApp(testConfig(), { hashQueue })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no port')
  const service = { url: `http://127.0.0.1:${address.port}` }
  const gate = deferred()
  try {
    const { username, tokens } = await signUp(service)
    // Occupy the only place, as a flood of slow hashes would.
    const held = hashQueue.run(() => gate.promise)
    const login = await postJson(service, '/auth/login', { username, password: PASSWORD })
    assert.equal(login.status, 503)
    assert.ok(Number(login.headers.get('retry-after')) >= 1)
    assert.equal(((await login.json()) as { error: string }).error, 'temporarily_unavailable')
    const register = await postJson(service, '/auth/register', {
      username: uniqueName(),
      password: PASSWORD,
    })
    assert.equal(register.status, 503)
    assert.equal((await me(service, tokens.access_token)).status, 200)
    gate.resolve()
    await held
    // The refused login was not counted as a failed guess: the next one succeeds.
    const again = await postJson(service, '/auth/login', { username, password: PASSWORD })
    assert.equal(again.status, 200)
  } finally {
    gate.resolve()
    await app.close()
  }
})
