import { StoreUnavailable } from '../../errors.js'

/**
 * The part of a node-redis v5 client or cluster this store uses. Both `createClient()` and
 * `createCluster()` results satisfy it, so the store runs on either without knowing which.
 */
export interface RedisConnection {
  get(key: string): Promise<string | null>
  mGet(keys: string[]): Promise<(string | null)[]>
  exists(key: string): Promise<number>
  del(key: string): Promise<number>
  set(
    key: string,
    value: string,
    options?: { NX?: true; expiration?: { type: 'PX'; value: number } },
  ): Promise<string | null>
  zRange(
    key: string,
    start: number | string,
    stop: number | string,
    options?: { BY: 'SCORE' },
  ): Promise<string[]>
  zRangeWithScores(
    key: string,
    start: number,
    stop: number,
  ): Promise<{ value: string; score: number }[]>
  zCard(key: string): Promise<number>
  sAdd(key: string, member: string): Promise<number>
  sMembers(key: string): Promise<string[]>
  sIsMember(key: string, member: string): Promise<number | boolean>
  hSetNX(key: string, field: string, value: string): Promise<number | boolean>
  hSet(key: string, field: string, value: string): Promise<number>
  hVals(key: string): Promise<string[]>
  evalSha(sha: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>
  xAdd(
    key: string,
    id: '*',
    message: Record<string, string>,
    options?: { TRIM: { strategy: 'MINID'; strategyModifier: '~'; threshold: number } },
  ): Promise<string>
  xRange(
    key: string,
    start: string,
    end: string,
    options?: { COUNT: number },
  ): Promise<StreamEntry[]>
  xRead(
    stream: { key: string; id: string },
    options: { COUNT: number; BLOCK: number },
  ): Promise<{ name: string; messages: StreamEntry[] }[] | null>
  xRevRange(
    key: string,
    end: string,
    start: string,
    options?: { COUNT: number },
  ): Promise<StreamEntry[]>
  pTTL(key: string): Promise<number>
  xInfoStream(key: string): Promise<unknown>
  withCommandOptions(options: { timeout: number }): RedisConnection
  duplicate(): RedisConnection & {
    connect(): Promise<unknown>
    on(event: 'error', fn: () => void): void
  }
  close(): Promise<void>
}

export interface StreamEntry {
  id: string
  message: Record<string, string>
}

/** One Redis node that can SCAN (a standalone client, or one master of a cluster). */
export interface ScannableNode {
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string[]>
  get(key: string): Promise<string | null>
  pTTL(key: string): Promise<number>
}

/**
 * Gives every command of `redis` a deadline of `ms`. node-redis's own `timeout` command option
 * only bounds the wait before a command is written: once on the wire, a command to a Redis that
 * never answers (hung, paused, partitioned without a reset) stays pending forever, and so would
 * every verify waiting on it. Past the deadline the call rejects with ERR_STORE_UNAVAILABLE; a
 * late reply is ignored. `close`, `duplicate` and `withCommandOptions` pass through untouched.
 */
export function withDeadline<T extends object>(redis: T, ms: number): T {
  return new Proxy(redis, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown
      if (typeof value !== 'function') return value
      const method = value as (...args: unknown[]) => unknown
      if (property === 'close' || property === 'duplicate' || property === 'withCommandOptions') {
        return method.bind(target)
      }
      return (...args: unknown[]) => deadline(method.apply(target, args), ms, String(property))
    },
  })
}

function deadline(result: unknown, ms: number, command: string): unknown {
  if (!(result instanceof Promise)) return result
  let timer: NodeJS.Timeout | undefined
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new StoreUnavailable(`Redis did not answer ${command} within ${ms} ms`)),
      ms,
    )
  })
  return Promise.race([result, expired]).finally(() => clearTimeout(timer))
}

/** Commands a connection may hold unanswered before new ones fail at once. */
export const MAX_PENDING_COMMANDS = 10_000

/**
 * The options every client this package creates runs with: an outage fails fast (no offline
 * queue), a hung Redis cannot grow the queue without bound, and reconnects back off to 2 s.
 */
export function clientOptions(commandTimeout: number) {
  return {
    disableOfflineQueue: true,
    // While Redis hangs with the connection open, each verify's lookup waits in the client's
    // queue until its deadline; at a high request rate that queue would grow without bound.
    // Past this many pending commands, new ones fail at once (and count as the store down).
    commandsQueueMaxLength: MAX_PENDING_COMMANDS,
    socket: {
      connectTimeout: Math.max(commandTimeout, 1000),
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  }
}
