/**
 * `revocable/redis`: the RedisStore class (connecting, gating, delegating). Over ~300 lines
 * because it is the public class: one JSDoc'd method per Store verb, each a gate and a call.
 */
import { systemClock, type Clock } from '../../clock.js'
import { StoreUnavailable } from '../../errors.js'
import type { Cutoffs } from '../../records/cutoff.js'
import type { RotationRequest, RotationResult } from '../../records/rotation.js'
import type { ReauthenticationRequest } from '../../records/reauthentication.js'
import type { SuspensionRecord, UserStateRecord } from '../../records/user-state.js'
import type {
  CreateSessionResult,
  DataLossEvent,
  RevocationQuery,
  RevocationStatus,
  SessionLimit,
  SessionRecord,
  Store,
  StoredKey,
} from '../store.js'
import type { ChangeFeed } from '../change-feed.js'
import {
  createRedisClient,
  startupDeadline,
  startWithin,
  type ConnectableClient,
  type OwnedRedis,
} from './connect.js'
import { withDeadline, type RedisConnection, type ScannableNode } from './connection.js'
export { MAX_PENDING_COMMANDS } from './connection.js'
import { readCutoffs, readEpoch, readOwner, ttl, type StoreContext } from './context.js'
import { DataLossWatchdog } from './data-loss.js'
import { RedisChangeFeed } from './feed.js'
import { FeedWriter } from './feed-writer.js'
import { findUnsafeEvictionPolicies, watchReconnects, type ConfigurableNode } from './health.js'
import { checkPrefix, redisKeys, type RedisKeys } from './keys.js'
import { fromNodeRedisV4, isNodeRedisV4 } from './node-redis-v4.js'
import * as revocations from './revocations.js'
export { SESSION_SLICE } from './revocations.js'
import { SCRIPTS } from './scripts.js'
import * as sessions from './sessions.js'
import * as signingKeys from './signing-keys.js'
import { everySlotServed, keepTopologyFresh } from './topology.js'
import { RedisUserState } from './user-state.js'

export interface RedisStoreOptions {
  /** A Redis URL; the store makes and owns its client. */
  url?: string
  /** Cluster seed nodes; the store makes and owns a cluster client. */
  cluster?: { rootNodes: { url: string }[] }
  /**
   * A node-redis v5 client or cluster, or a node-redis v4 client, the application already has
   * (connected or not). The store does not close it. Give it `disableOfflineQueue: true` so an outage fails fast.
   */
  client?: unknown
  /** Prefix of every key. Default `rvk:`. No braces (hash tags are the store's). */
  prefix?: string
  /** A command slower than this (ms) counts as a failure: a slow Redis is a down Redis. Default 250. */
  commandTimeout?: number
  /** What to do when `maxmemory-policy` is not `noeviction`: `warn` (default) or `refuse` to start. */
  onUnsafeEviction?: 'warn' | 'refuse'
  /**
   * What to do when Redis is found to have lost its data: `bump-epoch` (default: every token
   * issued before now is rejected, so no lost revocation can let one back in) or `fail-closed`
   * (every call fails with ERR_STORE_UNAVAILABLE until `acknowledgeDataLoss()`).
   */
  onDataLoss?: 'bump-epoch' | 'fail-closed'
  /** Milliseconds between checks of the generation marker. Default 5000. */
  dataLossCheckInterval?: number
  /**
   * How long the change feed keeps entries, in ms. Must be at least `maxAccessTokenTtl` +
   * `clockTolerance` of every verifier, so a replica can always rebuild every live denial.
   * Default 86 700 000 (one day and five minutes).
   */
  feedRetention?: number
  /** The clock entry lifetimes are computed with; pass the same one as `createRevocable`'s. */
  clock?: Clock
  /** Where warnings go. Default `console.warn`. */
  warn?: (message: string) => void
}

/** Every default of `RedisStoreOptions`, in one place (README "Redis" lists the same). */
export const REDIS_STORE_DEFAULTS = Object.freeze({
  prefix: 'rvk:',
  commandTimeout: 250,
  onUnsafeEviction: 'warn' as 'warn' | 'refuse',
  onDataLoss: 'bump-epoch' as 'bump-epoch' | 'fail-closed',
  dataLossCheckInterval: 5000,
  feedRetention: 86_700_000,
})

/** node runs a timer longer than this after 1 ms (TimeoutOverflowWarning). */
const MAX_TIMER_MS = 2 ** 31 - 1

/** A duration option: a positive number of ms; `timer` ones also fit a timer. */
function checkDuration(name: string, value: unknown, timer: boolean): void {
  if (value === undefined) return
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new TypeError(`"${name}" must be a positive number of milliseconds`)
  }
  if (timer && value > MAX_TIMER_MS) {
    throw new TypeError(`"${name}" must be at most ${MAX_TIMER_MS} ms (a timer's limit)`)
  }
}

type RedisConnectionWithState = RedisConnection & { isOpen?: boolean }

/**
 * The production store: Redis (>= 6.2, or Valkey) or Redis Cluster through node-redis v5. Every
 * multi-key change is one Lua script on one slot; every key carries a TTL; no KEYS or SCAN is
 * ever issued. `checkRevocation` is one pipelined round trip.
 *
 * This class connects and gates; the work is in sibling modules by job: connect.ts (the one
 * connect path, shared with the service), data-loss.ts (the watchdog), feed-writer.ts (feed
 * writes), sessions.ts, revocations.ts and signing-keys.ts (the Store contract), keys.ts.
 */
export class RedisStore implements Store {
  readonly #redis: RedisConnection
  /** The connection as given or made, without the command timeout (for duplicating). */
  readonly #connection: RedisConnection
  readonly #owned: boolean
  readonly #feedRetention: number
  readonly #keys: RedisKeys
  readonly #clock: Clock
  readonly #warn: (message: string) => void
  readonly #nodes: () => Promise<ConfigurableNode[]>
  readonly #feed: FeedWriter
  readonly #watchdog: DataLossWatchdog
  readonly #context: StoreContext
  #stopWatching: () => void = () => {}
  #stopTopology: () => void = () => {}
  readonly #commandTimeout: number
  readonly #userState: RedisUserState

  private constructor(
    redis: RedisConnection,
    owned: boolean,
    options: RedisStoreOptions,
    nodes: () => Promise<ConfigurableNode[]>,
  ) {
    this.#nodes = nodes
    this.#connection = redis
    const timeout = options.commandTimeout ?? REDIS_STORE_DEFAULTS.commandTimeout
    this.#commandTimeout = timeout
    // The client's own timeout bounds the wait to be written; the deadline bounds the reply.
    this.#redis = withDeadline(redis.withCommandOptions({ timeout }), timeout)
    this.#owned = owned
    this.#feedRetention = options.feedRetention ?? REDIS_STORE_DEFAULTS.feedRetention
    this.#keys = redisKeys(checkPrefix(options.prefix ?? REDIS_STORE_DEFAULTS.prefix))
    this.#clock = options.clock ?? systemClock
    this.#warn = options.warn ?? ((message) => console.warn(message))
    this.#feed = new FeedWriter({
      redis: this.#redis,
      keys: this.#keys,
      clock: this.#clock,
      retentionMs: this.#feedRetention,
      seen: (id) => this.#watchdog.noteRevision(id), // called after construction
    })
    this.#context = {
      redis: this.#redis,
      keys: this.#keys,
      clock: this.#clock,
      feed: this.#feed,
      ready: () => this.#watchdog.ready(),
    }
    this.#watchdog = new DataLossWatchdog({
      redis: this.#redis,
      keys: this.#keys,
      clock: this.#clock,
      onDataLoss: options.onDataLoss ?? REDIS_STORE_DEFAULTS.onDataLoss,
      warn: this.#warn,
      interval: options.dataLossCheckInterval ?? REDIS_STORE_DEFAULTS.dataLossCheckInterval,
      setEpoch: (cutoff) => revocations.setEpoch(this.#context, cutoff),
    })
    this.#userState = new RedisUserState({
      redis: this.#redis,
      keys: this.#keys,
      ttl: (expiresAt) => ttl(this.#context, expiresAt),
      append: (change) => this.#context.feed.append(change),
      owner: (sid) => readOwner(this.#context, sid),
      epoch: () => readEpoch(this.#context),
      revokeSession: (sid, expiresAt) => this.revokeSession(sid, expiresAt),
    })
  }

  /**
   * Connects (unless given a client that is already connected), checks the eviction policy and
   * the generation marker, and returns the store.
   *
   * @example
   * const store = await RedisStore.connect({ url: 'redis://127.0.0.1:6379' })
   * const auth = await createRevocable({ issuer, audience, store })
   */
  static async connect(options: RedisStoreOptions): Promise<RedisStore> {
    if (options === null || typeof options !== 'object') {
      throw new TypeError('RedisStore.connect() takes an object with "url", "cluster" or "client"')
    }
    const sources = [options.url, options.cluster, options.client].filter((v) => v !== undefined)
    if (sources.length !== 1) {
      throw new TypeError('give exactly one of "url", "cluster" or "client"')
    }
    checkDuration('commandTimeout', options.commandTimeout, true)
    checkDuration('dataLossCheckInterval', options.dataLossCheckInterval, true)
    checkDuration('feedRetention', options.feedRetention, false)
    const timeout = options.commandTimeout ?? REDIS_STORE_DEFAULTS.commandTimeout
    if (
      options.onUnsafeEviction !== undefined &&
      !['warn', 'refuse'].includes(options.onUnsafeEviction)
    ) {
      throw new TypeError('"onUnsafeEviction" must be "warn" or "refuse"')
    }
    if (
      options.onDataLoss !== undefined &&
      !['bump-epoch', 'fail-closed'].includes(options.onDataLoss)
    ) {
      throw new TypeError('"onDataLoss" must be "bump-epoch" or "fail-closed"')
    }

    let redis: OwnedRedis
    const owned = options.client === undefined
    if (options.client !== undefined) {
      // A node-redis v4 client (jwt-redis apps run on v4) is adapted to the v5 shape.
      const client = (
        isNodeRedisV4(options.client) ? fromNodeRedisV4(options.client as object) : options.client
      ) as ConnectableClient
      redis = { client, where: '(the given client)', lastError: () => undefined }
    } else {
      redis = createRedisClient(options, {
        commandTimeout: timeout,
        warn: options.warn ?? ((message) => console.warn(message)),
      })
    }
    const connection = redis.client as unknown as RedisConnectionWithState
    const isCluster = typeof (connection as { masters?: unknown }).masters !== 'undefined'
    const nodes = async (): Promise<ConfigurableNode[]> =>
      isCluster
        ? Promise.all(
            (
              connection as unknown as {
                masters: unknown[]
                nodeClient(node: unknown): Promise<ConfigurableNode>
              }
            ).masters.map((master) =>
              (
                connection as unknown as { nodeClient(node: unknown): Promise<ConfigurableNode> }
              ).nodeClient(master),
            ),
          )
        : [connection as unknown as ConfigurableNode]

    const start = async (expired: () => boolean): Promise<RedisStore> => {
      if (!connection.isOpen) await redis.client.connect()
      const store = new RedisStore(connection, owned, options, nodes)
      const unsafe = await findUnsafeEvictionPolicies(await nodes())
      if (unsafe.length > 0) {
        const message =
          `revocable: Redis maxmemory-policy is ${unsafe.join(', ')}, not noeviction: under memory ` +
          'pressure Redis may silently evict revocation entries and revoked tokens would be accepted again'
        const onUnsafe = options.onUnsafeEviction ?? REDIS_STORE_DEFAULTS.onUnsafeEviction
        if (onUnsafe === 'refuse') throw new TypeError(message)
        store.#warn(message)
      }
      // Watched before the first check: a connection lost from here on is checked again.
      store.#stopWatching = watchReconnects(connection, () => store.#watchdog.interrupted())
      store.#stopTopology = keepTopologyFresh(connection)
      await store.checkDataLoss()
      if (expired()) throw new StoreUnavailable('Redis answered after the start-up deadline')
      store.#watchdog.start()
      return store
    }
    return startWithin(redis, owned, startupDeadline(timeout), start, (store) => {
      store.#stopWatching()
      store.#stopTopology()
    })
  }

  /**
   * Compares the generation marker and the change feed's revision with what this instance saw
   * before. Runs at start, after every reconnect (before any other command is trusted),
   * periodically, and before every replica snapshot; resolves to true when it found (and
   * handled) a data loss: a marker gone or different (Redis lost its data), or a feed older than
   * one this instance already saw (Redis was rolled back).
   */
  checkDataLoss(): Promise<boolean> {
    return this.#watchdog.check()
  }

  /**
   * Calls `listener` after each data loss this store detects and handles (the action is taken
   * first): for an audit line and a metric.
   *
   * @example
   * store.onDataLoss((event) => log.error({ audit: 'data_loss', ...event }, 'Redis lost data'))
   */
  onDataLoss(listener: (event: DataLossEvent) => void): void {
    this.#watchdog.onDataLoss(listener)
  }

  /** The gate of every call: see DataLossWatchdog.ready. */
  #ready(): Promise<void> {
    return this.#watchdog.ready()
  }

  /**
   * Resolves when the store can serve every call now, rejects with ERR_STORE_UNAVAILABLE when
   * not: the data-loss check has run, and every master answers PING within the command timeout;
   * on a cluster, every slot (users' keys spread over all of them) has a connected master.
   *
   * @example
   * app.get('/readyz', async () => { await store.checkReady(); return { status: 'ready' } })
   */
  async checkReady(): Promise<void> {
    await this.#ready()
    if (!everySlotServed(this.#connection)) {
      throw new StoreUnavailable('not every Redis Cluster slot has a reachable master')
    }
    try {
      const nodes = (await this.#nodes()) as unknown as { ping(): Promise<string> }[]
      await Promise.all(nodes.map((node) => withDeadline(node, this.#commandTimeout).ping()))
    } catch (error) {
      throw new StoreUnavailable('a Redis master did not answer PING', { cause: error })
    }
  }

  /** After a data loss in `fail-closed` mode: resume serving (an operator's decision). */
  acknowledgeDataLoss(): void {
    this.#watchdog.acknowledge()
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    await this.#ready()
    await revocations.revokeJti(this.#context, jti, expiresAt)
  }

  /**
   * Records that a token with this jti was issued, until `expiresAt` (ms), with an opaque
   * `record` (revocable/jwt-redis keeps jwt-redis's label there, so that `destroy` can say
   * whether it destroyed something). Not part of the Store contract: only jwt-redis needs it.
   *
   * @example
   * await store.recordIssued(jti, JSON.stringify({ until, exp }), until)
   */
  async recordIssued(jti: string, record: string, expiresAt: number): Promise<void> {
    await this.#ready()
    await revocations.recordIssued(this.#context, jti, record, expiresAt)
  }

  /**
   * The record `recordIssued` wrote for this jti, or null (never written, expired, taken).
   *
   * @example
   * const record = await store.readIssued(jti)
   */
  async readIssued(jti: string): Promise<string | null> {
    await this.#ready()
    return revocations.readIssued(this.#context, jti)
  }

  /**
   * Deletes the issued record of a jti; true when this call deleted it (one caller wins).
   *
   * @example
   * const wasLive = await store.deleteIssued(jti)
   */
  async deleteIssued(jti: string): Promise<boolean> {
    await this.#ready()
    return revocations.deleteIssued(this.#context, jti)
  }

  async revokeSession(sid: string, expiresAt: number): Promise<SessionRecord | undefined> {
    await this.#ready()
    return sessions.revokeSession(this.#context, sid, expiresAt)
  }

  async revokeUser(
    sub: string,
    cutoff: number,
    expiresAt: number,
    everySession = false,
  ): Promise<SessionRecord[]> {
    await this.#ready()
    return revocations.revokeUser(this.#context, sub, cutoff, expiresAt, everySession)
  }

  async setEpoch(cutoff: number): Promise<void> {
    await this.#ready()
    await revocations.setEpoch(this.#context, cutoff)
  }

  async checkRevocation(query: RevocationQuery): Promise<RevocationStatus> {
    await this.#ready()
    return revocations.checkRevocation(this.#context, query)
  }

  // Issue #15's per-user state lives in user-state.ts; these delegate to it.
  async getUserState(sub: string): Promise<UserStateRecord> {
    await this.#ready()
    return this.#userState.get(sub)
  }

  async suspendUser(sub: string, suspension: SuspensionRecord): Promise<void> {
    await this.#ready()
    await this.#userState.suspend(sub, suspension)
  }

  async reinstateUser(sub: string): Promise<SuspensionRecord | undefined> {
    await this.#ready()
    return this.#userState.reinstate(sub)
  }

  async setClaimsCutoff(sub: string, cutoff: number, expiresAt: number): Promise<void> {
    await this.#ready()
    await this.#userState.setClaimsCutoff(sub, cutoff, expiresAt)
  }

  async forgetUser(sub: string): Promise<void> {
    await this.#ready()
    await this.#userState.forget(sub)
  }

  async reauthenticateSession(
    request: ReauthenticationRequest,
  ): Promise<SessionRecord | undefined> {
    await this.#ready()
    return this.#userState.reauthenticate(request)
  }

  async listKeys(): Promise<StoredKey[]> {
    await this.#ready()
    return signingKeys.listKeys(this.#context)
  }

  async addKey(key: StoredKey): Promise<void> {
    await this.#ready()
    await signingKeys.addKey(this.#context, key)
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.#ready()
    return signingKeys.acquireLease(this.#context, name, owner, ttlMs)
  }

  async replaceKey(key: StoredKey): Promise<void> {
    await this.#ready()
    await signingKeys.replaceKey(this.#context, key)
  }

  async retireKey(kid: string): Promise<void> {
    await this.#ready()
    await signingKeys.retireKey(this.#context, kid)
  }

  async listRetiredKids(): Promise<string[]> {
    await this.#ready()
    return signingKeys.listRetiredKids(this.#context)
  }

  async createSession(session: SessionRecord, limit: SessionLimit): Promise<CreateSessionResult> {
    await this.#ready()
    return sessions.createSession(this.#context, session, limit)
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    await this.#ready()
    return sessions.getSession(this.#context, sid)
  }

  async listSessions(sub: string, now: number): Promise<SessionRecord[]> {
    await this.#ready()
    return sessions.listSessions(this.#context, sub, now)
  }

  /**
   * Rotation as compare-and-swap (see sessions.ts): of any number of concurrent callers with
   * one token, exactly one swaps in a rotation.
   */
  async rotateRefreshToken(request: RotationRequest): Promise<RotationResult> {
    await this.#ready()
    return sessions.rotateRefreshToken(this.#context, request)
  }

  async readCutoffs(sub: string): Promise<Cutoffs> {
    await this.#ready()
    return readCutoffs(this.#context, sub)
  }

  /** Redis `TIME` in ms, from the node of the global slot (one clock for every instance). */
  async time(): Promise<number> {
    return Number(await SCRIPTS.time.run(this.#redis, [this.#keys.epoch], []))
  }

  /**
   * The id of the newest change this instance appended: once a revocation resolved, a replica
   * whose position reached it has applied that revocation.
   *
   * @example
   * await store.revokeSession(sid, expiresAt)
   * const position = store.feedPosition() // e.g. '1767225600000-0'
   */
  feedPosition(): string | undefined {
    return this.#feed.position
  }

  /**
   * Replica `replicaId` has applied the feed up to `position`; forgotten after `ttlMs`.
   *
   * @example
   * await store.acknowledgeFeed(replicaId, cursor, 2 * maxStalenessMs)
   */
  async acknowledgeFeed(replicaId: string, position: string, ttlMs: number): Promise<void> {
    await this.#ready()
    await revocations.acknowledgeFeed(this.#context, replicaId, position, ttlMs)
  }

  /**
   * How many replicas with a live acknowledgement have not reached `position`.
   *
   * @example
   * const behind = await store.replicasBehind(store.feedPosition() as string)
   */
  async replicasBehind(position: string): Promise<number> {
    await this.#ready()
    return revocations.replicasBehind(this.#context, position)
  }

  /** Opens the change feed on a connection of its own (its blocking reads need one). */
  async openChangeFeed(): Promise<ChangeFeed> {
    const blocking = this.#connection.duplicate()
    blocking.on('error', () => {}) // failures surface as rejected reads; the follower retries
    await blocking.connect()
    // A duplicated cluster client has a slot map of its own to keep current after a failover.
    const stopTopology = keepTopologyFresh(blocking)
    return new RedisChangeFeed({
      redis: this.#redis,
      blocking,
      keys: this.#keys,
      retentionMs: this.#feedRetention,
      now: this.#clock,
      nodes: async () => (await this.#nodes()) as unknown as ScannableNode[],
      checkData: async () => {
        await this.checkDataLoss()
        this.#watchdog.assertData()
      },
      assertData: () => this.#watchdog.assertData(),
      seen: (id) => this.#watchdog.noteRevision(id),
      onClose: stopTopology,
    })
  }

  async close(): Promise<void> {
    this.#watchdog.stop()
    this.#stopWatching()
    this.#stopTopology()
    if (this.#owned) await this.#redis.close()
  }
}
