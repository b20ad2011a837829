// One account with tens of thousands of sessions must not stall the Redis every user shares: a
// login and a "log out everywhere" each run a bounded number of Redis commands (counted by Redis
// itself, INFO commandstats, which includes the commands a Lua script calls), however many
// sessions the user has. Runs on its own redis-server so no other test's commands are counted.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { createClient } from 'redis'
import { createRevocable, type Revocable } from '../../src/index.js'
import type { SessionRecord } from '../../src/store.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { redisKeys } from '../../src/stores/redis/keys.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { seedSessions } from '../support/large-account.js'
import { RedisProcess } from '../support/redis-server.js'

const SESSIONS = 20_000
/** Far below one command per session: the old scripts issued at least one GET per session. */
const MAX_COMMANDS_PER_CALL = 2_000
const PREFIX = 'rvk-large:'

type Client = ReturnType<typeof createClient>

/** Calls of every command Redis ran since the last CONFIG RESETSTAT (scripts' inner calls too). */
async function commandCalls(redis: Client): Promise<Record<string, number>> {
  const info = await redis.info('commandstats')
  const calls: Record<string, number> = {}
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    calls[match[1] as string] = Number(match[2])
  }
  return calls
}

/** Runs `step` and resolves to how many Redis commands it caused, by name and in total. */
async function countCommands(
  redis: Client,
  step: () => Promise<unknown>,
): Promise<{ total: number; calls: Record<string, number> }> {
  await redis.configResetStat()
  await step()
  const calls = await commandCalls(redis)
  delete calls.info // the count's own INFO (and nothing else of ours runs meanwhile)
  return { total: Object.values(calls).reduce((a, b) => a + b, 0), calls }
}

describe('a huge account costs Redis a bounded amount of work per request', () => {
  let server: RedisProcess
  let redis: Client
  before(async () => {
    server = await RedisProcess.start({ args: ['--save', '', '--appendonly', 'no'] })
    redis = createClient({ url: server.url })
    redis.on('error', () => {})
    await redis.connect()
  })
  after(async () => {
    await redis?.close()
    await server?.destroy()
  })

  async function withAuth(
    maxSessionsPerUser: number,
    body: (auth: Revocable, store: RedisStore) => Promise<void>,
  ): Promise<void> {
    await redis.flushAll()
    // A generous command timeout: what is asserted is the work counted, never how long it took.
    const store = await RedisStore.connect({
      url: server.url,
      prefix: PREFIX,
      commandTimeout: 30_000,
      warn: () => {},
    })
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'large' }],
      store,
      maxSessionsPerUser,
    })
    try {
      await body(auth, store)
    } finally {
      await auth.close()
      await store.close()
    }
  }

  test(`a login on an account with ${SESSIONS} sessions runs a bounded number of commands`, () =>
    withAuth(Infinity, async (auth, store) => {
      const first = await auth.startSession({ sub: 'whale' })
      const template = (await store.getSession(first.session.id)) as SessionRecord
      await seedSessions(redis, PREFIX, template, SESSIONS, 4)
      const login = await countCommands(redis, () => auth.startSession({ sub: 'whale' }))
      assert.ok(
        login.total < MAX_COMMANDS_PER_CALL,
        `a login ran ${login.total} commands: ${JSON.stringify(login.calls)}`,
      )
      // A second login prunes the next slice of expired entries: still bounded.
      const again = await countCommands(redis, () => auth.startSession({ sub: 'whale' }))
      assert.ok(again.total < MAX_COMMANDS_PER_CALL, `then ${again.total} commands`)
    }))

  test(`a login under the session cap evicts within a bounded number of commands`, () =>
    withAuth(10, async (auth, store) => {
      const first = await auth.startSession({ sub: 'whale' })
      const template = (await store.getSession(first.session.id)) as SessionRecord
      await seedSessions(redis, PREFIX, template, SESSIONS, 4)
      const login = await countCommands(redis, () => auth.startSession({ sub: 'whale' }))
      assert.ok(
        login.total < MAX_COMMANDS_PER_CALL,
        `a login ran ${login.total} commands: ${JSON.stringify(login.calls)}`,
      )
      // The least recently used went first: the first real session (the latest but one) stays.
      assert.ok(await store.getSession(first.session.id))
    }))

  test(`log out everywhere on ${SESSIONS} sessions runs a bounded number of commands and ends them all`, () =>
    withAuth(Infinity, async (auth, store) => {
      const first = await auth.startSession({ sub: 'whale' })
      const template = (await store.getSession(first.session.id)) as SessionRecord
      const sids = await seedSessions(redis, PREFIX, template, SESSIONS, 4)
      const revoke = await countCommands(redis, () => auth.revokeUser('whale'))
      assert.ok(
        revoke.total < MAX_COMMANDS_PER_CALL,
        `revokeUser ran ${revoke.total} commands: ${JSON.stringify(revoke.calls)}`,
      )
      // The sessions left to the cutoff stay dead as long as any record of them can exist.
      const user = redisKeys(PREFIX).user('whale')
      assert.ok(
        (await redis.pTTL(user.cutoff)) >= (await redis.pTTL(user.sessionsByCreation)) - 1000,
      )
      // Every session is dead, whether ended at once or left to the cutoff.
      await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_INVALID' })
      assert.equal(await store.getSession(sids[SESSIONS - 1] as string), undefined)
      assert.equal(await store.getSession(sids[1] as string), undefined)
      assert.deepEqual(await auth.listSessions('whale'), [])
      // A login afterwards works at once, and stays bounded while it ends the leftovers.
      let fresh: Awaited<ReturnType<Revocable['startSession']>> | undefined
      const login = await countCommands(redis, async () => {
        fresh = await auth.startSession({ sub: 'whale' })
      })
      assert.ok(login.total < MAX_COMMANDS_PER_CALL, `the next login ran ${login.total}`)
      assert.ok(fresh)
      await auth.verify(fresh.accessToken)
      assert.deepEqual(
        (await auth.listSessions('whale')).map((s) => s.id),
        [fresh.session.id],
      )
    }))
})
