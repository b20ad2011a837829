import { StoreUnavailable } from '../../errors.js'
import { serviceKeys, type ServiceKeys } from '../../stores/redis/keys.js'
import type { GuessCounters } from './counters.js'
import type { FailureCount } from './rules.js'

/** The commands the counters need, on a node-redis v5 client or cluster. */
export interface GuessRedis {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  hGetAll(key: string): Promise<Record<string, string>>
  del(key: string): Promise<unknown>
  hDel(key: string, fields: string[]): Promise<unknown>
}

/**
 * One failure per field, atomically: a count idle for the window starts over (the same rule as
 * `nextCount` in counters.ts). The key expires a window after its last failure, so nothing is left behind.
 * Values are `<count>:<lastAt ms>`; the times come from the service's clock, not Redis's.
 */
const ADD = `
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local count = 0
  local raw = redis.call('HGET', KEYS[1], ARGV[i])
  if raw then
    local c, last = string.match(raw, '^(%d+):(%d+)$')
    if c and now - tonumber(last) < window then count = tonumber(c) end
  end
  count = count + 1
  redis.call('HSET', KEYS[1], ARGV[i], count .. ':' .. ARGV[1])
  out[#out + 1] = count
end
redis.call('PEXPIRE', KEYS[1], window)
return out
`

async function call<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw new StoreUnavailable(`could not ${what}`, { cause: error })
  }
}

function parse(raw: string): FailureCount | undefined {
  const match = /^(\d+):(\d+)$/.exec(raw)
  return match === null ? undefined : { count: Number(match[1]), lastAt: Number(match[2]) }
}

/**
 * Counters in Redis hashes, `<prefix>guess:{<sha256 of the bucket>}`: one key per bucket, so
 * each script touches one slot (cluster-safe), and no username or address ever becomes part of
 * a key name. The caller owns the client.
 */
export class RedisGuessCounters implements GuessCounters {
  readonly #redis: GuessRedis
  readonly #keys: ServiceKeys

  constructor(redis: GuessRedis, prefix: string) {
    this.#redis = redis
    this.#keys = serviceKeys(prefix)
  }

  #key(bucket: string): string {
    return this.#keys.guesses(bucket)
  }

  async add(bucket: string, fields: readonly string[], now: number, windowMs: number) {
    const reply = await call('count a failed attempt', () =>
      this.#redis.eval(ADD, {
        keys: [this.#key(bucket)],
        arguments: [String(Math.floor(now)), String(windowMs), ...fields],
      }),
    )
    return (reply as number[]).map((count) => ({ count: Number(count), lastAt: Math.floor(now) }))
  }

  async read(bucket: string, now: number, windowMs: number) {
    const raw = await call('read failed attempts', () => this.#redis.hGetAll(this.#key(bucket)))
    const live = new Map<string, FailureCount>()
    for (const [field, value] of Object.entries(raw)) {
      const failures = parse(value)
      if (failures !== undefined && now - failures.lastAt < windowMs) live.set(field, failures)
    }
    return live
  }

  async clear(bucket: string, fields?: readonly string[]) {
    const key = this.#key(bucket)
    await call('clear failed attempts', () =>
      fields === undefined ? this.#redis.del(key) : this.#redis.hDel(key, [...fields]),
    )
  }
}
