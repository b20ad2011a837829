import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRevocable } from '../../../src/index.js'
import { awaitReplicas } from '../../../src/revocation/await-replicas.js'
import type { Store } from '../../../src/stores/store.js'

/** The acknowledgement part of a store, scripted: answers `behind` in turn, then 0. */
function scriptedStore(behind: (number | Error)[]): { store: Store; asked: string[] } {
  const asked: string[] = []
  const store = {
    feedPosition: () => '1700000000000-3',
    replicasBehind: async (position: string) => {
      asked.push(position)
      const next = behind.shift() ?? 0
      if (next instanceof Error) throw next
      return next
    },
  } as unknown as Store
  return { store, asked }
}

test('a revocation waits until no live replica is behind its own feed position', async () => {
  const { store, asked } = scriptedStore([2, 1, 0])
  await awaitReplicas(store, { maxStalenessMs: 60_000 })
  assert.deepEqual(asked, ['1700000000000-3', '1700000000000-3', '1700000000000-3'])
})

test('a store that cannot say which replicas are behind is waited out to maxStaleness', async () => {
  const failures = Array.from({ length: 1000 }, () => new Error('connection lost'))
  const { store, asked } = scriptedStore(failures)
  await awaitReplicas(store, { maxStalenessMs: 200 })
  // Kept asking after a failure (not taken for "nobody is behind"), then gave up on the bound.
  assert.ok(asked.length > 1, `asked ${asked.length} times`)
  assert.ok(failures.length > 0)
})

test('a store without a feed (one process) resolves at once, without asking anything', async () => {
  const auth = await createRevocable({
    issuer: 'https://auth.example.test',
    audience: 'api',
    awaitReplicas: true,
  })
  const token = await auth.issue({ sub: 'alice' })
  await auth.revokeToken(token, { awaitReplicas: true })
  await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED' })
  await auth.close()
})

test('a per-call awaitReplicas that is not a boolean throws a TypeError naming it', async () => {
  const auth = await createRevocable({ issuer: 'https://auth.example.test', audience: 'api' })
  await assert.rejects(
    auth.revokeSession('sid-1', { awaitReplicas: 'yes' as unknown as boolean }),
    (error: unknown) => error instanceof TypeError && error.message.includes('"awaitReplicas"'),
  )
  await auth.close()
})
