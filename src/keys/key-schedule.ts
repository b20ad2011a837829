/**
 * Scheduled rotation of generated keys, as pure decisions on the ring's keys and a clock:
 * - publish: when the signing key has signed for `interval` minus the lead time and no newer key
 *   waits, a new key is published; it signs `lead` later (publish before use);
 * - retire: a key superseded by a newer one stopped signing when that one activated; once the
 *   longest token lifetime has passed since, no token it signed can still be valid.
 * Each step is taken by one instance only: the caller holds a lease in the store named by the
 * step (`stepName`).
 */

export interface ScheduledKey {
  readonly kid: string
  readonly createdAt: number
  /** From when it signs (ms). */
  readonly activatesAt: number
}

export interface ScheduleInput {
  readonly now: number
  /** Milliseconds between rotations. */
  readonly intervalMs: number
  /** Milliseconds a new key is published before it signs. */
  readonly leadMs: number
  /** Longest an access token stays valid (lifetime plus clock tolerance), ms. */
  readonly maxTokenLifetimeMs: number
  /** The generated keys the ring may sign with (any order). */
  readonly keys: readonly ScheduledKey[]
}

export type ScheduleStep =
  | { readonly kind: 'publish'; readonly after: string }
  | { readonly kind: 'retire'; readonly kid: string }

/**
 * The steps due now: at most one publish, and every retirement due.
 *
 * @example
 * const steps = dueSteps({ now, intervalMs, leadMs, maxTokenLifetimeMs, keys: ring.generatedKeys() })
 */
export function dueSteps(input: ScheduleInput): ScheduleStep[] {
  const { now, intervalMs, leadMs, maxTokenLifetimeMs } = input
  // Activation order: the key that activated last (or activates next) is the newest in use.
  const keys = [...input.keys].sort(
    (a, b) => a.activatesAt - b.activatesAt || a.createdAt - b.createdAt,
  )
  const steps: ScheduleStep[] = []
  const active = keys.filter((key) => key.activatesAt <= now)
  const current = active[active.length - 1]
  const pending = keys.some((key) => key.activatesAt > now)
  if (current !== undefined && !pending && now >= current.activatesAt + intervalMs - leadMs) {
    steps.push({ kind: 'publish', after: current.kid })
  }
  for (let i = 0; i < active.length - 1; i += 1) {
    const key = active[i] as ScheduledKey
    const successor = active[i + 1] as ScheduledKey
    // It signed until its successor activated; tokens it signed live at most this long after.
    if (now >= successor.activatesAt + maxTokenLifetimeMs)
      steps.push({ kind: 'retire', kid: key.kid })
  }
  return steps
}

/** The lease that makes one instance, and only one, take a step. */
export function stepName(step: ScheduleStep): string {
  return step.kind === 'publish' ? `key-publish:${step.after}` : `key-retire:${step.kid}`
}
