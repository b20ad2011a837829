/** Milliseconds since the epoch. Injected everywhere time matters so tests never sleep. */
export type Clock = () => number

export const systemClock: Clock = () => Date.now()

/** Whole seconds (JWT NumericDate) for a millisecond instant. */
export function toSeconds(ms: number): number {
  return Math.floor(ms / 1000)
}
