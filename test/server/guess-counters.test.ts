/**
 * The failed-attempt counters, one contract run against every backend (memory, SQLite, real
 * Redis), and the pure lock rule.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import Database from 'better-sqlite3'
import { createClient } from 'redis'
import {
  MemoryGuessCounters,
  SWEEP_EVERY,
  type GuessCounters,
} from '../../src/service/guessing/counters.js'
import { counterAddress } from '../../src/server/guessing/guard.js'
import { RedisGuessCounters, type GuessRedis } from '../../src/service/guessing/redis.js'
import { lockedUntil, retryAfterSeconds } from '../../src/service/guessing/rules.js'
import { SerialByKey } from '../../src/server/guessing/serial.js'
import { SqliteGuessCounters } from '../../src/service/guessing/sqlite.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const T0 = Date.UTC(2026, 0, 1)
const WINDOW = 60_000

function contract(name: string, open: () => GuessCounters) {
  describe(`${name} guess counters`, () => {
    let counters: GuessCounters
    before(() => {
      counters = open()
    })

    test('each add counts one more failure per field and returns the counts', async () => {
      assert.deepEqual(await counters.add('b1', ['x', 'y'], T0, WINDOW), [
        { count: 1, lastAt: T0 },
        { count: 1, lastAt: T0 },
      ])
      assert.deepEqual(await counters.add('b1', ['x'], T0 + 10, WINDOW), [
        { count: 2, lastAt: T0 + 10 },
      ])
      const read = await counters.read('b1', T0 + 20, WINDOW)
      assert.deepEqual(Object.fromEntries(read), {
        x: { count: 2, lastAt: T0 + 10 },
        y: { count: 1, lastAt: T0 },
      })
    })

    test('a count idle for the window is forgotten and starts over', async () => {
      await counters.add('b2', ['x'], T0, WINDOW)
      await counters.add('b2', ['x'], T0 + 1000, WINDOW)
      assert.equal((await counters.read('b2', T0 + 1000 + WINDOW, WINDOW)).size, 0)
      assert.deepEqual(await counters.add('b2', ['x'], T0 + 1000 + WINDOW, WINDOW), [
        { count: 1, lastAt: T0 + 1000 + WINDOW },
      ])
    })

    test('clear forgets some fields, or the whole bucket', async () => {
      await counters.add('b3', ['x', 'y', 'z'], T0, WINDOW)
      await counters.clear('b3', ['x'])
      assert.deepEqual([...(await counters.read('b3', T0, WINDOW)).keys()].sort(), ['y', 'z'])
      await counters.clear('b3')
      assert.equal((await counters.read('b3', T0, WINDOW)).size, 0)
    })

    test('concurrent adds lose no failure', async () => {
      await Promise.all(Array.from({ length: 25 }, () => counters.add('b4', ['x'], T0, WINDOW)))
      assert.equal((await counters.read('b4', T0, WINDOW)).get('x')?.count, 25)
    })

    test('buckets are independent, whatever their names hold', async () => {
      await counters.add('login:{a}b', ['ip:2001:db8::1'], T0, WINDOW)
      assert.equal((await counters.read('login:{a}c', T0, WINDOW)).size, 0)
      assert.equal((await counters.read('login:{a}b', T0, WINDOW)).get('ip:2001:db8::1')?.count, 1)
    })
  })
}

contract('memory', () => new MemoryGuessCounters())

const dir = mkdtempSync(join(tmpdir(), 'rvk-guess-'))
const databases: Database.Database[] = []
after(() => {
  for (const db of databases) db.close()
  rmSync(dir, { recursive: true, force: true })
})
contract('SQLite', () => {
  const db = new Database(join(dir, 'contract.db'))
  databases.push(db)
  return new SqliteGuessCounters(db)
})

test('two SQLite connections to one file share the counts', async () => {
  const file = join(dir, 'shared.db')
  const a = new Database(file)
  const b = new Database(file)
  databases.push(a, b)
  const first = new SqliteGuessCounters(a)
  const second = new SqliteGuessCounters(b)
  await first.add('login:alice', ['user'], T0, WINDOW)
  await second.add('login:alice', ['user'], T0 + 1, WINDOW)
  assert.equal((await first.read('login:alice', T0 + 2, WINDOW)).get('user')?.count, 2)
})

test('SQLite sweeps the forgotten counts of every bucket, not only the one written', async () => {
  const db = new Database(join(dir, 'sweep.db'))
  databases.push(db)
  const counters = new SqliteGuessCounters(db)
  for (let i = 0; i < 10; i += 1) await counters.add(`login:random${i}`, ['user'], T0, WINDOW)
  const later = T0 + WINDOW + 1
  for (let i = 0; i < SWEEP_EVERY; i += 1)
    await counters.add('login:alice', ['user'], later, WINDOW)
  const rows = db.prepare('SELECT COUNT(*) AS n FROM guess_counters').get() as { n: number }
  assert.equal(rows.n, 1)
})

describe('on the shared Redis', () => {
  const prefix = `rvk-test:guess-counters:${randomBytes(6).toString('hex')}:`
  const client = createClient({ url: REDIS_URL })
  before(() => client.connect())
  after(async () => {
    await client.close()
    await deletePrefix(REDIS_URL, prefix)
  })
  contract('Redis', () => new RedisGuessCounters(client as unknown as GuessRedis, prefix))

  test('no username or address appears in a key name', async () => {
    const counters = new RedisGuessCounters(client as unknown as GuessRedis, prefix)
    await counters.add('login:mallory{x}', ['ip:203.0.113.5'], T0, WINDOW)
    const keys: string[] = []
    for await (const batch of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 1000 })) {
      keys.push(...batch)
    }
    assert.ok(keys.length > 0)
    for (const key of keys) assert.match(key, /^.*guess:\{[0-9a-f]{32}\}$/)
  })
})

describe('the lock rule', () => {
  const rule = { threshold: 3, lockMs: 60_000, maxLockMs: 600_000 }

  test('below the threshold nothing is locked', () => {
    assert.equal(lockedUntil({ count: 2, lastAt: T0 }, rule), 0)
    assert.equal(retryAfterSeconds(undefined, rule, T0), 0)
  })

  test('the lock starts at the threshold and doubles with each failure, up to the maximum', () => {
    const locks = [3, 4, 5, 6, 7, 8, 40].map(
      (count) => lockedUntil({ count, lastAt: T0 }, rule) - T0,
    )
    assert.deepEqual(locks, [60_000, 120_000, 240_000, 480_000, 600_000, 600_000, 600_000])
  })

  test('Retry-After rounds up to whole seconds', () => {
    assert.equal(retryAfterSeconds({ count: 3, lastAt: T0 }, rule, T0 + 59_001), 1)
    assert.equal(retryAfterSeconds({ count: 3, lastAt: T0 }, rule, T0 + 60_000), 0)
  })
})

describe('counterAddress', () => {
  test('IPv4 stays as it is, IPv4-mapped IPv6 becomes IPv4', () => {
    assert.equal(counterAddress('192.0.2.1'), '192.0.2.1')
    assert.equal(counterAddress('::ffff:192.0.2.1'), '192.0.2.1')
  })

  test('IPv6 is counted per /64, however it is written', () => {
    const forms = ['2001:db8:1:2:a:b:c:d', '2001:0db8:0001:0002::1', '2001:db8:1:2::ffff%eth0']
    for (const form of forms) assert.equal(counterAddress(form), '2001:db8:1:2::/64')
    assert.equal(counterAddress('2001:db8::1'), '2001:db8:0:0::/64')
    assert.equal(counterAddress('::1'), '0:0:0:0::/64')
  })

  test('anything else is kept as it came', () => {
    assert.equal(counterAddress('not an address'), 'not an address')
  })
})

describe('SerialByKey', () => {
  test('tasks of one key run one after another, in order; other keys do not wait', async () => {
    const serial = new SerialByKey(8)
    const log: string[] = []
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const first = serial.run('a', async () => {
      log.push('a1 start')
      await gate
      log.push('a1 end')
    })
    const second = serial.run('a', async () => {
      log.push('a2')
    })
    await serial.run('b', async () => {
      log.push('b1')
    })
    release()
    await Promise.all([first, second])
    assert.deepEqual(log, ['a1 start', 'b1', 'a1 end', 'a2'])
  })

  test('beyond the limit a task is refused without running; a failing task frees its place', async () => {
    const serial = new SerialByKey(2)
    let release: () => void = () => undefined
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    const held = serial.run('k', () => gate.then(() => Promise.reject(new Error('boom'))))
    const queued = serial.run('k', async () => 'second')
    let ran = false
    const refused = await serial.run('k', async () => {
      ran = true
    })
    assert.deepEqual(refused, { refused: true })
    assert.equal(ran, false)
    release()
    await assert.rejects(held, /boom/)
    assert.deepEqual(await queued, { value: 'second' })
    assert.deepEqual(await serial.run('k', async () => 'again'), { value: 'again' })
  })
})
