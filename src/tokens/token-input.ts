import { RESERVED_CLAIMS } from './claims.js'

/** What a caller may put into the access tokens it asks for. */
export interface TokenInput {
  /** The subject (user id). */
  sub: string
  /** `client_id` claim: the OAuth client the token is issued to. */
  clientId?: string
  /** `scope` claim: a space-separated string or a list of scope tokens. */
  scope?: string | readonly string[]
  /** Extra claims. They may not replace a registered claim (iss, sub, aud, exp, iat, jti, …). */
  claims?: Record<string, unknown>
}

export interface CheckedTokenInput {
  sub: string
  clientId: string | undefined
  scope: string | undefined
  claims: Record<string, unknown> | undefined
}

function optionalNonEmpty(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new TypeError(`"${name}" must be a non-empty string`)
  }
  return value
}

/** Validates the caller's part of a token once, before anything is stored or signed. */
export function checkTokenInput(input: TokenInput, verb: string): CheckedTokenInput {
  if (input === null || typeof input !== 'object') throw new TypeError(`${verb}() takes an object`)
  const sub = optionalNonEmpty('sub', input.sub)
  if (sub === undefined) throw new TypeError('"sub" must be a non-empty string')
  const { scope, claims } = input
  let scopeString: string | undefined
  if (typeof scope === 'string') scopeString = scope
  else if (Array.isArray(scope) && scope.every((s) => typeof s === 'string' && /^\S+$/.test(s))) {
    scopeString = scope.join(' ')
  } else if (scope !== undefined) {
    throw new TypeError('"scope" must be a string or an array of scope tokens')
  }
  if (claims !== undefined) {
    if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) {
      throw new TypeError('"claims" must be a plain object')
    }
    for (const name of Object.keys(claims)) {
      if (RESERVED_CLAIMS.has(name)) {
        throw new TypeError(`"claims" may not set the registered claim "${name}"`)
      }
    }
  }
  return { sub, clientId: optionalNonEmpty('clientId', input.clientId), scope: scopeString, claims }
}

/**
 * The two options a token lifetime is checked against (a narrow input, so tokens/ does not import
 * options.ts: the resolved options satisfy it).
 */
export interface TtlLimits {
  readonly accessTokenTtl: number
  readonly maxAccessTokenTtl: number
}

/** Validates a token lifetime in seconds against the options. */
export function checkTtl(ttl: unknown, limits: TtlLimits): number {
  const value = ttl ?? limits.accessTokenTtl
  if (
    typeof value !== 'number' ||
    !Number.isInteger(value) ||
    value <= 0 ||
    value > limits.maxAccessTokenTtl
  ) {
    throw new TypeError('"ttl" must be a positive integer of seconds, at most "maxAccessTokenTtl"')
  }
  return value
}
