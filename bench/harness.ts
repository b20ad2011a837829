/** Measurement helpers: every case runs in this process, on the same machine, back to back. */

export interface CaseResult {
  name: string
  alg: string
  concurrency: number
  ops_per_s: number
  p50_us: number
  p99_us: number
}

function percentile(sorted: Float64Array, q: number): number {
  if (sorted.length === 0) return NaN
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number
}

/** Length of one throughput slice. */
export const SLICE_MS = 100
const SLICE_NS = BigInt(SLICE_MS * 1e6)

/**
 * Throughput counted in slices of wall time. A case reports the median slice: this machine's
 * CPU is shared, and a burst of someone else's work during one case would otherwise move that
 * case's mean, and every ratio built on it, far more than the code under test does.
 */
class SliceRates {
  readonly #rates: number[] = []
  #start: bigint
  #ops = 0

  constructor(start: bigint) {
    this.#start = start
  }

  /** Counts one finished call at `now`. */
  count(now: bigint): void {
    this.#ops += 1
    const elapsed = now - this.#start
    if (elapsed < SLICE_NS) return
    this.#rates.push((this.#ops * 1e9) / Number(elapsed))
    this.#start = now
    this.#ops = 0
  }

  /** The median slice rate; the plain mean when too few slices finished to take a median. */
  opsPerSecond(ops: number, seconds: number): number {
    if (this.#rates.length < 5) return ops / seconds
    const sorted = Float64Array.from(this.#rates).sort()
    return percentile(sorted, 0.5)
  }
}

function summarise(
  name: string,
  alg: string,
  concurrency: number,
  opsPerSecond: number,
  ops: number,
  latencies: Float64Array,
): CaseResult {
  const sorted = latencies.slice(0, ops).sort()
  return {
    name,
    alg,
    concurrency,
    ops_per_s: Math.round(opsPerSecond),
    p50_us: Number((percentile(sorted, 0.5) / 1000).toFixed(2)),
    p99_us: Number((percentile(sorted, 0.99) / 1000).toFixed(2)),
  }
}

const MAX_SAMPLES = 4_000_000

// A server turns its event loop between requests; a loop of already-settled promises never
// would, and background I/O (the replica's feed) would starve. Yield every this many calls.
const YIELD_EVERY = 256
const turnEventLoop = () => new Promise((resolve) => setImmediate(resolve))

/**
 * Runs `fn` one call at a time for `seconds` after a warm-up, timing every call. Works for sync
 * and async functions alike (an async one is awaited before the next starts).
 */
export async function sequential(
  name: string,
  alg: string,
  fn: () => unknown,
  seconds: number,
): Promise<CaseResult> {
  const warmUntil = performance.now() + Math.min(500, seconds * 250)
  for (let i = 0; performance.now() < warmUntil; i += 1) {
    await fn()
    if (i % YIELD_EVERY === 0) await turnEventLoop()
  }
  const latencies = new Float64Array(MAX_SAMPLES)
  let ops = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  const slices = new SliceRates(start)
  let now = start
  while (now < end && ops < MAX_SAMPLES) {
    const result = fn()
    if (result instanceof Promise) await result
    const after = process.hrtime.bigint()
    latencies[ops++] = Number(after - now)
    slices.count(after)
    now = after
    if (ops % YIELD_EVERY === 0) {
      await turnEventLoop()
      now = process.hrtime.bigint() // the turn itself is not the call's time
    }
  }
  const opsPerSecond = slices.opsPerSecond(ops, Number(now - start) / 1e9)
  return summarise(name, alg, 1, opsPerSecond, ops, latencies)
}

/** Keeps `concurrency` calls of an async `fn` in flight for `seconds`, timing each call. */
export async function concurrent(
  name: string,
  alg: string,
  fn: () => Promise<unknown>,
  seconds: number,
  concurrency = 64,
): Promise<CaseResult> {
  const warmUntil = performance.now() + Math.min(500, seconds * 250)
  let warmed = 0
  let warmGate: Promise<unknown> | undefined
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmUntil) {
        if (warmGate !== undefined) await warmGate
        await fn()
        if (++warmed % YIELD_EVERY === 0) {
          warmGate = turnEventLoop().then(() => {
            warmGate = undefined
          })
        }
      }
    }),
  )
  const latencies = new Float64Array(MAX_SAMPLES)
  let ops = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(Math.round(seconds * 1e9))
  // One gate for all workers: every YIELD_EVERY calls in total, they all wait for one turn of
  // the event loop (otherwise the other workers' microtasks would keep it from turning).
  let gate: Promise<unknown> | undefined
  const slices = new SliceRates(start)
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (process.hrtime.bigint() < end && ops < MAX_SAMPLES) {
        if (gate !== undefined) await gate
        const before = process.hrtime.bigint()
        await fn()
        const after = process.hrtime.bigint()
        latencies[ops++] = Number(after - before)
        slices.count(after)
        if (ops % YIELD_EVERY === 0) {
          gate = turnEventLoop().then(() => {
            gate = undefined
          })
        }
      }
    }),
  )
  const opsPerSecond = slices.opsPerSecond(ops, Number(process.hrtime.bigint() - start) / 1e9)
  return summarise(name, alg, concurrency, opsPerSecond, ops, latencies)
}

/** Latency percentiles of a list of samples in milliseconds. */
export function distribution(samplesMs: number[]): {
  p50_ms: number
  p99_ms: number
  max_ms: number
  count: number
} {
  const sorted = Float64Array.from(samplesMs).sort()
  const round = (v: number) => Number(v.toFixed(3))
  return {
    p50_ms: round(percentile(sorted, 0.5)),
    p99_ms: round(percentile(sorted, 0.99)),
    max_ms: round(sorted[sorted.length - 1] ?? NaN),
    count: sorted.length,
  }
}
