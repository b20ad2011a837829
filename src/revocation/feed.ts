import type { Clock } from '../clock.js'
import { FeedGap, type ChangeFeed } from '../stores/change-feed.js'
import { Replica } from './replica.js'

export interface FollowerOptions {
  readonly clock: Clock
  /** Longest a blocking read waits for news (ms); bounds how stale an idle replica gets. */
  readonly blockMs: number
  /** Milliseconds between sweeps of expired replica entries. */
  readonly sweepInterval: number
  /**
   * Called when a key was added or retired, and after every resynchronisation (which may follow
   * a data loss): the key ring reloads, so every instance's JWKS follows within maxStaleness.
   */
  readonly onKeysChanged?: () => void
  /**
   * Publishes this replica's feed position (optional), so a revocation can wait until every
   * live replica has applied it (`awaitReplicas`). An acknowledgement lives `ttlMs`, at least
   * maxStaleness; a read counts as proof of freshness only while the acknowledgement written
   * before it still lives (see `#confirm`).
   */
  readonly acknowledge?: {
    readonly write: (position: string) => Promise<void>
    readonly ttlMs: number
    /** Withdraws the acknowledgement once stopped, so no revocation waits for this replica. */
    readonly withdraw?: () => Promise<void>
  }
}

export interface FollowerStats {
  /** Milliseconds since the replica was last proven complete (Infinity before the first). */
  staleness: number
  /** Milliseconds between the newest change's append and its arrival here (last batch). */
  lagMs: number
  resyncs: number
  feedErrors: number
  connected: boolean
}

/**
 * Keeps a replica in step with a change feed: a snapshot first, then tailing. A read that
 * started at time T and came back without error proves the replica holds every change
 * appended before T; `confirmedAt` records that T, and `staleness` is measured from it. A gap
 * (trimmed feed, Redis data loss) triggers a resynchronisation; a failing feed leaves
 * `confirmedAt` behind, so callers see the staleness grow and fall back to the store.
 */
export class FeedFollower {
  readonly #feed: ChangeFeed
  readonly #replica: Replica
  readonly #options: FollowerOptions
  #cursor = '0-0'
  #confirmedAt = -Infinity
  #lagMs = 0
  #resyncs = 0
  #feedErrors = 0
  #connected = false
  #stopped = false
  #loop: Promise<void> | undefined
  #lastSweep = 0
  #wake: (() => void) | undefined
  /** When the last acknowledgement that succeeded was sent (-Infinity: none yet). */
  #acknowledgedAt = -Infinity

  constructor(feed: ChangeFeed, replica: Replica, options: FollowerOptions) {
    this.#feed = feed
    this.#replica = replica
    this.#options = options
  }

  /** Loads the snapshot, then keeps tailing in the background until `stop`. */
  async start(): Promise<void> {
    try {
      await this.#resync()
    } catch (error) {
      // Nobody will call stop() on a follower that never started: release the feed's
      // connection here, or its reconnect loop would keep the process alive.
      await this.#feed.close().catch(() => undefined)
      throw error
    }
    this.#loop = this.#tail()
  }

  /** Whether the replica is proven complete as of no more than `maxStalenessMs` ago. */
  isFresh(maxStalenessMs: number, now = this.#options.clock()): boolean {
    return now - this.#confirmedAt <= maxStalenessMs
  }

  stats(): FollowerStats {
    return {
      staleness: this.#options.clock() - this.#confirmedAt,
      lagMs: this.#lagMs,
      resyncs: this.#resyncs,
      feedErrors: this.#feedErrors,
      connected: this.#connected,
    }
  }

  async stop(): Promise<void> {
    this.#stopped = true
    this.#wake?.()
    await this.#feed.close().catch(() => undefined)
    await this.#loop?.catch(() => undefined)
    // A stopped replica proves nothing any more: it must not answer from memory while
    // revocations have stopped waiting for it.
    this.#confirmedAt = -Infinity
    await this.#options.acknowledge?.withdraw?.().catch(() => undefined)
  }

  async #resync(): Promise<void> {
    // Registered (at the position already held) before the snapshot, so a revocation made
    // during it waits for this replica rather than missing it.
    await this.#acknowledge()
    const started = this.#options.clock()
    // Loaded into a replica of its own, applied as the pages arrive (no list of a million
    // changes), then swapped in whole: until then the old state keeps answering, and a snapshot
    // that fails half way leaves it untouched.
    const loaded = new Replica()
    this.#replica.beginLoad()
    let snapshot: { readonly cursor: string }
    try {
      snapshot = await this.#feed.snapshot(
        (change) => loaded.apply(change),
        (count) => loaded.reserve(count),
      )
    } catch (error) {
      this.#replica.abandonLoad()
      throw error
    }
    this.#replica.replaceWith(loaded)
    // The snapshot held nothing expired: no sweep (a rebuild of the whole table) is due yet.
    this.#lastSweep = this.#options.clock()
    this.#cursor = snapshot.cursor
    this.#confirm(started)
    this.#connected = true
    await this.#acknowledge()
    if (this.#resyncs > 0) this.#options.onKeysChanged?.()
    this.#resyncs += 1
  }

  async #tail(): Promise<void> {
    let backoff = 50
    let needsResync = false
    while (!this.#stopped) {
      try {
        if (needsResync) {
          await this.#resync()
          needsResync = false
        }
        const started = this.#options.clock()
        const batch = await this.#feed.next(this.#cursor, this.#options.blockMs)
        for (const change of batch.changes) this.#replica.apply(change)
        if (batch.changes.some((change) => change.kind === 'key' || change.kind === 'retired')) {
          this.#options.onKeysChanged?.()
        }
        if (batch.cursor !== this.#cursor) {
          this.#lagMs = Math.max(0, this.#options.clock() - Number(batch.cursor.split('-')[0]))
        }
        this.#cursor = batch.cursor
        this.#confirm(started)
        this.#connected = true
        backoff = 50
        this.#sweepWhenDue()
        await this.#acknowledge()
      } catch (error) {
        if (this.#stopped) return
        this.#feedErrors += 1
        // A gap means lost changes: start over. Any other failure may have hidden one (a long
        // outage, Redis restarted empty), so the first successful read after it resyncs too.
        needsResync = true
        this.#connected = false
        if (error instanceof FeedGap) continue
        await this.#sleep(backoff)
        backoff = Math.min(backoff * 2, 2000)
      }
    }
  }

  /**
   * Records that the replica held every change appended before `readStarted`. With
   * acknowledgements, only while the acknowledgement sent before that read still lives: a
   * revocation that waits for replicas skips one whose acknowledgement expired, so such a replica
   * must not count itself fresh on a read made in the meantime (it asks the store instead until
   * its next acknowledged read). Without an acknowledgement for maxStaleness, a replica is stale.
   */
  #confirm(readStarted: number): void {
    const acknowledge = this.#options.acknowledge
    if (
      acknowledge !== undefined &&
      this.#options.clock() - this.#acknowledgedAt >= acknowledge.ttlMs
    ) {
      return
    }
    this.#confirmedAt = readStarted
  }

  /**
   * Publishes the position. A failure is counted, not thrown: the feed itself may be fine, and
   * the missing acknowledgement already stops the next read from confirming freshness.
   */
  async #acknowledge(): Promise<void> {
    const acknowledge = this.#options.acknowledge
    if (acknowledge === undefined) return
    const sent = this.#options.clock()
    try {
      await acknowledge.write(this.#cursor)
      this.#acknowledgedAt = sent
    } catch {
      this.#feedErrors += 1
    }
  }

  /** Waits before a retry; `stop` cuts it short. Unref'd: a retry loop never holds the process. */
  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms).unref()
      function done() {
        clearTimeout(timer)
        resolve()
      }
      this.#wake = done
    })
  }

  #sweepWhenDue(): void {
    const now = this.#options.clock()
    if (now - this.#lastSweep < this.#options.sweepInterval) return
    this.#lastSweep = now
    this.#replica.sweep(now)
  }
}
