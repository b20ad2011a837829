import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import type { Clock } from '../../clock.js'
import { StoreUnavailable } from '../../errors.js'
import type { DataLossEvent } from '../store.js'
import type { RedisConnection } from './connection.js'
import { compareIds } from './feed.js'
import { readFeedRevision, readOrWriteGeneration } from './health.js'
import type { RedisKeys } from './keys.js'

export interface WatchdogOptions {
  redis: RedisConnection
  keys: RedisKeys
  clock: Clock
  onDataLoss: 'bump-epoch' | 'fail-closed'
  warn: (message: string) => void
  /** Milliseconds between periodic checks. */
  interval: number
  /** Raises the global epoch (feed entry and key), without the gate: the watchdog's own action. */
  setEpoch: (cutoff: number) => Promise<void>
}

/**
 * The data-loss watchdog of one store: the generation marker and the change feed's revision,
 * compared with what this instance saw before. It runs at start, after every reconnect (before
 * any other command is trusted: `ready`), periodically, and before every replica snapshot.
 */
export class DataLossWatchdog {
  readonly #events = new EventEmitter<{ 'data-loss': [DataLossEvent] }>()
  readonly #options: WatchdogOptions
  #generation: string | undefined
  /** The newest change-feed id this instance has written or read: Redis's revision counter. */
  #revision: string | undefined
  #dataLost = false
  #checker: NodeJS.Timeout | undefined
  /** Connection losses so far, and how many of them a completed data-loss check covers. */
  #interruptions = 0
  #checkedInterruptions = 0
  #recheck: Promise<void> | undefined
  #checking: Promise<boolean> | undefined

  constructor(options: WatchdogOptions) {
    this.#options = options
  }

  /** A connection was lost: nothing is trusted until the next check. */
  interrupted(): void {
    this.#interruptions += 1
  }

  start(): void {
    this.#checker = setInterval(() => {
      this.check().catch(() => undefined) // an outage is reported by the calls that fail
    }, this.#options.interval)
    this.#checker.unref()
  }

  stop(): void {
    clearInterval(this.#checker)
  }

  /**
   * Resolves to true when it found (and handled) a data loss. A marker that is gone or
   * different means Redis lost its data; a feed whose newest entry is older than one this
   * instance already saw means Redis was rolled back (restarted from an older snapshot, or
   * failed over to a replica that missed writes): the revocations in between are gone just the
   * same. One check at a time: concurrent callers (a reconnect, the timer, a replica) share it,
   * so one loss is handled once.
   */
  check(): Promise<boolean> {
    this.#checking ??= this.#check().finally(() => {
      this.#checking = undefined
    })
    return this.#checking
  }

  async #check(): Promise<boolean> {
    const { redis, keys } = this.#options
    const seen = this.#generation
    const seenRevision = this.#revision
    const [current, revision] = await Promise.all([
      readOrWriteGeneration(redis, keys.generation, randomBytes(16).toString('base64url')),
      readFeedRevision(redis, keys.feed),
    ])
    this.#generation = current
    const emptied = seen !== undefined && seen !== current
    const rolledBack =
      !emptied &&
      seenRevision !== undefined &&
      (revision === null || (revision !== undefined && compareIds(revision, seenRevision) < 0))
    if (!emptied && !rolledBack) {
      this.noteRevision(revision ?? undefined)
      return false
    }
    // From here on the stream as it is now is the reference: the loss is handled once.
    this.#revision = revision ?? undefined
    const what = emptied
      ? 'Redis lost its data (generation marker changed)'
      : `Redis was rolled back (the change feed ends at ${revision ?? 'nothing'}, before ${seenRevision as string} seen earlier)`
    const at = this.#options.clock()
    if (this.#options.onDataLoss === 'fail-closed') {
      this.#dataLost = true
      this.#options.warn(`revocable: ${what}; failing closed until acknowledgeDataLoss()`)
      this.#events.emit('data-loss', {
        cause: emptied ? 'emptied' : 'rolled-back',
        action: 'fail-closed',
        at,
      })
    } else {
      await this.#options.setEpoch(at)
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

  onDataLoss(listener: (event: DataLossEvent) => void): void {
    this.#events.on('data-loss', listener)
  }

  /** Remembers the newest feed id seen (written here or read by a replica). */
  noteRevision(id: string | undefined): void {
    if (id === undefined) return
    if (this.#revision === undefined || compareIds(id, this.#revision) > 0) this.#revision = id
  }

  /**
   * Gates every command: after a connection loss nothing Redis answers is trusted until the
   * data-loss check has run on the new connection (Redis may have come back empty or older);
   * concurrent callers share one check. Fails with ERR_STORE_UNAVAILABLE while it cannot run,
   * and while a data loss waits for `acknowledge()` in `fail-closed` mode.
   */
  async ready(): Promise<void> {
    this.assertData()
    if (this.#interruptions !== this.#checkedInterruptions) {
      this.#recheck ??= (async () => {
        const covered = this.#interruptions
        try {
          await this.check()
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
    this.assertData()
  }

  /** After a data loss in `fail-closed` mode: resume serving (an operator's decision). */
  acknowledge(): void {
    this.#dataLost = false
  }

  assertData(): void {
    if (this.#dataLost)
      throw new StoreUnavailable('Redis lost its data; waiting for acknowledgeDataLoss()')
  }
}
