import { performance } from 'node:perf_hooks'
import type { Store } from '../stores/store.js'

const FIRST_POLL_MS = 1
const LONGEST_POLL_MS = 50

export interface AwaitReplicasOptions {
  /** The replicas' freshness allowance (maxStaleness) in ms: the longest this waits. */
  readonly maxStalenessMs: number
}

/**
 * Waits until every live replica has applied the changes this process has written so far, so
 * a revocation that resolves holds on every instance at once. Call it after the revocation's
 * write has resolved.
 *
 * Bounded by maxStaleness, and safe to give up at that bound: a replica answers from memory
 * only while it has read the feed within maxStaleness, so once maxStaleness has passed since the
 * write, any replica still answering has read past it. A replica that stopped acknowledging (a
 * dead or partitioned process) is waited for until then, or until its acknowledgement expires;
 * a failing store read is no reason to resolve early either, so it waits out the bound.
 * A store without acknowledgements (memory, SQLite: no feed, one process) resolves at once.
 *
 * @example
 * await store.revokeSession(sid, expiresAt)
 * await awaitReplicas(store, { maxStalenessMs: 1000 })
 */
export async function awaitReplicas(store: Store, options: AwaitReplicasOptions): Promise<void> {
  const position = store.feedPosition?.()
  if (position === undefined || store.replicasBehind === undefined) return
  // Measured on the monotonic clock: the bound is a duration each replica measures on its own
  // clock, and neither an injected clock nor a corrected wall clock may shorten it.
  const started = performance.now()
  const elapsed = () => performance.now() - started
  let pause = FIRST_POLL_MS
  while (elapsed() < options.maxStalenessMs) {
    try {
      if ((await store.replicasBehind(position)) === 0) return
    } catch {
      // Unknown: keep waiting, up to the bound that holds without the store's answer.
    }
    const left = options.maxStalenessMs - elapsed()
    if (left <= 0) return
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)))
    pause = Math.min(pause * 2, LONGEST_POLL_MS)
  }
}
