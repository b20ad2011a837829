/**
 * Standard Webhooks signing (https://www.standardwebhooks.com/, "Signature scheme"): the secret
 * is `whsec_<base64>`, the signed content `<webhook-id>.<webhook-timestamp>.<body>`, and the
 * `webhook-signature` header `v1,<base64 HMAC-SHA256>`. A receiver checks it with any Standard
 * Webhooks library (`standardwebhooks` on npm, svix's verifiers) given the same secret.
 */
import { createHmac, timingSafeEqual } from 'node:crypto'

const PREFIX = 'whsec_'
/** The specification asks for a secret of 24 to 64 bytes. */
export const WEBHOOK_SECRET_MIN_BYTES = 24
export const WEBHOOK_SECRET_MAX_BYTES = 64

/**
 * The key bytes of a `whsec_` secret, or a reason (naming the rule, never the value) why it
 * cannot be used.
 *
 * @example
 * parseWebhookSecret('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw') // { key: <Buffer …> }
 */
export function parseWebhookSecret(text: string): { key: Buffer } | { reason: string } {
  if (!text.startsWith(PREFIX)) return { reason: 'must start with "whsec_"' }
  const encoded = text.slice(PREFIX.length)
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0) {
    return { reason: 'must be "whsec_" followed by standard base64' }
  }
  const key = Buffer.from(encoded, 'base64')
  if (key.length < WEBHOOK_SECRET_MIN_BYTES || key.length > WEBHOOK_SECRET_MAX_BYTES) {
    return {
      reason: `must encode ${WEBHOOK_SECRET_MIN_BYTES} to ${WEBHOOK_SECRET_MAX_BYTES} bytes`,
    }
  }
  return { key }
}

/**
 * The `webhook-signature` value for one delivery attempt.
 *
 * @example
 * signWebhook(key, 'msg_2Lb…', 1732950000, '{"type":"user.deleted",…}') // 'v1,K5oZfz…='
 */
export function signWebhook(key: Buffer, id: string, timestamp: number, body: string): string {
  const mac = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64')
  return `v1,${mac}`
}

/**
 * True when one of the space-separated `v1,` signatures in `header` is the one `key` gives
 * (constant-time). For receivers and tests; the service only signs.
 */
export function verifyWebhookSignature(
  key: Buffer,
  id: string,
  timestamp: number,
  body: string,
  header: string,
): boolean {
  const expected = Buffer.from(signWebhook(key, id, timestamp, body))
  return header.split(' ').some((candidate) => {
    const given = Buffer.from(candidate)
    return given.length === expected.length && timingSafeEqual(given, expected)
  })
}
