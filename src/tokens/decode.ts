/**
 * Reading a JWS without verifying it, for display and for jsonwebtoken's `decode`: lenient like
 * jsonwebtoken (any base64url, a payload that is not JSON comes back as text). Nothing here may
 * be trusted; `verify.ts` is the strict path.
 */

/** A token taken apart, unverified. */
export interface DecodedToken {
  header: Record<string, unknown>
  payload: Record<string, unknown> | string
  signature: string
}

function decodeSegment(segment: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(segment)) return undefined
  return Buffer.from(segment, 'base64url').toString('utf8')
}

/** The header, payload and signature of a compact JWS, or null when it is not one. */
export function decodeUnverified(token: unknown): DecodedToken | null {
  if (typeof token !== 'string') return null
  const parts = token.split('.')
  if (parts.length !== 3) return null
  const [h, p, signature] = parts as [string, string, string]
  const headerText = decodeSegment(h)
  const payloadText = decodeSegment(p)
  if (headerText === undefined || payloadText === undefined) return null
  let header: unknown
  try {
    header = JSON.parse(headerText)
  } catch {
    return null
  }
  if (header === null || typeof header !== 'object') return null
  let payload: Record<string, unknown> | string = payloadText
  try {
    const parsed: unknown = JSON.parse(payloadText)
    if (parsed !== null && typeof parsed === 'object') payload = parsed as Record<string, unknown>
  } catch {
    // not JSON: jsonwebtoken returns the text
  }
  return { header: header as Record<string, unknown>, payload, signature }
}
