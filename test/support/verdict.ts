import type { Revocable } from '../../src/index.js'

/**
 * How a verify (or refresh) settled, as one string tests can compare: `'valid'`, or the error's
 * code, followed by `:reason` when the error has one (`ERR_TOKEN_REVOKED:session`) unless
 * `reason` is false.
 *
 * @example
 * assert.equal(await verdict(auth.verify(token)), 'ERR_TOKEN_REVOKED:user')
 */
export function verdict(
  outcome: Promise<unknown>,
  { reason = true }: { reason?: boolean } = {},
): Promise<string> {
  return outcome.then(
    () => 'valid',
    (error: { code?: string; reason?: string }) => {
      const code = error.code ?? String(error)
      return reason && error.reason !== undefined ? `${code}:${error.reason}` : code
    },
  )
}

/** The verdict of `auth.verify(token)`. */
export function verifyVerdict(auth: Revocable, token: string): Promise<string> {
  return verdict(auth.verify(token))
}
