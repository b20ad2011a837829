import type { Clock } from '../clock.js'

/** Round trips per synchronisation; the one with the shortest round trip wins. */
const SAMPLES = 5
/**
 * The least uncertainty assumed (ms): the other instances measured their own offsets, under
 * their own load, and only this one's round trip is known here.
 */
const MIN_UNCERTAINTY_MS = 10

/**
 * This instance's clock disciplined to the store's (Redis `TIME`): local time plus the offset
 * measured against the store, so every instance sharing the store stamps cutoffs, sessions and
 * tokens on one time line and a few seconds of skew between machines reorder nothing. The offset
 * is measured at start and again every `interval` ms; its error is at most half a round trip.
 */
export class StoreClock {
  readonly #local: Clock
  readonly #read: () => Promise<number>
  #offset = 0
  #uncertainty = 0
  #timer: NodeJS.Timeout | undefined

  constructor(local: Clock, read: () => Promise<number>) {
    this.#local = local
    this.#read = read
  }

  /** The store's time now, as best this instance knows it. */
  readonly now: Clock = () => this.#local() + this.#offset

  /**
   * How far apart this instance's `now` and another's may be, in whole ms: each is off the
   * store's clock by at most half its best round trip plus a millisecond of rounding on each
   * side; the other instance, on the same store, measures about the same round trip, and at
   * least `MIN_UNCERTAINTY_MS` is assumed.
   */
  get uncertainty(): number {
    return this.#uncertainty
  }

  /** Milliseconds added to the local clock (the store's time minus ours). */
  get offset(): number {
    return this.#offset
  }

  /** Measures the offset again. */
  async sync(): Promise<void> {
    let best: { rtt: number; offset: number } | undefined
    for (let i = 0; i < SAMPLES; i += 1) {
      const sent = this.#local()
      const remote = await this.#read()
      const received = this.#local()
      const rtt = received - sent
      const offset = remote - (sent + received) / 2
      if (best === undefined || rtt < best.rtt) best = { rtt, offset }
    }
    const chosen = best as { rtt: number; offset: number }
    this.#offset = Math.round(chosen.offset)
    this.#uncertainty = Math.max(MIN_UNCERTAINTY_MS, 2 * (Math.ceil(chosen.rtt / 2) + 2))
  }

  /** Re-measures every `interval` ms in the background (a failed measure keeps the last one). */
  start(interval: number): void {
    this.#timer = setInterval(() => void this.sync().catch(() => undefined), interval)
    this.#timer.unref()
  }

  stop(): void {
    clearInterval(this.#timer)
  }
}
