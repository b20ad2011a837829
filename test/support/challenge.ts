/**
 * A strict reader of the `WWW-Authenticate: Bearer` challenges the adapters and the service
 * write, for tests that must prove a challenge is well formed rather than merely present.
 */

/** What RFC 6750 §3 allows inside `error_description` (and what we allow in any parameter). */
export const RFC6750_TEXT = /^[\x20\x21\x23-\x5B\x5D-\x7E]*$/

export interface BearerChallenge {
  readonly params: Readonly<Record<string, string>>
}

const PARAM = /^([A-Za-z_]+)="([\x20\x21\x23-\x5B\x5D-\x7E]*)"/

/**
 * Parses `Bearer` or `Bearer name="value", name="value"` (RFC 6750 §3 with RFC 9110 §11.2
 * auth-params, values always quoted, no escapes since none are needed). Throws on anything else.
 */
export function parseBearerChallenge(header: string | undefined): BearerChallenge {
  if (header === undefined) throw new Error('no WWW-Authenticate header')
  if (header === 'Bearer') return { params: {} }
  if (!header.startsWith('Bearer ')) throw new Error(`not a Bearer challenge: ${header}`)
  const params: Record<string, string> = {}
  let rest = header.slice('Bearer '.length)
  for (;;) {
    const match = PARAM.exec(rest)
    if (match === null) throw new Error(`malformed challenge parameter in: ${header}`)
    const [whole, name, value] = match as unknown as [string, string, string]
    if (name in params) throw new Error(`parameter ${name} twice in: ${header}`)
    params[name] = value
    rest = rest.slice(whole.length)
    if (rest === '') return { params }
    if (!rest.startsWith(', ')) throw new Error(`malformed challenge: ${header}`)
    rest = rest.slice(2)
  }
}
