import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type * as Redis from 'redis'
import { requirePeer } from '../../peer.js'
import { systemClock, type Clock } from '../../clock.js'
import { RevocableError, StoreUnavailable } from '../../errors.js'
import { isCutOff, type Cutoffs } from '../../records/cutoff.js'
import {
  decideRotation,
  type RotationRequest,
  type RotationResult,
} from '../../records/rotation.js'
import { isSessionActive } from '../../records/session.js'
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
import type { Change, ChangeFeed } from '../change-feed.js'
import {
  clientOptions,
  withDeadline,
  type RedisConnection,
  type ScannableNode,
} from './connection.js'
export { MAX_PENDING_COMMANDS } from './connection.js'
import { compareIds, RedisChangeFeed } from './feed.js'
import {
  findUnsafeEvictionPolicies,
  readFeedRevision,
  readOrWriteGeneration,
  watchReconnects,
  type ConfigurableNode,
} from './health.js'
import { checkPrefix, redisKeys, type RedisKeys } from './keys.js'
import { fromNodeRedisV4, isNodeRedisV4 } from './node-redis-v4.js'
import { everySlotServed, keepTopologyFresh } from './topology.js'
import { SCRIPTS } from './scripts.js'
import { RedisUserState } from './user-state.js'
import {
  isSuspended,
  type SuspensionRecord,
  type UserStateRecord,
} from '../../records/user-state.js'
import type { ReauthenticationRequest } from '../../records/reauthentication.js'

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

const DEFAULT_PREFIX = 'rvk:'
// How many times a refresh re-reads a session whose record changed under it. Each retry means
// another caller won; after the first winner and one reuse, the record is gone, so 3 suffices
// in practice and the bound only guards against a pathological loop.
const MAX_SWAP_ATTEMPTS = 10
/**
 * Most entries one script call prunes or ends per pass (expired, cut off, evicted): every script
 * costs O(log n) plus this bound, however many sessions the user has. Exported for the tests.
 */
export const SESSION_SLICE = 50
// How many session records listSessions reads per MGET, so one huge account never blocks Redis.
const LIST_CHUNK = 500

type OwnedClient = { connect(): Promise<unknown>; on(event: 'error', fn: (e: Error) => void): void }

/**
 * The production store: Redis (>= 6.2, or Valkey) or Redis Cluster through node-redis v5. Every
 * multi-key change is one Lua script on one slot; every key carries a TTL; no KEYS or SCAN is
 * ever issued. `checkRevocation` is one pipelined round trip.
 */
export class RedisStore implements Store {
  readonly #events = new EventEmitter<{ 'data-loss': [DataLossEvent] }>()
  readonly #redis: RedisConnection
  /** The connection as given or made, without the command timeout (for duplicating). */
  readonly #connection: RedisConnection
  readonly #owned: boolean
  readonly #feedRetention: number
  readonly #keys: RedisKeys
  readonly #clock: Clock
  readonly #options: Required<
    Pick<RedisStoreOptions, 'onDataLoss' | 'warn' | 'dataLossCheckInterval'>
  >
  readonly #nodes: () => Promise<ConfigurableNode[]>
  #generation: string | undefined
  /** The newest change-feed id this instance has written or read: Redis's revision counter. */
  #revision: string | undefined
  /** The id of the newest change this instance appended (what a revocation waits for). */
  #appended: string | undefined
  #dataLost = false
  #checker: NodeJS.Timeout | undefined
  /** Connection losses so far, and how many of them a completed data-loss check covers. */
  #interruptions = 0
  #checkedInterruptions = 0
  #recheck: Promise<void> | undefined
  #checking: Promise<boolean> | undefined
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
    const timeout = options.commandTimeout ?? 250
    this.#commandTimeout = timeout
    // The client's own timeout bounds the wait to be written; the deadline bounds the reply.
    this.#redis = withDeadline(redis.withCommandOptions({ timeout }), timeout)
    this.#owned = owned
    this.#feedRetention = options.feedRetention ?? 86_700_000
    this.#keys = redisKeys(checkPrefix(options.prefix ?? DEFAULT_PREFIX))
    this.#clock = options.clock ?? systemClock
    this.#options = {
      onDataLoss: options.onDataLoss ?? 'bump-epoch',
      warn: options.warn ?? ((message) => console.warn(message)),
      dataLossCheckInterval: options.dataLossCheckInterval ?? 5000,
    }
    this.#userState = new RedisUserState({
      redis: this.#redis,
      keys: this.#keys,
      ttl: (expiresAt) => this.#ttl(expiresAt),
      append: (change) => this.#append(change),
      owner: (sid) => this.#owner(sid),
      epoch: () => this.#epoch(),
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
    const timeout = options.commandTimeout ?? 250
    if (!Number.isFinite(timeout) || timeout <= 0) {
      throw new TypeError('"commandTimeout" must be a positive number of milliseconds')
    }
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
    for (const name of ['dataLossCheckInterval', 'feedRetention'] as const) {
      const value = options[name]
      if (value !== undefined && !(Number.isSafeInteger(value) && value > 0)) {
        throw new TypeError(`"${name}" must be a positive integer of milliseconds`)
      }
    }

    let connection: unknown
    let owned = false
    const clientDefaults = clientOptions(timeout)
    if (options.client !== undefined) {
      // A node-redis v4 client (jwt-redis apps run on v4) is adapted to the v5 shape.
      connection = isNodeRedisV4(options.client)
        ? fromNodeRedisV4(options.client as object)
        : options.client
    } else if (options.url !== undefined) {
      if (typeof options.url !== 'string') throw new TypeError('"url" must be a redis:// URL')
      const { createClient } = requirePeer<typeof Redis>('redis', 'revocable/redis')
      connection = createClient({ url: options.url, ...clientDefaults })
      owned = true
    } else {
      const rootNodes = options.cluster?.rootNodes
      if (!Array.isArray(rootNodes) || rootNodes.length === 0) {
        throw new TypeError('"cluster.rootNodes" must be a non-empty array of { url }')
      }
      const { createCluster } = requirePeer<typeof Redis>('redis', 'revocable/redis')
      connection = createCluster({ rootNodes, defaults: clientDefaults })
      owned = true
    }
    // The client's last connection error: the cause of a start-up that fails.
    let lastError: Error | undefined
    if (owned) {
      ;(connection as OwnedClient).on('error', (error) => void (lastError = error))
      let reported = false
      // node-redis emits 'error' on every failed reconnect; without a listener it would crash
      // the process. Outages surface through failing commands; log the first error only.
      ;(connection as OwnedClient).on('error', (error) => {
        if (!reported) (options.warn ?? console.warn)(`revocable: Redis error: ${error.message}`)
        reported = true
      })
    }
    const isCluster = typeof (connection as { masters?: unknown }).masters !== 'undefined'
    const nodes = async (): Promise<ConfigurableNode[]> =>
      isCluster
        ? Promise.all(
            (
              connection as {
                masters: unknown[]
                nodeClient(node: unknown): Promise<ConfigurableNode>
              }
            ).masters.map((master) =>
              (connection as { nodeClient(node: unknown): Promise<ConfigurableNode> }).nodeClient(
                master,
              ),
            ),
          )
        : [connection as ConfigurableNode]

    // A Redis that accepts the connection and never answers (hung, paused, a half-open link)
    // would leave connect() pending forever: the whole start-up has one deadline.
    const startupTimeout = clientDefaults.socket.connectTimeout + 4 * timeout
    let expired = false
    const start = async (): Promise<RedisStore> => {
      if (!(connection as { isOpen?: boolean }).isOpen) await (connection as OwnedClient).connect()
      const store = new RedisStore(connection as RedisConnection, owned, options, nodes)
      const unsafe = await findUnsafeEvictionPolicies(await nodes())
      if (unsafe.length > 0) {
        const message =
          `revocable: Redis maxmemory-policy is ${unsafe.join(', ')}, not noeviction: under memory ` +
          'pressure Redis may silently evict revocation entries and revoked tokens would be accepted again'
        if (options.onUnsafeEviction === 'refuse') throw new TypeError(message)
        store.#options.warn(message)
      }
      // Watched before the first check: a connection lost from here on is checked again.
      store.#stopWatching = watchReconnects(connection, () => {
        store.#interruptions += 1
      })
      store.#stopTopology = keepTopologyFresh(connection)
      await store.checkDataLoss()
      if (expired) throw new StoreUnavailable('Redis answered after the start-up deadline')
      store.#startDataLossChecks()
      return store
    }
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        expired = true
        reject(
          new StoreUnavailable(`Redis did not answer within ${startupTimeout} ms of connecting`, {
            cause: lastError,
          }),
        )
      }, startupTimeout)
    })
    const starting = start()
    starting.catch(() => undefined) // past the deadline, its late failure is nobody's to handle
    try {
      return await Promise.race([starting, deadline])
    } catch (error) {
      void starting
        .then((store) => {
          store.#stopWatching()
          store.#stopTopology()
        })
        .catch(() => undefined)
      if (owned) {
        const client = connection as { destroy?: () => void } & RedisConnection
        // destroy() drops pending commands at once; close() would wait for a hung server.
        if (expired && typeof client.destroy === 'function') client.destroy()
        else await client.close().catch(() => undefined)
      }
      if (error instanceof RevocableError || error instanceof TypeError) throw error
      throw new StoreUnavailable('could not connect to Redis', { cause: error })
    } finally {
      clearTimeout(timer)
    }
  }

  #startDataLossChecks(): void {
    this.#checker = setInterval(() => {
      this.checkDataLoss().catch(() => undefined) // an outage is reported by the calls that fail
    }, this.#options.dataLossCheckInterval)
    this.#checker.unref()
  }

  /**
   * Compares the generation marker and the change feed's revision with what this instance saw
   * before. Runs at start, after every reconnect (before any other command is trusted),
   * periodically, and before every replica snapshot; resolves to true when it found (and
   * handled) a data loss. A marker that is gone or different means Redis lost its data; a feed
   * whose newest entry is older than one this instance already saw means Redis was rolled back
   * (restarted from an older snapshot, or failed over to a replica that missed writes): the
   * revocations in between are gone just the same.
   */
  checkDataLoss(): Promise<boolean> {
    // One check at a time: concurrent callers (a reconnect, the timer, a replica) share it, so
    // one loss is handled once.
    this.#checking ??= this.#checkDataLoss().finally(() => {
      this.#checking = undefined
    })
    return this.#checking
  }

  async #checkDataLoss(): Promise<boolean> {
    const seen = this.#generation
    const seenRevision = this.#revision
    const [current, revision] = await Promise.all([
      readOrWriteGeneration(
        this.#redis,
        this.#keys.generation,
        randomBytes(16).toString('base64url'),
      ),
      readFeedRevision(this.#redis, this.#keys.feed),
    ])
    this.#generation = current
    const emptied = seen !== undefined && seen !== current
    const rolledBack =
      !emptied &&
      seenRevision !== undefined &&
      (revision === null || (revision !== undefined && compareIds(revision, seenRevision) < 0))
    if (!emptied && !rolledBack) {
      this.#noteRevision(revision ?? undefined)
      return false
    }
    // From here on the stream as it is now is the reference: the loss is handled once.
    this.#revision = revision ?? undefined
    const what = emptied
      ? 'Redis lost its data (generation marker changed)'
      : `Redis was rolled back (the change feed ends at ${revision ?? 'nothing'}, before ${seenRevision as string} seen earlier)`
    const at = this.#clock()
    if (this.#options.onDataLoss === 'fail-closed') {
      this.#dataLost = true
      this.#options.warn(`revocable: ${what}; failing closed until acknowledgeDataLoss()`)
      this.#events.emit('data-loss', {
        cause: emptied ? 'emptied' : 'rolled-back',
        action: 'fail-closed',
        at,
      })
    } else {
      await this.#setEpoch(at)
      this.#options.warn(
        `revocable: ${what}; raised the global epoch: every token issued before now is rejected`,
      )
      this.#events.emit('data-loss', {
        cause: emptied ? 'emptied' : 'rolled-back',
        action: 'bump-epoch',
        at,
        epoch: at,
      })
    }
    return true
  }

  /**
   * Calls `listener` after each data loss this store detects and handles (the action is taken
   * first): for an audit line and a metric.
   *
   * @example
   * store.onDataLoss((event) => log.error({ audit: 'data_loss', ...event }, 'Redis lost data'))
   */
  onDataLoss(listener: (event: DataLossEvent) => void): void {
    this.#events.on('data-loss', listener)
  }

  /** Remembers the newest feed id seen (written here or read by a replica). */
  #noteRevision(id: string | undefined): void {
    if (id === undefined) return
    if (this.#revision === undefined || compareIds(id, this.#revision) > 0) this.#revision = id
  }

  /**
   * Gates every command: after a connection loss nothing Redis answers is trusted until the
   * data-loss check has run on the new connection (Redis may have come back empty or older);
   * concurrent callers share one check. Fails with ERR_STORE_UNAVAILABLE while it cannot run,
   * and while a data loss waits for `acknowledgeDataLoss()` in `fail-closed` mode.
   */
  async #ready(): Promise<void> {
    this.#assertData()
    if (this.#interruptions !== this.#checkedInterruptions) {
      this.#recheck ??= (async () => {
        const covered = this.#interruptions
        try {
          await this.checkDataLoss()
          this.#checkedInterruptions = covered
        } catch (error) {
          throw new StoreUnavailable('Redis reconnected but its data could not be checked yet', {
            cause: error,
          })
        } finally {
          this.#recheck = undefined
        }
      })()
      await this.#recheck
    }
    this.#assertData()
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
    this.#dataLost = false
  }

  #ttl(expiresAt: number): number {
    return Math.ceil(expiresAt - this.#clock())
  }

  #assertData(): void {
    if (this.#dataLost)
      throw new StoreUnavailable('Redis lost its data; waiting for acknowledgeDataLoss()')
  }

  /**
   * Appends a change to the feed. Callers issue it in the same tick as, and before, the write it
   * describes: on one connection the two go out in that order, and if the write is lost the
   * replicas are merely stricter than the store, never laxer.
   */
  async #append(change: Change): Promise<string> {
    const id = await this.#redis.xAdd(
      this.#keys.feed,
      '*',
      { c: JSON.stringify(change) },
      {
        TRIM: {
          strategy: 'MINID',
          strategyModifier: '~',
          threshold: this.#clock() - this.#feedRetention,
        },
      },
    )
    this.#noteRevision(id)
    if (this.#appended === undefined || compareIds(id, this.#appended) > 0) this.#appended = id
    return id
  }

  #appendActive(session: SessionRecord): Promise<string> {
    const { sid, sub, createdAt, expiresAt } = session
    return this.#append({ kind: 'session-active', sid, sub, createdAt, expiresAt })
  }

  #appendSessionEnds(sessions: SessionRecord[], expiresAt: number): Promise<unknown> {
    return Promise.all(
      sessions.map((session) => this.#append({ kind: 'session', sid: session.sid, expiresAt })),
    )
  }

  async #owner(sid: string): Promise<string | null> {
    return this.#redis.get(this.#keys.sessionOwner(sid))
  }

  async #epoch(): Promise<number | undefined> {
    const value = await this.#redis.get(this.#keys.epoch)
    return value === null ? undefined : Number(value)
  }

  async #cutoffs(sub: string): Promise<Cutoffs> {
    const [user, epoch] = await Promise.all([
      this.#redis.get(this.#keys.user(sub).cutoff),
      this.#epoch(),
    ])
    return { user: user === null ? undefined : Number(user), epoch }
  }

  async #userSessions(sub: string): Promise<SessionRecord[]> {
    const user = this.#keys.user(sub)
    const sids = await this.#redis.zRange(user.sessions, 0, -1)
    const records: string[] = []
    for (let start = 0; start < sids.length; start += LIST_CHUNK) {
      const chunk = sids.slice(start, start + LIST_CHUNK)
      const found = await this.#redis.mGet(chunk.map((sid) => user.sessionPrefix + sid))
      for (const record of found) if (record !== null) records.push(record)
    }
    return records.map((r) => JSON.parse(r) as SessionRecord)
  }

  async revokeJti(jti: string, expiresAt: number): Promise<void> {
    await this.#ready()
    const ttl = this.#ttl(expiresAt)
    if (ttl <= 0) return
    await Promise.all([
      this.#append({ kind: 'jti', jti, expiresAt }),
      SCRIPTS.setMarker.run(this.#redis, [this.#keys.jti(jti)], [ttl]),
    ])
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
    const ttl = this.#ttl(expiresAt)
    if (ttl <= 0) return
    await this.#redis.set(this.#keys.issued(jti), record, {
      expiration: { type: 'PX', value: ttl },
    })
  }

  /**
   * The record `recordIssued` wrote for this jti, or null (never written, expired, taken).
   *
   * @example
   * const record = await store.readIssued(jti)
   */
  async readIssued(jti: string): Promise<string | null> {
    await this.#ready()
    return this.#redis.get(this.#keys.issued(jti))
  }

  /**
   * Deletes the issued record of a jti; true when this call deleted it (one caller wins).
   *
   * @example
   * const wasLive = await store.deleteIssued(jti)
   */
  async deleteIssued(jti: string): Promise<boolean> {
    await this.#ready()
    return (await this.#redis.del(this.#keys.issued(jti))) === 1
  }

  async revokeSession(sid: string, expiresAt: number): Promise<SessionRecord | undefined> {
    await this.#ready()
    const ttl = Math.max(this.#ttl(expiresAt), 1)
    // The bare marker first: from here on the session's tokens are rejected whatever follows.
    const [, , owner] = await Promise.all([
      this.#append({ kind: 'session', sid, expiresAt }),
      SCRIPTS.setMarker.run(this.#redis, [this.#keys.revokedSession(sid)], [ttl]),
      this.#owner(sid),
    ])
    if (owner === null) return undefined
    const user = this.#keys.user(owner)
    const record = (await SCRIPTS.endSession.run(
      this.#redis,
      [
        user.sessionPrefix + sid,
        user.sessions,
        user.revokedSessionPrefix + sid,
        user.sessionsByExpiry,
        user.sessionsByCreation,
      ],
      [sid, ttl],
    )) as string | null
    return record === null ? undefined : (JSON.parse(record) as SessionRecord)
  }

  async revokeUser(
    sub: string,
    cutoff: number,
    expiresAt: number,
    everySession = false,
  ): Promise<SessionRecord[]> {
    await this.#ready()
    const user = this.#keys.user(sub)
    const [, ended] = (await Promise.all([
      this.#append({ kind: 'user', sub, cutoff, expiresAt }),
      SCRIPTS.revokeUser.run(
        this.#redis,
        [user.cutoff, user.sessions, user.sessionsByExpiry, user.sessionsByCreation],
        [
          cutoff,
          Math.max(this.#ttl(expiresAt), 1),
          user.sessionPrefix,
          user.revokedSessionPrefix,
          everySession ? 1 : 0,
          SESSION_SLICE,
        ],
      ),
    ])) as [string, string[]]
    const sessions = ended.map((record) => JSON.parse(record) as SessionRecord)
    // Which sessions ended is known only now; their tokens issued after the cutoff need it.
    await this.#appendSessionEnds(sessions, expiresAt)
    return sessions
  }

  async setEpoch(cutoff: number): Promise<void> {
    await this.#ready()
    await this.#setEpoch(cutoff)
  }

  /** Without the gate: the data-loss check itself raises the epoch. */
  async #setEpoch(cutoff: number): Promise<void> {
    await Promise.all([
      this.#append({ kind: 'epoch', cutoff }),
      SCRIPTS.setCutoff.run(this.#redis, [this.#keys.epoch], [cutoff, 0]),
    ])
  }

  async checkRevocation(query: RevocationQuery): Promise<RevocationStatus> {
    await this.#ready()
    const keys = this.#keys
    const user = keys.user(query.sub)
    // Issued together, node-redis writes these in one pipeline: one round trip (per node).
    const [jti, bareSession, userState, epoch, retired] = await Promise.all([
      this.#redis.exists(keys.jti(query.jti)),
      this.#redis.exists(keys.revokedSession(query.sid)),
      this.#redis.mGet([
        user.cutoff,
        user.revokedSessionPrefix + query.sid,
        user.sessionPrefix + query.sid,
        user.suspension,
        user.claimsCutoff,
      ]),
      this.#redis.get(keys.epoch),
      this.#redis.sIsMember(keys.retiredKids, query.kid),
    ])
    const [cutoff = null, userSession = null, record = null, suspended = null, claims = null] =
      userState
    const lifecycle = RedisUserState.parse(suspended, claims)
    const epochValue = epoch === null ? undefined : Number(epoch)
    const session = record === null ? undefined : (JSON.parse(record) as SessionRecord)
    return {
      jtiRevoked: jti > 0,
      sessionRevoked: bareSession > 0 || userSession !== null,
      userCutoff: cutoff === null ? undefined : Number(cutoff),
      epoch: epochValue,
      kidRetired: retired === true || retired === 1,
      sessionActive:
        session !== undefined &&
        session.sub === query.sub &&
        isSessionActive(session, query.now, {
          user: cutoff === null ? undefined : Number(cutoff),
          epoch: epochValue,
        }),
      userSuspended: isSuspended(lifecycle.suspension, query.now),
      claimsCutoff: lifecycle.claimsCutoff,
    }
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
    return (await this.#redis.hVals(this.#keys.signingKeys)).map((v) => JSON.parse(v) as StoredKey)
  }

  async addKey(key: StoredKey): Promise<void> {
    await this.#ready()
    // Announced on the feed, so every instance's JWKS shows the key within maxStaleness.
    await Promise.all([
      this.#append({ kind: 'key', kid: key.kid }),
      this.#redis.hSetNX(this.#keys.signingKeys, key.kid, JSON.stringify(key)),
    ])
  }

  async acquireLease(name: string, owner: string, ttlMs: number): Promise<boolean> {
    await this.#ready()
    const key = this.#keys.lease(name)
    const taken = await this.#redis.set(key, owner, {
      NX: true,
      expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
    })
    if (taken === 'OK') return true
    return (await this.#redis.get(key)) === owner
  }

  async replaceKey(key: StoredKey): Promise<void> {
    await this.#ready()
    await this.#redis.hSet(this.#keys.signingKeys, key.kid, JSON.stringify(key))
  }

  async retireKey(kid: string): Promise<void> {
    await this.#ready()
    await Promise.all([
      this.#append({ kind: 'retired', kid }),
      this.#redis.sAdd(this.#keys.retiredKids, kid),
    ])
  }

  async listRetiredKids(): Promise<string[]> {
    await this.#ready()
    return this.#redis.sMembers(this.#keys.retiredKids)
  }

  async createSession(session: SessionRecord, limit: SessionLimit): Promise<CreateSessionResult> {
    await this.#ready()
    const user = this.#keys.user(session.sub)
    const ttl = this.#ttl(session.purgeAt)
    // The owner pointer first, so no session exists that a bare sid cannot reach. It lives as
    // long as the record can (the absolute expiry plus retention bounds every purgeAt).
    const pointerTtl = Math.max(
      ttl,
      this.#ttl(session.absoluteExpiresAt + (session.purgeAt - session.expiresAt)),
    )
    await Promise.all([
      this.#redis.set(this.#keys.sessionOwner(session.sid), session.sub, {
        expiration: { type: 'PX', value: pointerTtl },
      }),
      // Issue #15: so that forgetUser finds every pointer that names the user.
      this.#userState.noteOwned(session.sub, session.sid, pointerTtl),
    ])
    // The epoch lives in another slot: checked here, just before the script. The user's cutoff
    // is checked inside it, atomically with the write (the same rule: isCutOff).
    const epoch = await this.#epoch()
    if (isCutOff(session.createdAt, { user: undefined, epoch })) {
      return { created: false, revoked: true, evicted: [] }
    }
    const reply = (await SCRIPTS.createSession.run(
      this.#redis,
      [
        user.sessions,
        user.sessionPrefix + session.sid,
        user.cutoff,
        user.sessionsByExpiry,
        user.sessionsByCreation,
      ],
      [
        session.sid,
        JSON.stringify(session),
        ttl,
        session.lastUsedAt,
        limit.max === Infinity ? 'inf' : limit.max,
        limit.onLimit,
        limit.now,
        epoch ?? '',
        Math.max(this.#ttl(limit.revocationExpiresAt), 1),
        user.sessionPrefix,
        user.revokedSessionPrefix,
        session.createdAt,
        session.expiresAt,
        SESSION_SLICE,
      ],
    )) as [number, ...string[]]
    const [created, ...evictedRecords] = reply
    if (created === -1) return { created: false, revoked: true, evicted: [] }
    const evicted = evictedRecords.map((record) => JSON.parse(record) as SessionRecord)
    if (created === 1) {
      await Promise.all([
        this.#appendSessionEnds(evicted, limit.revocationExpiresAt),
        this.#appendActive(session),
      ])
    }
    return { created: created === 1, evicted }
  }

  async getSession(sid: string): Promise<SessionRecord | undefined> {
    await this.#ready()
    const owner = await this.#owner(sid)
    if (owner === null) return undefined
    const user = this.#keys.user(owner)
    const [record = null, cutoff = null] = await this.#redis.mGet([
      user.sessionPrefix + sid,
      user.cutoff,
    ])
    if (record === null) return undefined
    const session = JSON.parse(record) as SessionRecord
    // revokeUser ends a bounded slice at once and leaves the rest to its cutoff: ended all the same.
    const cutoffs = { user: cutoff === null ? undefined : Number(cutoff), epoch: undefined }
    return isCutOff(session.createdAt, cutoffs) ? undefined : session
  }

  async listSessions(sub: string, now: number): Promise<SessionRecord[]> {
    await this.#ready()
    const [sessions, cutoffs] = await Promise.all([this.#userSessions(sub), this.#cutoffs(sub)])
    return sessions
      .filter((session) => isSessionActive(session, now, cutoffs))
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt)
  }

  /**
   * Rotation as compare-and-swap: read the record, apply the pure refresh rules, and write the
   * outcome only if the record is still what was read; otherwise read again. Of any number of
   * concurrent callers with one token, exactly one swaps in a rotation.
   */
  async rotateRefreshToken(request: RotationRequest): Promise<RotationResult> {
    await this.#ready()
    const [owner, epoch] = await Promise.all([this.#owner(request.sid), this.#epoch()])
    if (owner === null) return { outcome: 'unknown' }
    const user = this.#keys.user(owner)
    const recordKey = user.sessionPrefix + request.sid
    const markerKey = user.revokedSessionPrefix + request.sid
    for (let attempt = 0; attempt < MAX_SWAP_ATTEMPTS; attempt += 1) {
      // The record and the user's cutoff in one read; the swap checks both are still as read.
      const [raw = null, cutoff = null] = await this.#redis.mGet([recordKey, user.cutoff])
      const session = raw === null ? undefined : (JSON.parse(raw) as SessionRecord)
      const cutoffs = { user: cutoff === null ? undefined : Number(cutoff), epoch }
      const decision = decideRotation(session, request, cutoffs)
      if (session !== undefined && isCutOff(session.createdAt, { ...cutoffs, epoch: undefined })) {
        // A session revokeUser left to its cutoff (past the slice it ended at once): ended now,
        // and answered as the ones it ended were.
        await this.revokeSession(request.sid, request.revocationExpiresAt)
        return { outcome: 'unknown' }
      }
      if (raw === null || (decision.next === undefined && decision.outcome !== 'reused')) {
        const keepsRecord = decision.outcome === 'expired'
        return { outcome: decision.outcome, session: keepsRecord ? session : undefined }
      }
      const args =
        decision.next !== undefined
          ? [
              raw,
              'save',
              request.sid,
              JSON.stringify(decision.next),
              this.#ttl(decision.next.purgeAt),
              decision.next.lastUsedAt,
              cutoff ?? '',
              decision.next.expiresAt,
              decision.next.createdAt,
            ]
          : [raw, 'end', request.sid, Math.max(this.#ttl(request.revocationExpiresAt), 1)]
      const swapped = await SCRIPTS.swapSession.run(
        this.#redis,
        [
          recordKey,
          user.sessions,
          markerKey,
          user.cutoff,
          user.sessionsByExpiry,
          user.sessionsByCreation,
        ],
        args,
      )
      if (swapped === 1 && decision.next !== undefined) {
        // The epoch lives in another slot, so the swap cannot check it: a revokeAll that landed
        // since it was read is caught here, and the heir it just saved is ended at once.
        const now = await this.#epoch()
        if (isCutOff(decision.next.createdAt, { user: cutoffs.user, epoch: now })) {
          await this.revokeSession(request.sid, request.revocationExpiresAt)
          return { outcome: 'revoked' }
        }
      }
      if (swapped === 1) {
        if (decision.next !== undefined) await this.#appendActive(decision.next)
        else
          await this.#append({
            kind: 'session',
            sid: request.sid,
            expiresAt: request.revocationExpiresAt,
          })
        return { outcome: decision.outcome, session: decision.next ?? session }
      }
    }
    throw new StoreUnavailable('session record kept changing during refresh; try again')
  }

  async readCutoffs(sub: string): Promise<Cutoffs> {
    await this.#ready()
    return this.#cutoffs(sub)
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
    return this.#appended
  }

  /**
   * Replica `replicaId` has applied the feed up to `position`; forgotten after `ttlMs`.
   *
   * @example
   * await store.acknowledgeFeed(replicaId, cursor, 2 * maxStalenessMs)
   */
  async acknowledgeFeed(replicaId: string, position: string, ttlMs: number): Promise<void> {
    await this.#ready()
    await SCRIPTS.acknowledgeFeed.run(
      this.#redis,
      [this.#keys.replicaAckPrefix + replicaId, this.#keys.replicas],
      [replicaId, position, Math.max(1, Math.ceil(ttlMs))],
    )
  }

  /**
   * How many replicas with a live acknowledgement have not reached `position`.
   *
   * @example
   * const behind = await store.replicasBehind(store.feedPosition() as string)
   */
  async replicasBehind(position: string): Promise<number> {
    await this.#ready()
    return Number(
      await SCRIPTS.replicasBehind.run(
        this.#redis,
        [this.#keys.replicas],
        [this.#keys.replicaAckPrefix, position],
      ),
    )
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
        this.#assertData()
      },
      assertData: () => this.#assertData(),
      seen: (id) => this.#noteRevision(id),
      onClose: stopTopology,
    })
  }

  async close(): Promise<void> {
    clearInterval(this.#checker)
    this.#stopWatching()
    this.#stopTopology()
    if (this.#owned) await this.#redis.close()
  }
}
