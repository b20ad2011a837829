/** The store contract's signing keys on Redis (one hash in the global slot), and leases. */
import type { StoredKey } from '../store.js'
import type { StoreContext } from './context.js'

export async function listKeys(context: StoreContext): Promise<StoredKey[]> {
  return (await context.redis.hVals(context.keys.signingKeys)).map(
    (v) => JSON.parse(v) as StoredKey,
  )
}

export async function addKey(context: StoreContext, key: StoredKey): Promise<void> {
  // Announced on the feed, so every instance's JWKS shows the key within maxStaleness.
  await Promise.all([
    context.feed.append({ kind: 'key', kid: key.kid }),
    context.redis.hSetNX(context.keys.signingKeys, key.kid, JSON.stringify(key)),
  ])
}

export async function replaceKey(context: StoreContext, key: StoredKey): Promise<void> {
  await context.redis.hSet(context.keys.signingKeys, key.kid, JSON.stringify(key))
}

export async function retireKey(context: StoreContext, kid: string): Promise<void> {
  await Promise.all([
    context.feed.append({ kind: 'retired', kid }),
    context.redis.sAdd(context.keys.retiredKids, kid),
  ])
}

export function listRetiredKids(context: StoreContext): Promise<string[]> {
  return context.redis.sMembers(context.keys.retiredKids)
}

export async function acquireLease(
  context: StoreContext,
  name: string,
  owner: string,
  ttlMs: number,
): Promise<boolean> {
  const key = context.keys.lease(name)
  const taken = await context.redis.set(key, owner, {
    NX: true,
    expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
  })
  if (taken === 'OK') return true
  return (await context.redis.get(key)) === owner
}
