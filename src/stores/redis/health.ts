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
