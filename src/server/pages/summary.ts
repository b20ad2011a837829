/**
 * The admin console's live summary, read from the same Prometheus registry that /metrics
 * exposes: revocations in the last minute (from samples of `revocable_revocations_total`),
 * the replica's staleness, and whether the last store calls succeeded (from
 * `revocable_store_latency_seconds`, counted by result).
 */
import type { Registry } from 'prom-client'

export interface Summary {
  /** Revocations over the last minute (or since the first sample, when younger). */
  readonly revocationsPerMinute: number
  readonly revocationsTotal: number
  /** Seconds; null without a replica (a store with no change feed: SQLite, memory). */
  readonly replicaStalenessSeconds: number | null
  readonly replicaConnected: boolean | null
  /** 'ok': no store call failed since the last read; 'failing': some did. */
  readonly store: 'ok' | 'failing'
  readonly storeCalls: number
  readonly storeErrors: number
  readonly at: string
}

interface Sample {
  readonly at: number
  readonly revocations: number
}

const WINDOW_MS = 60_000

interface MetricJson {
  name: string
  values: Array<{ value: number; labels: Record<string, string | number>; metricName?: string }>
}

function sum(
  metric: MetricJson | undefined,
  keep: (labels: Record<string, string | number>, name?: string) => boolean = () => true,
): number {
  if (metric === undefined) return 0
  return metric.values
    .filter((v) => keep(v.labels, v.metricName))
    .reduce((total, v) => total + v.value, 0)
}

export class MetricsSummary {
  readonly #registry: Registry
  readonly #samples: Sample[] = []
  #lastErrors = 0

  constructor(registry: Registry) {
    this.#registry = registry
  }

  async read(now = Date.now()): Promise<Summary> {
    const metrics = (await this.#registry.getMetricsAsJSON()) as unknown as MetricJson[]
    const byName = (name: string) => metrics.find((metric) => metric.name === name)
    const revocations = sum(byName('revocable_revocations_total'))
    const latency = byName('revocable_store_latency_seconds')
    const isCount = (name?: string) => name === 'revocable_store_latency_seconds_count'
    const storeCalls = sum(latency, (_labels, name) => isCount(name))
    const storeErrors = sum(latency, (labels, name) => isCount(name) && labels.result === 'error')
    const staleness = byName('revocable_replica_staleness_seconds')?.values[0]?.value
    const connected = byName('revocable_replica_connected')?.values[0]?.value

    this.#samples.push({ at: now, revocations })
    while (this.#samples.length > 1 && (this.#samples[0] as Sample).at < now - WINDOW_MS) {
      this.#samples.shift()
    }
    const oldest = this.#samples[0] as Sample
    const failing = storeErrors > this.#lastErrors
    this.#lastErrors = storeErrors
    return {
      revocationsPerMinute: revocations - oldest.revocations,
      revocationsTotal: revocations,
      replicaStalenessSeconds: staleness ?? null,
      replicaConnected: connected === undefined ? null : connected === 1,
      store: failing ? 'failing' : 'ok',
      storeCalls,
      storeErrors,
      at: new Date(now).toISOString(),
    }
  }
}
