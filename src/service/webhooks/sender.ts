/**
 * Delivers webhook messages from a bounded in-memory queue, off the request path: `send` only
 * enqueues and returns. Each message is POSTed with the Standard Webhooks headers; a non-2xx
 * answer, a timeout or a network error is retried with exponential back-off (with jitter) up to
 * `maxAttempts`, keeping the same `webhook-id` (the receiver's idempotency key) and signing each
 * attempt with its own `webhook-timestamp`. A full queue drops the new message and says so once
 * in the log: a slow receiver must never slow logins down or grow memory without bound.
 */
import { randomBytes } from 'node:crypto'
import { signWebhook } from './signing.js'

export interface WebhookSenderOptions {
  /** Where every message is POSTed. */
  readonly url: string
  /** The key bytes of the `whsec_` secret (parseWebhookSecret). */
  readonly key: Buffer
  /** Messages waiting or being retried at most; more are dropped. Default 1000. */
  readonly maxQueued?: number
  /** Attempts per message, the first included. Default 8 (the last about 2 minutes after the first). */
  readonly maxAttempts?: number
  /** Wait before the first retry, ms; doubled for each further one. Default 1000. */
  readonly retryDelayMs?: number
  /** The longest wait between attempts, ms. Default 300000. */
  readonly maxRetryDelayMs?: number
  /** One attempt's deadline, ms. Default 5000. */
  readonly timeoutMs?: number
  /** Attempts in flight at once. Default 4. */
  readonly concurrency?: number
  /** Lines for the operator: a dropped message, a message given up on. */
  readonly warn?: (message: string) => void
  /** ms since the epoch (the timestamp of each attempt). Default Date.now. */
  readonly clock?: () => number
}

/** One event, as the receiver gets it: `{ type, timestamp, data }`. */
export interface WebhookMessage {
  readonly id: string
  readonly type: string
  readonly body: string
}

export interface WebhookCounts {
  delivered: number
  /** Given up after the last attempt (or a 410 Gone). */
  failed: number
  /** Refused because the queue was full, or still queued at close. */
  dropped: number
  /** Attempts that were answered with a non-2xx, timed out or failed, and retried. */
  retried: number
}

function positive(name: string, value: number, min: number): number {
  if (!Number.isSafeInteger(value) || value < min) {
    throw new TypeError(`"${name}" must be an integer of at least ${min}`)
  }
  return value
}

/** Standard Webhooks message ids: `msg_` and a random, URL-safe part. */
function messageId(): string {
  return `msg_${randomBytes(16).toString('base64url')}`
}

export class WebhookSender {
  readonly counts: WebhookCounts = { delivered: 0, failed: 0, dropped: 0, retried: 0 }
  readonly #url: string
  readonly #key: Buffer
  readonly #maxQueued: number
  readonly #maxAttempts: number
  readonly #retryDelayMs: number
  readonly #maxRetryDelayMs: number
  readonly #timeoutMs: number
  readonly #concurrency: number
  readonly #warn: (message: string) => void
  readonly #clock: () => number
  /** Messages accepted and not yet settled (delivered, failed or dropped). */
  readonly #pending = new Set<Promise<void>>()
  /** Attempts waiting for a place among the `concurrency` in flight. */
  readonly #waiting: Array<(handedOver: boolean) => void> = []
  readonly #timers = new Set<{ timer: NodeJS.Timeout; wake: () => void }>()
  readonly #aborts = new Set<AbortController>()
  #inFlight = 0
  #closed = false
  /** Set once close's grace is over: nothing more is sent. */
  #stopped = false
  #warnedFull = false

  /**
   * @example
   * const sender = new WebhookSender({ url: 'https://hooks.example/revocable', key })
   * sender.send('user.deleted', { sub: 'user-42' })
   */
  constructor(options: WebhookSenderOptions) {
    this.#url = options.url
    this.#key = options.key
    this.#maxQueued = positive('maxQueued', options.maxQueued ?? 1000, 1)
    this.#maxAttempts = positive('maxAttempts', options.maxAttempts ?? 8, 1)
    this.#retryDelayMs = positive('retryDelayMs', options.retryDelayMs ?? 1000, 0)
    this.#maxRetryDelayMs = positive('maxRetryDelayMs', options.maxRetryDelayMs ?? 300_000, 0)
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 5000, 1)
    this.#concurrency = positive('concurrency', options.concurrency ?? 4, 1)
    this.#warn = options.warn ?? ((message) => console.warn(message))
    this.#clock = options.clock ?? Date.now
  }

  /** Messages accepted and not yet delivered or given up on. */
  get pending(): number {
    return this.#pending.size
  }

  /**
   * Queues one message and returns at once; false when it was dropped (queue full or closed).
   * `data` must hold no secret: it leaves the service.
   */
  send(type: string, data: Record<string, unknown>): boolean {
    if (this.#closed || this.#pending.size >= this.#maxQueued) {
      this.counts.dropped += 1
      if (!this.#closed && !this.#warnedFull) {
        this.#warnedFull = true
        this.#warn(
          `revocable: the webhook queue is full (${this.#maxQueued} messages); new messages are dropped`,
        )
      }
      return false
    }
    const timestamp = new Date(this.#clock()).toISOString()
    const message: WebhookMessage = {
      id: messageId(),
      type,
      body: JSON.stringify({ type, timestamp, data }),
    }
    const task = this.#deliver(message).finally(() => {
      this.#pending.delete(task)
      if (this.#pending.size < this.#maxQueued) this.#warnedFull = false
    })
    this.#pending.add(task)
    return true
  }

  /** Resolves once every message accepted so far is settled (tests, orderly shutdown). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending])
  }

  /**
   * Stops: no new message is accepted and no retry is scheduled (waiting ones are given up and
   * counted as dropped); first attempts already accepted get up to `graceMs` to finish, then
   * whatever is still in flight is aborted.
   */
  async close(graceMs = 2000): Promise<void> {
    this.#closed = true
    for (const { timer, wake } of this.#timers) {
      clearTimeout(timer)
      wake()
    }
    this.#timers.clear()
    let timer: NodeJS.Timeout | undefined
    const grace = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs)
      timer.unref()
    })
    await Promise.race([Promise.all([...this.#pending]), grace])
    clearTimeout(timer)
    this.#stopped = true
    for (const abort of this.#aborts) abort.abort()
    for (const start of this.#waiting.splice(0)) start(false)
    await Promise.all([...this.#pending])
  }

  async #deliver(message: WebhookMessage): Promise<void> {
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await this.#attempt(message)
      if (outcome === 'delivered') {
        this.counts.delivered += 1
        return
      }
      if (outcome === 'stopped' || (this.#closed && outcome === 'retry')) {
        this.counts.dropped += 1
        return
      }
      if (outcome === 'gone' || attempt >= this.#maxAttempts) {
        this.counts.failed += 1
        // The type and id only: never the body, the URL or what the receiver answered.
        this.#warn(
          `revocable: webhook ${message.type} ${message.id} not delivered after ${attempt} attempt(s)`,
        )
        return
      }
      this.counts.retried += 1
      await this.#sleep(this.#backoff(attempt))
      // Woken by close: the retry is given up, not sent during the grace.
      if (this.#closed) {
        this.counts.dropped += 1
        return
      }
    }
  }

  /** The wait after attempt `attempt` failed: doubling, capped, with "equal jitter". */
  #backoff(attempt: number): number {
    const full = Math.min(this.#maxRetryDelayMs, this.#retryDelayMs * 2 ** (attempt - 1))
    return Math.round(full / 2 + (Math.random() * full) / 2)
  }

  async #attempt(message: WebhookMessage): Promise<'delivered' | 'retry' | 'gone' | 'stopped'> {
    await this.#acquire()
    if (this.#stopped) {
      this.#release()
      return 'stopped'
    }
    const abort = new AbortController()
    this.#aborts.add(abort)
    const timer = setTimeout(() => abort.abort(), this.#timeoutMs)
    try {
      const timestamp = Math.floor(this.#clock() / 1000)
      const response = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'webhook-id': message.id,
          'webhook-timestamp': String(timestamp),
          'webhook-signature': signWebhook(this.#key, message.id, timestamp, message.body),
        },
        body: message.body,
        // A redirect is a failed delivery: the signed body goes to the configured URL only.
        redirect: 'manual',
        signal: abort.signal,
      })
      await response.body?.cancel().catch(() => undefined)
      if (response.status >= 200 && response.status < 300) return 'delivered'
      // Standard Webhooks: 410 Gone asks the sender to stop.
      return response.status === 410 ? 'gone' : 'retry'
    } catch {
      return 'retry'
    } finally {
      clearTimeout(timer)
      this.#aborts.delete(abort)
      this.#release()
    }
  }

  async #acquire(): Promise<void> {
    if (this.#stopped || this.#inFlight < this.#concurrency) {
      this.#inFlight += 1
      return
    }
    // Woken by #release, which hands over its place, or by close, which has none to give.
    const handedOver = await new Promise<boolean>((resolve) => this.#waiting.push(resolve))
    if (!handedOver) this.#inFlight += 1
  }

  #release(): void {
    const next = this.#waiting.shift()
    if (next === undefined) this.#inFlight -= 1
    else next(true)
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.#timers.delete(entry)
          resolve()
        }, ms),
        wake: resolve,
      }
      // A retry waiting for its time never keeps the process alive.
      entry.timer.unref()
      this.#timers.add(entry)
    })
  }
}
