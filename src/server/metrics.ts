/**
 * Prometheus metrics, one registry per app (two apps in one process never share counters):
 * verifications by outcome, revocations by kind, refreshes, reuse detections, and the latency of
 * every store call. Counts come from the library's events; latency from a wrapper on the Store.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Revocable } from '../revocable.js'
import type { FollowerStats } from '../revocation/feed.js'
import type { Store } from '../stores/store.js'

export class ServiceMetrics {
  readonly registry = new Registry()
  readonly verifications: Counter<'outcome'>
  readonly #revocations: Counter<'kind'>
  readonly #refreshes: Counter
  readonly #reuse: Counter
  readonly #storeLatency: Histogram<'operation' | 'result'>

  constructor() {
    const registers = [this.registry]
    this.verifications = new Counter({
      name: 'revocable_verifications_total',
      help: 'Access-token verifications, by outcome (ok or the error code)',
      labelNames: ['outcome'],
      registers,
    })
    this.#revocations = new Counter({
      name: 'revocable_revocations_total',
      help: 'Revocations, by kind (token, session, user, global)',
      labelNames: ['kind'],
      registers,
    })
    this.#refreshes = new Counter({
      name: 'revocable_refreshes_total',
      help: 'Refresh tokens rotated',
      registers,
    })
    this.#reuse = new Counter({
      name: 'revocable_refresh_reuse_detections_total',
      help: 'Spent refresh tokens presented again (each revoked its session)',
      registers,
    })
    this.#storeLatency = new Histogram({
      name: 'revocable_store_latency_seconds',
      help: 'Latency of store calls, by operation and result',
      labelNames: ['operation', 'result'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers,
    })
  }

  /** Counts the library's events, and exposes its counters as gauges. */
  attach(auth: Revocable): void {
    auth.on('token.revoked', (event) => this.#revocations.inc({ kind: event.kind }))
    auth.on('session.refreshed', () => this.#refreshes.inc())
    auth.on('refresh.reuse_detected', () => this.#reuse.inc())
    const dataLosses = new Counter({
      name: 'revocable_store_data_losses_total',
      help: 'Data losses of the store (emptied or rolled back) detected and handled since start',
      labelNames: ['cause', 'action'],
      registers: [this.registry],
    })
    auth.on('store.data_loss', (event) =>
      dataLosses.inc({ cause: event.cause, action: event.action }),
    )
    new Gauge({
      name: 'revocable_revocation_lookups',
      help: 'Revocation checks since start, by where they were answered (store, replica, skipped)',
      labelNames: ['source'],
      registers: [this.registry],
      collect() {
        const stats = auth.stats()
        this.set({ source: 'store' }, stats.directLookups)
        this.set({ source: 'replica' }, stats.replicaLookups)
        this.set({ source: 'skipped' }, stats.revocationChecksSkipped)
      },
    })
    // The local replica (a store with a change feed, i.e. Redis): how far behind it may be.
    // Verify falls back to the store past maxStaleness; these show how often that is near.
    const replicaGauge = (name: string, help: string, read: (r: FollowerStats) => number) =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        collect() {
          const replica = auth.stats().replica
          if (replica !== undefined) this.set(read(replica))
        },
      })
    replicaGauge(
      'revocable_replica_staleness_seconds',
      'Age of the last proof that the replica holds every change (verify asks the store past maxStaleness)',
      (r) => r.staleness / 1000,
    )
    replicaGauge(
      'revocable_replica_lag_seconds',
      'Delay between a change entering the feed and this replica applying it (last change)',
      (r) => r.lagMs / 1000,
    )
    replicaGauge('revocable_replica_resyncs', 'Snapshots loaded since start', (r) => r.resyncs)
    replicaGauge(
      'revocable_replica_feed_errors',
      'Feed read failures since start',
      (r) => r.feedErrors,
    )
    replicaGauge('revocable_replica_connected', '1 while the feed is being tailed', (r) =>
      r.connected ? 1 : 0,
    )
    new Gauge({
      name: 'revocable_replica_entries',
      help: 'Entries held by the replica, by kind',
      labelNames: ['kind'],
      registers: [this.registry],
      collect() {
        const replica = auth.stats().replica
        if (replica === undefined) return
        for (const [kind, count] of Object.entries(replica.entries)) this.set({ kind }, count)
      },
    })
  }

  /** A Store that times every call into `revocable_store_latency_seconds`. */
  measureStore(store: Store): Store {
    const histogram = this.#storeLatency
    return new Proxy(store, {
      get(target, property, receiver) {
        const value: unknown = Reflect.get(target, property, receiver)
        if (typeof value !== 'function' || typeof property !== 'string') return value
        return (...args: unknown[]) => {
          const stop = histogram.startTimer({ operation: property })
          let result: unknown
          try {
            result = (value as (...a: unknown[]) => unknown).apply(target, args)
          } catch (error) {
            stop({ result: 'error' })
            throw error
          }
          if (result instanceof Promise) {
            return result.then(
              (resolved) => (stop({ result: 'ok' }), resolved),
              (error: unknown) => {
                stop({ result: 'error' })
                throw error
              },
            )
          }
          stop({ result: 'ok' })
          return result
        }
      },
    })
  }
}
