import type { Clock } from '../../src/clock.js'

/** A clock tests move by hand; time never passes by itself. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms` milliseconds. */
  advance(ms: number): void
  /** Sets the time to `ms`. */
  set(ms: number): void
}

/** Starts at a whole second (2026-01-01T00:00:00Z by default) so second boundaries are easy to hit. */
export function manualClock(start = Date.UTC(2026, 0, 1)): ManualClock {
  let now = start
  const clock = (() => now) as ManualClock
  clock.advance = (ms) => {
    now += ms
  }
  clock.set = (ms) => {
    now = ms
  }
  return clock
}
