/**
 * What `sign` puts in a token: the claims jsonwebtoken would write for a payload and its sign
 * options (its precedence, checks and messages), plus what revocable requires (a string `sub`, a
 * session, a `jti`), with the restore claim that gives the app its payload back as signed.
 */
import type { AccessTokenClaims } from '../../tokens/claims.js'
import { randomId } from '../../tokens/ids.js'
import { signError } from './errors.js'
import { RESTORE_CLAIM, type SignOptions } from './options.js'
import { timespan } from './time-string.js'

/** The JWTR's own settings the claims are checked against. */
export interface ClaimRules {
  readonly issuer: string
  readonly audience: string
  /** Longest lifetime, in seconds (also the lifetime when none is given). */
  readonly maxExpiresIn: number
}

/** Builds the claims jsonwebtoken would, plus what revocable requires. */
export function buildClaims(
  payload: Record<string, unknown>,
  options: SignOptions,
  now: number,
  rules: ClaimRules,
): AccessTokenClaims {
  const fromOption = (claim: string, option: keyof SignOptions): unknown => {
    if (options[option] === undefined) return payload[claim]
    if (payload[claim] !== undefined) {
      const separator = option === 'expiresIn' || option === 'notBefore' ? '' : '.'
      throw signError(
        `Bad "options.${option}" option${separator} ${separator ? 'The' : 'the'} payload ` +
          `already has an "${claim}" property.`,
      )
    }
    return options[option]
  }
  if (payload[RESTORE_CLAIM] !== undefined) {
    throw new TypeError(`the "${RESTORE_CLAIM}" claim is reserved by revocable/jwt-redis`)
  }
  if (options.algorithm !== undefined && options.algorithm !== 'HS256') {
    throw new TypeError('"algorithm" must be HS256 (the secret is an HMAC key)')
  }
  const added: string[] = []
  const iatGiven = payload.iat
  if (iatGiven !== undefined && typeof iatGiven !== 'number') {
    throw signError('"iat" should be a number of seconds')
  }
  const iat = (iatGiven as number | undefined) ?? Math.floor(now / 1000)

  let exp = fromOption('exp', 'expiresIn')
  if (options.expiresIn !== undefined) exp = timespan('expiresIn', options.expiresIn, iat)
  exp ??= iat + rules.maxExpiresIn
  if (typeof exp !== 'number' || !Number.isFinite(exp)) {
    throw signError('"exp" should be a number of seconds')
  }
  if (exp - iat > rules.maxExpiresIn) {
    throw new TypeError(
      `"expiresIn" must be at most ${rules.maxExpiresIn} seconds (the "maxExpiresIn" option)`,
    )
  }
  let nbf = fromOption('nbf', 'notBefore')
  if (options.notBefore !== undefined) nbf = timespan('notBefore', options.notBefore, iat)
  if (nbf !== undefined && (typeof nbf !== 'number' || !Number.isFinite(nbf))) {
    throw signError('"nbf" should be a number of seconds')
  }

  const given = (claim: string, value: unknown) => {
    if (value === undefined) added.push(claim)
    return value
  }
  const iss = given('iss', fromOption('iss', 'issuer')) ?? rules.issuer
  if (iss !== rules.issuer) {
    throw new TypeError(`"iss" must be "${rules.issuer}" (the "issuer" option of new JWTR())`)
  }
  const aud = given('aud', fromOption('aud', 'audience')) ?? rules.audience
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud : []
  if (!audiences.includes(rules.audience) || !audiences.every((a) => typeof a === 'string')) {
    throw new TypeError(`"aud" must name "${rules.audience}" (the "audience" option of new JWTR())`)
  }
  const jti = fromOption('jti', 'jwtid') ?? randomId()
  if (typeof jti !== 'string' || jti === '') throw new TypeError('"jti" must be a non-empty string')
  // revocable needs a string subject and a session: without them each token is its own. A
  // numeric sub (a database id) is carried as its decimal string, and restored on the way out.
  const subGiven = given('sub', fromOption('sub', 'subject'))
  let sub: unknown = subGiven ?? jti
  const restore: { add?: string[]; sub?: number } = {}
  if (typeof sub === 'number' && Number.isFinite(sub)) {
    restore.sub = sub
    sub = String(sub)
  }
  if (typeof sub !== 'string' || sub === '') {
    throw new TypeError('"sub" must be a non-empty string or a number')
  }
  const sid = given('sid', payload.sid) ?? jti
  if (typeof sid !== 'string' || sid === '') throw new TypeError('"sid" must be a non-empty string')
  for (const claim of ['scope', 'client_id']) {
    if (payload[claim] !== undefined && typeof payload[claim] !== 'string') {
      throw new TypeError(`"${claim}" must be a string`)
    }
  }

  const claims: Record<string, unknown> = { ...payload, iss, aud, sub, jti, sid, iat, exp }
  delete claims.iat_ms
  // The millisecond issue instant orders the token against revocation cutoffs.
  if (iatGiven === undefined) {
    claims.iat_ms = now
    added.push('iat_ms')
  }
  if (nbf !== undefined) claims.nbf = nbf
  if (added.length > 0) restore.add = added
  if (Object.keys(restore).length > 0) claims[RESTORE_CLAIM] = restore
  return claims as AccessTokenClaims
}
