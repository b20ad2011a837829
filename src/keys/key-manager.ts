import type { AuditContext, RevocableEvents } from '../events.js'
import { callStore } from '../stores/call-store.js'
import type { Store } from '../stores/store.js'
import { importConfiguredKey, type KeyInput } from './import.js'
import { dueSteps, stepName, type ScheduleStep } from './key-schedule.js'
import type { KeyRing } from './key-ring.js'

/** The options the key verbs read (the resolved options fit; keys/ does not import options.ts). */
export interface KeyManagerOptions {
  readonly clock: () => number
  readonly keyPublishLead: number
  readonly keyRotationInterval: number | false
  readonly keyReloadInterval: number
  readonly maxAccessTokenTtl: number
  readonly clockTolerance: number
}

type KeyEvents = Pick<RevocableEvents, 'key.rotated' | 'key.retired'>

export interface KeyManagerDeps {
  readonly ring: KeyRing
  readonly store: Store
  readonly options: KeyManagerOptions
  /** Names this instance when it takes a lease on a scheduled key step. */
  readonly instanceId: string
  readonly emit: <K extends keyof KeyEvents>(name: K, ...args: KeyEvents[K]) => void
  /** A reload of the keys begins (the verifier times the next unknown-kid reload from it). */
  readonly onReloading: () => void
  /** The ring changed (the verifier forgets the headers it checked). */
  readonly onChanged: () => void
  /** A key was retired (tell the replicas and the token cache). */
  readonly onRetired: (kid: string) => void
}

function checkLead(lead: unknown): number {
  if (typeof lead !== 'number' || !Number.isFinite(lead) || lead < 0) {
    throw new TypeError('"lead" must be a non-negative number of seconds')
  }
  return lead
}

/**
 * The key verbs behind `Revocable`: rotate, import, retire, reload, and the scheduled rotation.
 * Misuse is a TypeError, checked before the store is involved; `callStore` maps the rest.
 */
export class KeyManager {
  readonly #deps: KeyManagerDeps
  #closed = false
  #maintenance: NodeJS.Timeout | undefined
  #maintaining: Promise<void> = Promise.resolve()
  #reloading: Promise<void> | undefined
  #reloadAgain = false

  constructor(deps: KeyManagerDeps) {
    this.#deps = deps
  }

  async rotate(leadOption: number | undefined, context: AuditContext): Promise<string> {
    const { ring, options, emit } = this.#deps
    const lead = checkLead(leadOption ?? options.keyPublishLead)
    if (ring.configured) {
      throw new TypeError(
        'keys are configured ("keys" option, SIGNING_KEYS): rotate them in the configuration',
      )
    }
    const kid = await callStore('rotate keys', () => ring.rotate(lead * 1000))
    this.#deps.onChanged()
    const at = options.clock()
    emit('key.rotated', { kid, activatesAt: at + lead * 1000, at, ...context })
    return kid
  }

  async import(input: KeyInput, leadOption: number | undefined): Promise<string> {
    const { ring, options, emit } = this.#deps
    const lead = checkLead(leadOption ?? options.keyPublishLead)
    const key = await importConfiguredKey(input, 'key')
    if (ring.configured) {
      throw new TypeError('keys are configured here (SIGNING_KEYS): add the key there instead')
    }
    if (key.signKey === undefined) {
      throw new TypeError(
        'only a private key or secret can be imported; a public key verifies only',
      )
    }
    if (ring.isRetired(key.kid)) throw new TypeError(`key "${key.kid}" has been retired`)
    const kid = await callStore('import a key', () => ring.importKey(key, lead * 1000))
    this.#deps.onChanged()
    const at = options.clock()
    emit('key.rotated', { kid, activatesAt: at + lead * 1000, at })
    return kid
  }

  async retire(kid: string, context: AuditContext): Promise<void> {
    const { ring, options, emit } = this.#deps
    ring.assertRetirable(kid)
    await callStore('retire a key', () => ring.retire(kid))
    this.#deps.onRetired(kid)
    emit('key.retired', { kid, at: options.clock(), ...context })
  }

  async reload(): Promise<void> {
    this.#deps.onReloading()
    await callStore('load keys', () => this.#deps.ring.reload())
    this.#deps.onChanged()
  }

  /** A key change arrived on the change feed: reload in the background, coalescing bursts. */
  reloadSoon(): void {
    if (this.#closed) return
    if (this.#reloading !== undefined) {
      this.#reloadAgain = true
      return
    }
    this.#reloading = this.reload()
      .catch(() => undefined)
      .finally(() => {
        this.#reloading = undefined
        if (this.#reloadAgain) {
          this.#reloadAgain = false
          this.reloadSoon()
        }
      })
  }

  /** One round of key maintenance (see `Revocable.maintainKeys`), one at a time per instance. */
  async maintain(): Promise<ScheduleStep[]> {
    // The lease is per instance, so two rounds of the same instance would both win it.
    const previous = this.#maintaining
    let done!: () => void
    this.#maintaining = new Promise<void>((resolve) => (done = resolve))
    try {
      await previous
      return await this.#maintainOnce()
    } finally {
      done()
    }
  }

  async #maintainOnce(): Promise<ScheduleStep[]> {
    const { ring, options, store, instanceId } = this.#deps
    await this.reload()
    const interval = options.keyRotationInterval
    if (interval === false || ring.configured || this.#closed) return []
    const leadMs = options.keyPublishLead * 1000
    const intervalMs = interval * 1000
    const steps = dueSteps({
      now: options.clock(),
      intervalMs,
      leadMs,
      maxTokenLifetimeMs: (options.maxAccessTokenTtl + options.clockTolerance) * 1000,
      keys: ring.generatedKeys(),
    })
    // Long enough that no instance with a fresh ring decides the same step again.
    const leaseMs = Math.min(intervalMs / 2, Math.max(leadMs, 300_000))
    const taken: ScheduleStep[] = []
    for (const step of steps) {
      const won = await callStore('take a key lease', () =>
        store.acquireLease(stepName(step), instanceId, leaseMs),
      )
      if (!won) continue
      if (step.kind === 'publish') {
        await this.rotate(options.keyPublishLead, { actor: 'schedule' })
      } else {
        await this.retire(step.kid, {
          actor: 'schedule',
          reason: 'no token it signed can still be valid',
        })
      }
      taken.push(step)
    }
    return taken
  }

  startMaintenance(): void {
    const period = Math.max(1000, this.#deps.options.keyReloadInterval * 1000)
    this.#maintenance = setInterval(() => {
      // A failed round is retried on the next; the store's own errors are reported elsewhere.
      this.maintain().catch(() => undefined)
    }, period)
    this.#maintenance.unref()
  }

  /** Stops the timer and waits for a background reload. */
  async stop(): Promise<void> {
    this.#closed = true
    clearInterval(this.#maintenance)
    await this.#reloading
  }
}
