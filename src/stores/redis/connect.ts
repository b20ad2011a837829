/**
 * The one way this package makes and connects a Redis client, for the store and for the
 * service's data beside it (users, rate limits, failed attempts): the same client options
 * (`clientOptions`), the same handling of client errors, one deadline on the whole start-up and
 * the same failure, ERR_STORE_UNAVAILABLE with the client's last error as its cause and the
 * address without its credentials.
 */
import type * as Redis from 'redis'
import { RevocableError, StoreUnavailable } from '../../errors.js'
import { requirePeer } from '../../peer.js'
import { clientOptions } from './connection.js'

/** Where to connect: one node by URL, or a cluster by its seed nodes. */
export type RedisSource = { url: string } | { cluster: { rootNodes: { url: string }[] } }

/** The part of a node-redis client or cluster this module drives. */
export interface ConnectableClient {
  readonly isOpen?: boolean
  connect(): Promise<unknown>
  close(): Promise<void>
  destroy?(): void
  on(event: 'error', listener: (error: Error) => void): unknown
}

/** A client this package made: it owns it, and knows its address and last error. */
export interface OwnedRedis {
  readonly client: ConnectableClient
  /** The address, without credentials, for messages. */
  readonly where: string
  /** The client's last error: the cause of a start-up that fails. */
  lastError(): Error | undefined
}

export interface ConnectOptions {
  /** Milliseconds a command may take (the client's connect timeout derives from it). */
  commandTimeout: number
  /** Where the first client error goes (later ones would repeat it on every reconnect). */
  warn: (message: string) => void
  /** Who needs the `redis` package, for the message when it is missing. */
  requiredBy?: string
}

/** `redis://user:pass@host:6379/0` → `redis://[redacted]@host:6379/0`: safe for a message. */
function redactedAddress(url: string): string {
  try {
    const parsed = new URL(url)
    const secret = parsed.username !== '' || parsed.password !== ''
    return `${parsed.protocol}//${secret ? '[redacted]@' : ''}${parsed.host}${parsed.pathname}`
  } catch {
    return 'an unparsable URL'
  }
}

/**
 * Validates the source and makes its client, not yet connected, with the package's client
 * options and an error listener (node-redis emits 'error' on every failed reconnect; without a
 * listener it would crash the process: outages surface through failing commands).
 */
export function createRedisClient(
  source: { url?: unknown; cluster?: unknown },
  options: ConnectOptions,
): OwnedRedis {
  const defaults = clientOptions(options.commandTimeout)
  const requiredBy = options.requiredBy ?? 'revocable/redis'
  let client: ConnectableClient
  let where: string
  if (source.url !== undefined) {
    if (typeof source.url !== 'string') throw new TypeError('"url" must be a redis:// URL')
    const { createClient } = requirePeer<typeof Redis>('redis', requiredBy)
    client = createClient({ url: source.url, ...defaults }) as unknown as ConnectableClient
    where = redactedAddress(source.url)
  } else {
    const rootNodes = (source.cluster as { rootNodes?: unknown } | undefined)?.rootNodes
    if (
      !Array.isArray(rootNodes) ||
      rootNodes.length === 0 ||
      !rootNodes.every((node) => typeof (node as { url?: unknown })?.url === 'string')
    ) {
      throw new TypeError('"cluster.rootNodes" must be a non-empty array of { url }')
    }
    const nodes = rootNodes as { url: string }[]
    const { createCluster } = requirePeer<typeof Redis>('redis', requiredBy)
    client = createCluster({ rootNodes: nodes, defaults }) as unknown as ConnectableClient
    where = nodes.map((node) => redactedAddress(node.url)).join(',')
  }
  let last: Error | undefined
  let reported = false
  client.on('error', (error) => {
    last = error
    if (!reported) options.warn(`revocable: Redis error: ${error.message}`)
    reported = true
  })
  return { client, where, lastError: () => last }
}

/** How long a start-up may take, connecting included, for a command timeout. */
export function startupDeadline(commandTimeout: number): number {
  return clientOptions(commandTimeout).socket.connectTimeout + 4 * commandTimeout
}

/**
 * Runs `start` (connect, then whatever checks follow) under one deadline: a Redis that accepts
 * the connection and never answers (hung, paused, a half-open link) would leave it pending for
 * ever. On failure an owned client is closed (destroyed past the deadline: close() would wait
 * for the hung server), `onLate` receives a start that succeeds after the deadline, and the
 * error is ERR_STORE_UNAVAILABLE with its cause (a RevocableError or TypeError passes as is).
 */
export async function startWithin<T>(
  redis: { client: ConnectableClient; where: string; lastError(): Error | undefined },
  owned: boolean,
  ms: number,
  start: (expired: () => boolean) => Promise<T>,
  onLate: (value: T) => void = () => {},
): Promise<T> {
  let expired = false
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      expired = true
      reject(
        new StoreUnavailable(
          `could not connect to Redis at ${redis.where}: no answer within ${ms} ms`,
          { cause: redis.lastError() },
        ),
      )
    }, ms)
  })
  const starting = start(() => expired)
  starting.catch(() => undefined) // past the deadline, its late failure is nobody's to handle
  try {
    return await Promise.race([starting, deadline])
  } catch (error) {
    void starting.then(onLate).catch(() => undefined)
    if (owned) {
      const { client } = redis
      if (expired && typeof client.destroy === 'function') client.destroy()
      else await client.close().catch(() => undefined)
    }
    if (error instanceof RevocableError || error instanceof TypeError) throw error
    throw new StoreUnavailable(`could not connect to Redis at ${redis.where}`, { cause: error })
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Makes a client for `source` and connects it, within the start-up deadline. The caller owns
 * the client (and closes it).
 *
 * @example
 * const client = await connectRedis({ url: 'redis://127.0.0.1:6379' }, { commandTimeout: 250, warn })
 */
export async function connectRedis(
  source: RedisSource,
  options: ConnectOptions,
): Promise<ConnectableClient> {
  const redis = createRedisClient(source, options)
  return startWithin(redis, true, startupDeadline(options.commandTimeout), async () => {
    await redis.client.connect()
    return redis.client
  })
}
