// RedisStore's options are checked once, before any connection, each with a TypeError naming
// the option (issue 18: a bad dataLossCheckInterval ran the check every millisecond).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { RedisStore, REDIS_STORE_DEFAULTS } from '../../src/stores/redis/index.js'
import { REDIS_URL } from '../support/redis.js'

const BAD_DURATIONS = [0, -1, Number.NaN, Infinity, '5000', null]

for (const name of ['dataLossCheckInterval', 'feedRetention', 'commandTimeout'] as const) {
  test(`a bad "${name}" is a TypeError naming it, before connecting`, async () => {
    for (const value of BAD_DURATIONS) {
      await assert.rejects(
        RedisStore.connect({ url: REDIS_URL, [name]: value as number }),
        { name: 'TypeError', message: `"${name}" must be a positive number of milliseconds` },
        `${name}: ${String(value)}`,
      )
    }
  })
}

// Past 2^31 - 1 ms node runs a timer after 1 ms: the check would run every millisecond.
for (const name of ['dataLossCheckInterval', 'commandTimeout'] as const) {
  test(`a "${name}" past a timer's limit is refused, not run every millisecond`, async () => {
    await assert.rejects(RedisStore.connect({ url: REDIS_URL, [name]: 2 ** 31 }), {
      name: 'TypeError',
      message: `"${name}" must be at most 2147483647 ms (a timer's limit)`,
    })
  })
}

test('the defaults are one frozen object, and connect() uses them', async () => {
  assert.ok(Object.isFrozen(REDIS_STORE_DEFAULTS))
  assert.deepEqual(REDIS_STORE_DEFAULTS, {
    prefix: 'rvk:',
    commandTimeout: 250,
    onUnsafeEviction: 'warn',
    onDataLoss: 'bump-epoch',
    dataLossCheckInterval: 5000,
    feedRetention: 86_700_000,
  })
})

test("the README's RedisStore paragraph states every default", () => {
  const readme = readFileSync('README.md', 'utf8')
  const start = readme.indexOf('`RedisStore` options:')
  assert.ok(start >= 0, 'the paragraph exists')
  const paragraph = readme.slice(start, readme.indexOf('\n\n', start)).replace(/\s+/g, ' ')
  const shown = (value: string | number) =>
    typeof value === 'string'
      ? `\`${value}\``
      : value >= 100_000
        ? value.toLocaleString('en-US').replace(/,/g, ' ')
        : String(value)
  for (const [name, value] of Object.entries(REDIS_STORE_DEFAULTS)) {
    const at = paragraph.indexOf(`\`${name}\``)
    assert.ok(at >= 0, `${name} is in the paragraph`)
    assert.ok(
      paragraph.slice(at, at + name.length + 40).includes(shown(value)),
      `${name}: ${shown(value)}`,
    )
  }
})
