import { RevocableError } from '../../errors.js'
import { decodeUnverified } from '../../tokens/decode.js'
import {
  CONFIG_HELP,
  configForToken,
  EXIT_FAILURE,
  EXIT_OK,
  noExtra,
  output,
  parse,
  positional,
  UsageError,
  withRuntime,
  type Command,
} from '../command.js'

/** A plain JSON object (not an array, not text), as a JWS header and claims must be. */
function asObject(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined
}

export const tokenCommand: Command = {
  name: 'token',
  summary: 'inspect an access token',
  help: `Usage: revocable token inspect <jwt> [--json]

Decodes the token's header and claims and verifies it completely against the configured store
(signature, claims, and every kind of revocation). Exits 0 when the token is valid, 1 when it
is not (the reason is printed). Without ISSUER (or --issuer) the token's own iss is taken, since
the default (http://localhost:$PORT) depends on the port the service was started with.

${CONFIG_HELP}`,
  async run(args, io) {
    const parsed = parse(args)
    const json = parsed.values.json === true
    const action = positional(parsed, 0, 'inspect')
    if (action !== 'inspect') throw new UsageError(`unknown action "${action}" (inspect)`)
    const token = positional(parsed, 1, 'jwt')
    noExtra(parsed, 2)
    const decoded = decodeUnverified(token)
    const header = asObject(decoded?.header)
    const claims = asObject(decoded?.payload)
    if (header === undefined || claims === undefined) {
      output(
        io,
        json,
        { valid: false, error: { code: 'ERR_TOKEN_MALFORMED', message: 'not a compact JWS' } },
        'not a JWT (a compact JWS has three base64url segments)',
      )
      return EXIT_FAILURE
    }
    const config = configForToken(parsed, io, token)
    const error = await withRuntime(config, io, async ({ auth }) => {
      try {
        await auth.verify(token)
        return undefined
      } catch (failure) {
        if (failure instanceof RevocableError) return failure
        throw failure
      }
    })
    const verdict =
      error === undefined
        ? { valid: true }
        : { valid: false, error: { code: error.code, message: error.message } }
    const times = ['iat', 'exp', 'nbf']
      .filter((name) => typeof claims[name] === 'number')
      .map((name) => `  ${name}: ${new Date((claims[name] as number) * 1000).toISOString()}`)
    output(
      io,
      json,
      { header, claims, ...verdict },
      [
        `header: ${JSON.stringify(header)}`,
        `claims: ${JSON.stringify(claims, null, 2)}`,
        ...times,
        error === undefined ? 'valid' : `invalid: ${error.code} (${error.message})`,
      ].join('\n'),
    )
    return error === undefined ? EXIT_OK : EXIT_FAILURE
  },
}
