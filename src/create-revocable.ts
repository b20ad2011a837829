import { parseKeyEncryptionKey, type KeyEncryptionKey } from './keys/envelope.js'
import { importConfiguredKey } from './keys/import.js'
import { KeyRing } from './keys/key-ring.js'
import { resolveOptions, type ResolvedOptions, type RevocableOptions } from './options.js'
import { Revocable } from './revocable.js'
import { FeedFollower, type FollowerOptions } from './revocation/feed.js'
import { Replica } from './revocation/replica.js'
import { StoreClock } from './revocation/store-clock.js'
import type { ReplicaRuntime } from './revocation/verifier.js'
import { callStore } from './stores/call-store.js'
import { MemoryStore } from './stores/memory.js'
import type { Store } from './stores/store.js'
import { randomId } from './tokens/ids.js'

// The factory: everything `createRevocable` builds before the façade exists (options, store
// clock, key-encryption key, key ring, replica), apart from the façade's verbs (revocable.ts).

// How often an instance re-measures its offset from the store's clock.
const STORE_CLOCK_SYNC_INTERVAL_MS = 30_000

/**
 * Creates a Revocable: validates the options, opens the key ring (generating and storing a key
 * when none is configured or stored) and returns the object with every verb.
 *
 * @example
 * import { createRevocable } from 'revocable'
 *
 * const auth = await createRevocable({ issuer: 'https://auth.example.com', audience: 'api' })
 * const token = await auth.issue({ sub: 'user-42' })
 * const claims = await auth.verify(token) // { sub: 'user-42', sid, jti, … }
 * await auth.revokeSession(claims.sid)
 * await auth.verify(token) // throws ERR_TOKEN_REVOKED
 */
export async function createRevocable(options: RevocableOptions): Promise<Revocable> {
  let resolved = resolveOptions(options)
  const configured = await Promise.all(
    resolved.keys.map((key, index) => importConfiguredKey(key, `keys[${index}]`)),
  )
  const ownsStore = resolved.store === undefined
  const store: Store = resolved.store ?? new MemoryStore({ clock: resolved.clock })
  let storeClock: StoreClock | undefined
  if (resolved.timeAuthority === 'store' && store.time !== undefined) {
    // One time line for every instance: this one's clock, corrected to the store's.
    const clock = new StoreClock(resolved.clock, store.time.bind(store))
    await callStore('read the store clock', () => clock.sync())
    clock.start(STORE_CLOCK_SYNC_INTERVAL_MS)
    storeClock = clock
    resolved = Object.freeze({ ...resolved, clock: clock.now })
  }
  const kek = await keyEncryptionKeyFor(resolved, store, configured.length > 0)
  const ring = await callStore('open the key ring', () =>
    KeyRing.open({
      store,
      configured,
      algorithm: resolved.algorithm,
      clock: resolved.clock,
      kek,
      warn: resolved.warn,
    }),
  )
  let runtime: ReplicaRuntime | undefined
  if (resolved.replica === 'auto' && store.openChangeFeed !== undefined) {
    const openFeed = store.openChangeFeed.bind(store)
    const feed = await callStore('open the change feed', openFeed)
    const replica = new Replica()
    const follower = new FeedFollower(feed, replica, {
      clock: resolved.clock,
      // An idle read proves freshness as of its start and returns blockMs later, so staleness
      // peaks near twice blockMs (plus a round trip): a quarter of the allowance leaves room.
      blockMs: Math.min(250, (resolved.maxStaleness * 1000) / 4),
      sweepInterval: 60_000,
      onKeysChanged: () => keysChanged?.(),
      acknowledge: acknowledgeFor(store, resolved.maxStaleness * 1000),
    })
    await callStore('load the replica', () => follower.start())
    runtime = { replica, follower }
  }
  const auth = new Revocable(resolved, store, ownsStore, ring, runtime, storeClock)
  // Set after construction: a key change seen on the feed reloads this instance's ring.
  const keysChanged = () => auth.reloadKeysSoon()
  auth.startKeyMaintenance()
  return auth
}

/**
 * How a replica publishes its feed position, when the store takes acknowledgements. The
 * acknowledgement lives twice maxStaleness: never less than maxStaleness (a replica skipped as
 * gone must already have stopped answering from memory), and long enough to be renewed by reads
 * that return every quarter of it.
 */
function acknowledgeFor(store: Store, maxStalenessMs: number): FollowerOptions['acknowledge'] {
  if (store.acknowledgeFeed === undefined) return undefined
  const acknowledge = store.acknowledgeFeed.bind(store)
  const replicaId = randomId()
  const ttlMs = 2 * maxStalenessMs
  return {
    write: (position) => acknowledge(replicaId, position, ttlMs),
    ttlMs,
    // Expires at once (1 ms) and is then forgotten: closing an instance holds nobody up.
    withdraw: () => acknowledge(replicaId, '0-0', 1),
  }
}

/**
 * The key-encryption key: the option, else the store's own (SQLite: a 0600 file beside the
 * database). A store that is not process memory gets no private key in plaintext unless
 * `allowPlaintextKeys` says so; an instance with configured keys stores none.
 */
async function keyEncryptionKeyFor(
  resolved: ResolvedOptions,
  store: Store,
  hasConfiguredKeys: boolean,
): Promise<KeyEncryptionKey | undefined> {
  if (resolved.keyEncryptionKey !== undefined) {
    return parseKeyEncryptionKey(resolved.keyEncryptionKey, '"keyEncryptionKey"')
  }
  if (store instanceof MemoryStore) return undefined
  const local = await store.localKeyEncryptionKey?.()
  if (local !== undefined) return parseKeyEncryptionKey(local, "the store's key-encryption key")
  if (hasConfiguredKeys || resolved.allowPlaintextKeys) return undefined
  throw new TypeError(
    'generated private keys would be kept in the store in plaintext: give "keyEncryptionKey" ' +
      '(KEY_ENCRYPTION_KEY), configure "keys" (SIGNING_KEYS), or set "allowPlaintextKeys: true"',
  )
}
