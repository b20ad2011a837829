/**
 * Redis Cluster failover recovery. node-redis's cluster client learns a new topology only when a
 * node answers MOVED or ASK; a master that dies (kill -9, a lost host) answers nothing, so after
 * its replica is promoted the client keeps dialling the dead address and every command for its
 * slots fails until the process restarts. Here a node error starts a rediscovery loop that asks
 * the cluster for its slots until every slot has a connected master again.
 */

/** The part of node-redis's cluster client (v5) this uses; `_slots` is its slot map. */
interface ClusterSlots {
  slots: ({ master?: { client?: { isReady?: boolean } } } | undefined)[]
  masters: { client?: { isReady?: boolean; options?: unknown } }[]
  rediscover(startWith: { options?: unknown }): Promise<void>
}

interface ClusterLike {
  _slots?: ClusterSlots
  on(event: string, fn: (...args: unknown[]) => void): unknown
  off(event: string, fn: (...args: unknown[]) => void): unknown
}

/** How often the loop asks for the topology while a master is unreachable. */
const REDISCOVER_INTERVAL_MS = 250

/** Whether every slot is assigned to a master whose connection is ready. */
export function everySlotServed(cluster: unknown): boolean {
  const slots = (cluster as ClusterLike)._slots?.slots
  if (slots === undefined) return true // not a cluster
  if (slots.length === 0) return false
  for (let slot = 0; slot < slots.length; slot += 1) {
    if (slots[slot]?.master?.client?.isReady !== true) return false
  }
  return true
}

/**
 * Keeps a cluster client's topology current after node failures. Does nothing for a standalone
 * client. Returns the function that stops it.
 */
export function keepTopologyFresh(connection: unknown): () => void {
  const cluster = connection as Partial<ClusterLike>
  if (
    cluster._slots === undefined ||
    typeof cluster.on !== 'function' ||
    typeof cluster.off !== 'function'
  ) {
    return () => {}
  }
  const slots = cluster._slots
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const round = async (): Promise<void> => {
    timer = undefined
    if (stopped) return
    // Any node's options will do as the first place to ask; the root nodes are the fallback.
    const start = slots.masters.find((m) => m.client?.isReady)?.client ?? slots.masters[0]?.client
    if (start !== undefined) await slots.rediscover(start).catch(() => undefined)
    if (!stopped && !everySlotServed(connection)) schedule()
  }
  const schedule = () => {
    if (timer !== undefined || stopped) return
    timer = setTimeout(() => void round(), REDISCOVER_INTERVAL_MS)
    timer.unref()
  }
  const onNodeTrouble = () => schedule()
  cluster.on('node-error', onNodeTrouble)
  cluster.on('node-reconnecting', onNodeTrouble)
  return () => {
    stopped = true
    clearTimeout(timer)
    cluster.off?.('node-error', onNodeTrouble)
    cluster.off?.('node-reconnecting', onNodeTrouble)
  }
}
