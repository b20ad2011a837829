import type { Store } from '../stores/store.js'
import { callStore } from './revoker.js'

/**
 * Readiness of the store: it answers a read that every verify may need (the retired key ids)
 * and, where the store can tell (a Redis Cluster), can serve every call. Rejects with
 * ERR_STORE_UNAVAILABLE otherwise. Nothing is written.
 *
 * @example
 * await checkStore(store) // throws StoreUnavailable while Redis is down
 */
export async function checkStore(store: Store): Promise<void> {
  await callStore('answer a readiness check', () => store.listRetiredKids())
  await callStore('answer a readiness check', async () => {
    await store.checkReady?.()
  })
}
