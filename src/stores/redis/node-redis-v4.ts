/**
 * A node-redis v4 client seen through the v5 shape the store is written against. jwt-redis 7
 * apps run on v4 (its peer range), and moving to revocable/jwt-redis should not force a client
 * upgrade in the same step. The differences the store meets are few: `SET`'s expiry option, the
 * missing `withCommandOptions` and `close`, and `scanIterator` yielding keys one at a time.
 * Everything else (GET, EVALSHA, XADD, XREAD...) has the same signature and reply shape.
 */

/** The part of a v4 client this adapter calls beyond the commands it passes through. */
interface NodeRedisV4Client {
  set(key: string, value: string, options?: Record<string, unknown>): Promise<string | null>
  scanIterator(options: { MATCH: string; COUNT: number }): AsyncIterable<string>
  duplicate(): NodeRedisV4Client
  quit(): Promise<unknown>
  disconnect(): Promise<void>
}

/**
 * True for a node-redis v4 client: it has `quit` and `scanIterator` but not v5's
 * `withCommandOptions` (every v5 client and cluster has that, and is not matched).
 *
 * @example
 * const connection = isNodeRedisV4(client) ? fromNodeRedisV4(client) : client
 */
export function isNodeRedisV4(client: unknown): boolean {
  if (client === null || typeof client !== 'object') return false
  const c = client as Record<string, unknown>
  return (
    typeof c.withCommandOptions !== 'function' &&
    typeof c.quit === 'function' &&
    typeof c.scanIterator === 'function'
  )
}

/** Batches v4's one-key-at-a-time SCAN iterator into v5's arrays of keys. */
async function* batches(keys: AsyncIterable<string>, size: number): AsyncIterable<string[]> {
  let batch: string[] = []
  for await (const key of keys) {
    batch.push(key)
    if (batch.length >= size) {
      yield batch
      batch = []
    }
  }
  if (batch.length > 0) yield batch
}

/**
 * Wraps a node-redis v4 client (or a duplicate of one) so it answers like a v5 client. Unknown
 * properties pass through to the client, bound to it.
 *
 * @example
 * const store = await RedisStore.connect({ client: fromNodeRedisV4(v4Client) })
 */
export function fromNodeRedisV4<T extends object>(client: T): T {
  const v4 = client as unknown as NodeRedisV4Client
  const overrides: Record<string, unknown> = {
    set(key: string, value: string, options?: Record<string, unknown>) {
      if (options === undefined) return v4.set(key, value)
      const { expiration, ...rest } = options as {
        expiration?: { type: string; value: number }
      }
      const translated: Record<string, unknown> = { ...rest }
      if (expiration !== undefined) translated[expiration.type] = expiration.value
      return v4.set(key, value, translated)
    },
    // v4 has no per-call timeout option; the store's reply deadline still bounds every command.
    withCommandOptions: () => wrapped,
    close: () => v4.quit(),
    destroy: () => {
      v4.disconnect().catch(() => undefined)
    },
    duplicate: () => fromNodeRedisV4(v4.duplicate()),
    scanIterator: (options: { MATCH: string; COUNT: number }) =>
      batches(v4.scanIterator(options), options.COUNT),
  }
  const wrapped: T = new Proxy(client, {
    get(target, property) {
      if (typeof property === 'string' && Object.hasOwn(overrides, property)) {
        return overrides[property]
      }
      const value = Reflect.get(target, property, target) as unknown
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value
    },
  })
  return wrapped
}
