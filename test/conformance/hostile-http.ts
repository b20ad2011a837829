/**
 * What every HTTP surface must do with a hostile token, shared by the adapters' and the
 * service's adversarial suites: the verdict the library reaches, as a clean 401 whose challenge
 * parses back, and no crash. Also the arbitrary-Unicode token generator for the property tests.
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { RFC6750_TEXT, parseBearerChallenge } from '../support/challenge.js'
import { forge } from '../support/forge.js'
import { claimsFor, headerFor, type CorpusContext } from './hostile-tokens.js'

export interface HttpAnswer {
  status: number
  /** Lower-case header names. */
  headers: Record<string, string | undefined>
  body: unknown
}

// What a header value may hold on the wire (RFC 9110 §5.5): a client cannot send anything else.
const WIRE_HEADER_VALUE = /^[\t\x20-\x7E\x80-\xFF]*$/

/**
 * The ways to deliver `token` to a route and the token each delivery hands to the verifier: the
 * Authorization header, when the token can travel in one (HTTP drops surrounding whitespace, and
 * a value that is not `Bearer <b64token>` is refused as a malformed header: `undefined`), and a
 * percent-encoded cookie, which carries any text unchanged.
 */
export function deliveries(
  token: string,
  cookieName: string,
): Array<{ headers: Record<string, string>; cookie: boolean; received: string | undefined }> {
  const ways: Array<{
    headers: Record<string, string>
    cookie: boolean
    received: string | undefined
  }> = [
    {
      headers: { cookie: `${cookieName}=${encodeURIComponent(token)}` },
      cookie: true,
      received: token,
    },
  ]
  const value = `Bearer ${token}`
  if (WIRE_HEADER_VALUE.test(value)) {
    const sent = value.replace(/^[\t ]+|[\t ]+$/g, '')
    const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/.exec(sent)
    ways.push({ headers: { authorization: value }, cookie: false, received: match?.[1] })
  }
  return ways
}

/** Gives up on a request that never answers (a handler that died without responding). */
export async function withDeadline<T>(what: string, work: Promise<T>, ms = 5000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms)
  })
  try {
    return await Promise.race([work, deadline])
  } finally {
    clearTimeout(timer)
  }
}

/**
 * Records every uncaught exception and unhandled rejection while installed: the process would
 * have died of any of them. `stop()` removes the listeners and returns what was seen.
 */
export function watchForCrashes(): { seen: unknown[]; stop(): unknown[] } {
  const seen: unknown[] = []
  const record = (error: unknown) => void seen.push(error)
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return {
    seen,
    stop() {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
      return seen
    },
  }
}

/**
 * Asserts a well-formed RFC 6750 rejection: 401, a Bearer challenge that parses back with
 * `error="invalid_token"` (`realm` when given), and a JSON body whose `error_description`
 * equals the challenge's and holds only the characters RFC 6750 §3 allows.
 */
export function assertInvalidToken(answer: HttpAnswer, realm?: string): void {
  assert.equal(answer.status, 401, `status ${answer.status}, body ${JSON.stringify(answer.body)}`)
  const { params } = parseBearerChallenge(answer.headers['www-authenticate'])
  assert.equal(params.realm, realm)
  // No token at all is a bare challenge (RFC 6750 §3.1); a bad one names invalid_token.
  if (params.error === undefined) {
    assert.deepEqual(answer.body, { error: 'invalid_token', error_description: 'no access token' })
    return
  }
  assert.equal(params.error, 'invalid_token')
  const body = answer.body as { error?: unknown; error_description?: unknown }
  assert.equal(body.error, 'invalid_token')
  assert.equal(typeof body.error_description, 'string')
  assert.match(body.error_description as string, RFC6750_TEXT)
  assert.equal(params.error_description, body.error_description)
}

// Text an attacker would pick to break a header, a log line or a terminal: C0 and C1 controls,
// DEL, the JSON line separators, lone surrogates, characters above Latin-1, quote and backslash.
const HOSTILE_CHARS = [
  '\u0000',
  '\u0009',
  '\u000a',
  '\u000d',
  '\u001b',
  '\u007f',
  '\u0080',
  '\u009b',
  '\u00ff',
  '\u0100',
  '\u2028',
  '\u2029',
  '\ud800',
  '\udfff',
  '\ufeff',
  '\uffff',
  '€',
  '"',
  '\\',
  '😀',
]

/** One hostile character followed by arbitrary Unicode (lone surrogates included). */
export const hostileText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom(...HOSTILE_CHARS),
    fc.string({
      unit: fc.oneof(
        fc.constantFrom(...HOSTILE_CHARS),
        fc.string({ unit: 'binary', maxLength: 1 }),
      ),
      maxLength: 24,
    }),
  )
  .map(([first, rest]) => first + rest)

const HEADER_FIELDS = ['alg', 'kid', 'typ', 'crit'] as const

/**
 * A signed ES256 token whose `alg`, `kid`, `typ` or `crit` (at least one) holds hostile text,
 * with hostile text in some payload claims too. Every such token must be refused: an `alg`,
 * `kid` or `typ` that starts with a hostile character names nothing we accept, and any `crit`
 * is refused.
 */
export function hostileTokens(ctx: CorpusContext): fc.Arbitrary<string> {
  const headerChanges = fc
    .record(
      {
        alg: hostileText,
        kid: hostileText,
        typ: hostileText,
        crit: fc.oneof(hostileText, fc.array(hostileText, { minLength: 1, maxLength: 3 })),
      },
      { requiredKeys: [] },
    )
    .filter((changes) => HEADER_FIELDS.some((field) => field in changes))
  const payloadChanges = fc.record(
    {
      sub: hostileText,
      iss: hostileText,
      jti: hostileText,
      scope: hostileText,
      extra: fc.dictionary(hostileText, hostileText, { maxKeys: 2 }),
    },
    { requiredKeys: [] },
  )
  return fc.tuple(headerChanges, payloadChanges).map(([header, payload]) => {
    const { extra, ...claims } = payload as Record<string, unknown> & { extra?: object }
    return forge(
      headerFor(ctx.signers.ES256, header),
      claimsFor(ctx, { ...claims, ...extra }),
      ctx.signers.ES256,
    )
  })
}
