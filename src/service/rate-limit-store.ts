/**
 * A `@fastify/rate-limit` store on Redis through node-redis v5, so that every instance of the
 * service counts against one limit: with in-memory counters, N instances behind a load balancer
 * would allow N times the configured logins per minute. (The plugin's own Redis store needs
 * ioredis.) One key per route and client, one script per request: INCR, and PEXPIRE on the
 * first hit of a window. One key per call, so it runs on a cluster as well.
 */
import type { FastifyRateLimitStore } from '@fastify/rate-limit'
import { StoreUnavailable } from '../errors.js'
import { serviceKeys } from '../stores/redis/keys.js'

/** The one command the store needs, on a node-redis v5 client or cluster. */
export interface RateLimitRedis {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
}

const INCREMENT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {current, ttl}
`

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void

type RouteOptions = Parameters<FastifyRateLimitStore['child']>[0]

/** Builds the store class the plugin instantiates (`store` option). */
export function redisRateLimitStore(redis: RateLimitRedis, prefix: string) {
  return class RedisRateLimitStore implements FastifyRateLimitStore {
    readonly #key: string

    constructor(_globalOptions?: unknown, key = serviceKeys(prefix).rateLimitPrefix) {
      this.#key = key
    }

    incr(client: string, callback: Callback, timeWindow: number): void {
      redis.eval(INCREMENT, { keys: [this.#key + client], arguments: [String(timeWindow)] }).then(
        (reply) => {
          const [current, ttl] = reply as [number, number]
          callback(null, { current, ttl })
        },
        (error: unknown) =>
          callback(
            new StoreUnavailable('could not count a rate-limited request', { cause: error }),
          ),
      )
    }

    child(routeOptions: RouteOptions): RedisRateLimitStore {
      // At run time the plugin passes the route as `routeInfo` (its types say otherwise).
      const route =
        (routeOptions as unknown as { routeInfo?: { method: string; url: string } }).routeInfo ??
        routeOptions
      return new RedisRateLimitStore(undefined, `${this.#key}${String(route.method)}${route.url}:`)
    }
  }
}
