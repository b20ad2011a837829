/**
 * Short HS256 secrets in revocable/jwt-redis: accepted as jwt-redis accepts them, with one
 * warning per process. In a file of its own: the warning is once per process, and node's test
 * runner gives each file its own process.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createClient } from 'redis'
import JWTR from '../../src/adapters/jwt-redis/index.js'
import { createRevocable } from '../../src/create-revocable.js'
import { REDIS_URL, deletePrefix } from '../support/redis.js'

let client: ReturnType<typeof createClient>
const prefix = `test:jwtr-short:${randomBytes(6).toString('hex')}:`
before(async () => {
  client = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  await client.connect()
})
after(async () => {
  await deletePrefix(REDIS_URL, prefix)
  await client.close()
})

test('short secrets work with one warning per process that names the risk and the fix', async () => {
  const warnings: string[] = []
  const warn = (message: string) => warnings.push(message)
  const first = new JWTR(client, { prefix, warn })
  const second = new JWTR(client, { prefix, warn })
  try {
    for (const jwtr of [first, second]) {
      for (const secret of ['SECRET', 'abcdefghij']) {
        const token = await jwtr.sign({ sub: 'u1' }, secret)
        assert.equal((await jwtr.verify(token, secret)).sub, 'u1')
      }
    }
    const about = warnings.filter((message) => message.includes('shorter than 32 bytes'))
    assert.equal(about.length, 1, `one warning, got: ${JSON.stringify(warnings)}`)
    const [message] = about as [string]
    assert.match(message, /brute-forced offline/) // the risk
    assert.match(message, /at least 32 bytes/) // the fix
    assert.match(message, /"shortSecrets" option to "refuse"/) // how to refuse them
    assert.doesNotMatch(message, /SECRET|abcdefghij/) // never the secret itself
  } finally {
    await first.close()
    await second.close()
  }
})

test("revocable's own API keeps refusing a secret shorter than 32 bytes", async () => {
  await assert.rejects(
    createRevocable({ issuer: 'i', audience: 'a', keys: [{ secret: 'SECRET', kid: 'k' }] }),
    {
      name: 'TypeError',
      message: 'keys[0]: HS256 secret must be at least 32 bytes',
    },
  )
})
