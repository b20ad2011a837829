import type { RedisConnection } from './connection.js'

/** A node that answers CONFIG GET (a standalone client, or one node of a cluster). */
export interface ConfigurableNode {
  configGet(parameter: string): Promise<Record<string, string>>
}

/**
 * Revocation entries carry TTLs, and the `volatile-*` and `allkeys-*` eviction policies remove
 * such keys silently under memory pressure: a revoked token would quietly become valid again.
 * Only `noeviction` (writes fail loudly when memory is full) is safe. Returns the offending
 * policies, or an empty list. A server that refuses CONFIG (managed Redis) is reported as such.
 */
/** An error the Redis server answered with (node-redis's ErrorReply), not a failed connection. */
function isErrorReply(error: unknown): boolean {
  return error instanceof Error && error.constructor.name === 'ErrorReply'
}

export async function findUnsafeEvictionPolicies(nodes: ConfigurableNode[]): Promise<string[]> {
  const problems: string[] = []
  for (const node of nodes) {
    try {
      const policy = (await node.configGet('maxmemory-policy'))['maxmemory-policy']
      if (policy !== undefined && policy !== 'noeviction') problems.push(policy)
    } catch (error) {
      // Only a server's refusal (a managed Redis without CONFIG) says anything about the policy;
      // a connection that failed is an outage, reported as one by the caller.
      if (!isErrorReply(error)) throw error
      problems.push('unknown (CONFIG GET refused)')
    }
  }
  return problems
}

/**
 * The generation marker: a random value written once per data set. While it reads back the value
 * this process saw, Redis has kept its data; when it is gone or different, Redis lost its data
 * (a restart without persistence, a failover to an empty replica, a FLUSHALL).
 */
export async function readOrWriteGeneration(
  redis: RedisConnection,
  key: string,
  candidate: string,
): Promise<string> {
  await redis.set(key, candidate, { NX: true })
  const value = await redis.get(key)
  if (value === null) throw new Error('generation marker vanished right after it was written')
  return value
}

/**
 * The feed stream's last generated id: Redis's revision counter for this store. It only grows
 * (trimming does not lower it), so a value below one seen before means the data was rolled back.
 * Null when there is no stream; undefined when the client's reply does not say (then no
 * rollback can be judged from it).
 */
export async function readFeedRevision(
  redis: RedisConnection,
  key: string,
): Promise<string | null | undefined> {
  let info: Record<string, unknown>
  try {
    info = (await redis.xInfoStream(key)) as Record<string, unknown>
  } catch (error) {
    if (error instanceof Error && /no such key/i.test(error.message)) return null
    throw error
  }
  // node-redis v5 keeps Redis's field names; v4 (through the adapter) camel-cases them.
  const id = info['last-generated-id'] ?? info.lastGeneratedId
  if (typeof id !== 'string') return undefined
  return id === '0-0' ? null : id
}

type Listenable = {
  on(event: string, fn: (...args: unknown[]) => void): unknown
  off(event: string, fn: (...args: unknown[]) => void): unknown
}

// What a node-redis client or cluster emits when a connection is lost or replaced: after any of
// them, the server that answers may not be the one whose data was checked.
const INTERRUPTIONS = [
  'error',
  'reconnecting',
  'end',
  'node-error',
  'node-reconnecting',
  'node-ready',
  'node-disconnect',
]

/** Calls `onInterruption` on every connection loss of a client or cluster; returns the unsubscribe. */
export function watchReconnects(connection: unknown, onInterruption: () => void): () => void {
  const emitter = connection as Partial<Listenable>
  if (typeof emitter.on !== 'function' || typeof emitter.off !== 'function') return () => {}
  const listener = () => onInterruption()
  for (const event of INTERRUPTIONS) emitter.on(event, listener)
  return () => {
    for (const event of INTERRUPTIONS) emitter.off?.(event, listener)
  }
}
