import assert from 'node:assert/strict'
import { createServer } from 'node:net'
import { test } from 'node:test'
import { RedisStore } from '../../src/stores/redis/index.js'

/** A port where nothing listens (the kernel gave it, then it was closed). */
async function closedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

test('a failed connect is ERR_STORE_UNAVAILABLE with the cause, and no maxmemory warning', async () => {
  const port = await closedPort()
  const warnings: string[] = []
  const error = await RedisStore.connect({
    url: `redis://127.0.0.1:${port}`,
    warn: (message) => warnings.push(message),
  }).then(
    () => assert.fail('connected to nothing'),
    (failure: unknown) => failure as Error & { code?: string; cause?: unknown },
  )
  assert.equal(error.code, 'ERR_STORE_UNAVAILABLE')
  assert.ok(error.cause instanceof Error, 'has a cause')
  assert.match(String((error.cause as Error).message), /ECONNREFUSED/)
  assert.deepEqual(
    warnings.filter((message) => message.includes('maxmemory')),
    [],
  )
})

test('a failed connect names the address without its password', async () => {
  const port = await closedPort()
  const error = await RedisStore.connect({
    url: `redis://app:s3cret-pass@127.0.0.1:${port}`,
    warn: () => {},
  }).then(
    () => assert.fail('connected to nothing'),
    (failure: unknown) => failure as Error & { code?: string },
  )
  assert.equal(error.code, 'ERR_STORE_UNAVAILABLE')
  assert.match(error.message, /could not connect to Redis at redis:\/\/\[redacted\]@127\.0\.0\.1:/)
  assert.doesNotMatch(error.message, /s3cret-pass/)
})
