/**
 * The webhook queue on /metrics: notices by outcome since start, and how many wait. A growing
 * `failed` or `dropped` says the receiver is down or too slow; nothing else would.
 */
import { Gauge, type Registry } from 'prom-client'
import type { WebhookSender } from '../service/webhooks/sender.js'

export function registerWebhookMetrics(registry: Registry, sender: WebhookSender): void {
  new Gauge({
    name: 'revocable_webhook_notices',
    help: 'Webhook notices since start, by outcome (delivered, failed, dropped, retried attempts)',
    labelNames: ['outcome'],
    registers: [registry],
    collect() {
      for (const [outcome, count] of Object.entries(sender.counts)) this.set({ outcome }, count)
    },
  })
  new Gauge({
    name: 'revocable_webhook_pending',
    help: 'Webhook notices accepted and not yet delivered or given up',
    registers: [registry],
    collect() {
      this.set(sender.pending)
    },
  })
}
