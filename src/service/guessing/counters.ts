/**
 * Where failed attempts are counted: beside the user directory, in the same backend (memory,
 * the SQLite file, Redis), so every instance of the service sees the same counts. A bucket
 * groups the counters of one identity (`login:<username>` holds the account's count and one per
 * IP), so the admin can list and clear them together.
 */
import { liveCount, type FailureCount } from './rules.js'

export interface GuessCounters {
  /**
   * Adds one failure to each field of the bucket, atomically per field: a count idle for
   * `windowMs` starts over. Resolves to the new counts, in the order of `fields`.
   */
  add(
    bucket: string,
    fields: readonly string[],
    now: number,
    windowMs: number,
  ): Promise<FailureCount[]>
  /** The live counts of a bucket, by field. */
  read(bucket: string, now: number, windowMs: number): Promise<Map<string, FailureCount>>
  /** Forgets some fields of a bucket, or the whole bucket. */
  clear(bucket: string, fields?: readonly string[]): Promise<void>
}

/** The counting rule every backend applies to one field. */
export function nextCount(
  previous: FailureCount | undefined,
  now: number,
  windowMs: number,
): FailureCount {
  const live = liveCount(previous, now, windowMs)
  return { count: (live?.count ?? 0) + 1, lastAt: now }
}

/** Adds between two sweeps of every forgotten count (memory and SQLite). */
export const SWEEP_EVERY = 256

/**
 * Counters in this process (STORE=memory). Forgotten counts are dropped as a bucket is read and
 * by a sweep every few hundred adds, so random usernames cannot grow the map for ever.
 */
export class MemoryGuessCounters implements GuessCounters {
  readonly #buckets = new Map<string, Map<string, FailureCount>>()
  #adds = 0

  #sweep(now: number, windowMs: number): void {
    for (const [bucket, counts] of this.#buckets) {
      for (const [field, failures] of counts) {
        if (liveCount(failures, now, windowMs) === undefined) counts.delete(field)
      }
      if (counts.size === 0) this.#buckets.delete(bucket)
    }
  }

  async add(bucket: string, fields: readonly string[], now: number, windowMs: number) {
    this.#adds += 1
    if (this.#adds % SWEEP_EVERY === 0) this.#sweep(now, windowMs)
    const counts = this.#buckets.get(bucket) ?? new Map<string, FailureCount>()
    this.#buckets.set(bucket, counts)
    return fields.map((field) => {
      const next = nextCount(counts.get(field), now, windowMs)
      counts.set(field, next)
      return next
    })
  }

  async read(bucket: string, now: number, windowMs: number) {
    const live = new Map<string, FailureCount>()
    for (const [field, failures] of this.#buckets.get(bucket) ?? []) {
      if (liveCount(failures, now, windowMs) !== undefined) live.set(field, failures)
    }
    if (live.size === 0) this.#buckets.delete(bucket)
    return live
  }

  async clear(bucket: string, fields?: readonly string[]) {
    if (fields === undefined) this.#buckets.delete(bucket)
    else for (const field of fields) this.#buckets.get(bucket)?.delete(field)
  }
}
