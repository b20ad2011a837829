import { availableParallelism } from 'node:os'
import { HttpError } from '../errors.js'

/**
 * A small queue in front of password hashing. A hash costs tens of milliseconds of CPU on the
 * libuv thread pool; with nothing bounding them, a login flood runs a hash on every core and
 * every other request (verify, refresh) waits behind them. At most `concurrency` hashes run at
 * once (by default one core is left to the event loop), at most `maxWaiting` wait, and beyond
 * that the login is refused at once with 503 and `Retry-After`.
 */

/** Seconds a client refused by a full queue is asked to wait. */
export const HASH_QUEUE_RETRY_AFTER_SECONDS = 1

export interface HashQueueOptions {
  /** Hashes running at once; default the core count less one, at least 1. */
  readonly concurrency?: number
  /** Hashes waiting for a place; default 16 per running place. */
  readonly maxWaiting?: number
}

/** The queue is full: the service answers 503 with `Retry-After` (handled like any HttpError). */
export class HashQueueFullError extends HttpError {
  constructor() {
    super(503, 'temporarily_unavailable', 'too many password checks in progress; try again later', {
      'retry-after': String(HASH_QUEUE_RETRY_AFTER_SECONDS),
    })
    this.name = 'HashQueueFullError'
  }
}

function count(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`"${name}" must be an integer of at least ${min}`)
  }
  return value
}

export class HashQueue {
  readonly concurrency: number
  readonly maxWaiting: number
  #running = 0
  readonly #waiting: Array<() => void> = []

  constructor(options: HashQueueOptions = {}) {
    this.concurrency = count(
      'concurrency',
      options.concurrency ?? Math.max(1, availableParallelism() - 1),
      1,
    )
    this.maxWaiting = count('maxWaiting', options.maxWaiting ?? 16 * this.concurrency, 0)
  }

  /** Tasks running now. */
  get running(): number {
    return this.#running
  }

  /** Tasks waiting for a place. */
  get waiting(): number {
    return this.#waiting.length
  }

  /**
   * Runs `task` when a place is free; rejects with `HashQueueFullError` (without running it)
   * when the waiting line is full.
   *
   * @example
   * const queue = new HashQueue({ concurrency: 2, maxWaiting: 32 })
   * const key = await queue.run(() => derive(password, salt))
   */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.#running >= this.concurrency) {
      if (this.#waiting.length >= this.maxWaiting) throw new HashQueueFullError()
      await new Promise<void>((resolve) => this.#waiting.push(resolve))
    } else {
      this.#running += 1
    }
    try {
      return await task()
    } finally {
      // The place passes straight to the next in line, so `running` never dips in between.
      const next = this.#waiting.shift()
      if (next === undefined) this.#running -= 1
      else next()
    }
  }
}
