/**
 * The user directory's lifecycle verbs (issue 15) on every backend the service keeps users in:
 * find by subject id, delete (the username free again), and per-user claims.
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import type { UserDirectory, UserRecord } from '../../src/service/users/directory.js'
import { MemoryUserDirectory } from '../../src/service/users/memory.js'
import { RedisUserDirectory, type UserRedis } from '../../src/service/users/redis.js'
import { SqliteUserDirectory } from '../../src/service/users/sqlite.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

function user(username: string): UserRecord {
  return { username, sub: randomUUID(), passwordHash: 'scrypt$10$8$1$x$y', createdAt: 1 }
}

function contract(name: string, open: () => UserDirectory) {
  describe(name, () => {
    test('a user is found by its sub, and an unknown sub finds nobody', async () => {
      const users = open()
      const alice = user('alice')
      assert.equal(await users.create(alice), true)
      assert.deepEqual(await users.findBySub(alice.sub), alice)
      assert.equal(await users.findBySub(randomUUID()), undefined)
    })

    test('a deleted user is gone, its claims too, and its username can be registered again', async () => {
      const users = open()
      const bob = user('bob')
      await users.create(bob)
      await users.setClaims(bob.sub, { roles: ['editor'] })
      assert.equal(await users.delete('bob', bob.sub), true)
      assert.equal(await users.find('bob'), undefined)
      assert.equal(await users.findBySub(bob.sub), undefined)
      assert.equal(await users.getClaims(bob.sub), undefined)
      assert.equal(await users.delete('bob', bob.sub), false)
      const again = user('bob')
      assert.equal(await users.create(again), true)
      assert.deepEqual(await users.findBySub(again.sub), again)
      assert.equal(await users.findBySub(bob.sub), undefined)
      // The old user's deletion or password change never lands on the name's new owner.
      assert.equal(await users.delete('bob', bob.sub), false)
      await users.updatePasswordHash('bob', 'scrypt$10$8$1$old$old', bob.sub)
      assert.deepEqual(await users.find('bob'), again)
      await users.updatePasswordHash('bob', 'scrypt$10$8$1$new$new', again.sub)
      assert.equal((await users.find('bob'))?.passwordHash, 'scrypt$10$8$1$new$new')
    })

    test('claims are replaced as a whole, and an empty object removes them', async () => {
      const users = open()
      const carol = user('carol')
      await users.create(carol)
      assert.equal(await users.getClaims(carol.sub), undefined)
      await users.setClaims(carol.sub, { roles: ['a'], tenant: 't1' })
      await users.setClaims(carol.sub, { roles: ['b'] })
      assert.deepEqual(await users.getClaims(carol.sub), { roles: ['b'] })
      await users.setClaims(carol.sub, {})
      assert.equal(await users.getClaims(carol.sub), undefined)
    })
  })
}

contract('memory', () => new MemoryUserDirectory())
contract('sqlite', () => new SqliteUserDirectory(new Database(':memory:')))

describe('redis', () => {
  const prefix = `test:users:${process.pid}:`
  let client: ReturnType<typeof createClient>
  let counter = 0
  before(async () => {
    client = createClient({ url: REDIS_URL })
    await client.connect()
  })
  after(async () => {
    await client.close()
    await deletePrefix(REDIS_URL, prefix)
  })
  const open = () =>
    new RedisUserDirectory(client as unknown as UserRedis, `${prefix}${++counter}:`)
  contract('redis', open)

  test('users registered before the sub index existed are indexed by one scan, once', async () => {
    const scope = `${prefix}legacy:`
    const old = user('dave')
    // What an older version wrote: the users hash only.
    await client.hSet(`${scope}users`, 'dave', JSON.stringify(old))
    const users = new RedisUserDirectory(client as unknown as UserRedis, scope)
    assert.deepEqual(await users.findBySub(old.sub), old)
    assert.equal(await client.hGet(`${scope}users:by-sub`, old.sub), 'dave')
    assert.equal(await client.get(`${scope}users:by-sub:complete`), '1')
    // Done for good: a lookup that misses no longer scans (an unindexed record stays unfound).
    const sneaked = user('eve')
    await client.hSet(`${scope}users`, 'eve', JSON.stringify(sneaked))
    assert.equal(await users.findBySub(sneaked.sub), undefined)
    const other = new RedisUserDirectory(client as unknown as UserRedis, scope)
    assert.equal(await other.findBySub(sneaked.sub), undefined)
  })

  test('a registration that loses the name leaves no index entry behind', async () => {
    const scope = `${prefix}race:`
    const users = new RedisUserDirectory(client as unknown as UserRedis, scope)
    const first = user('frank')
    const second = user('frank')
    assert.equal(await users.create(first), true)
    assert.equal(await users.create(second), false)
    assert.equal(await client.hGet(`${scope}users:by-sub`, second.sub), null)
    assert.equal(await users.findBySub(second.sub), undefined)
  })
})
