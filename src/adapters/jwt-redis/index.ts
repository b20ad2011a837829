/**
 * jwt-redis's API on top of revocable, so that moving off jwt-redis is a one-line import change:
 * `new JWTR(redisClient)` with `sign`, `verify`, `decode` and `destroy`, giving the answers
 * jwt-redis gives (its own test suite and a behaviour table run against both: destroy's boolean,
 * jsonwebtoken's error classes, messages and check order, short secrets, a numeric sub).
 * Underneath, tokens are revocable's (HS256 on the given secret, `typ: at+jwt`), and the state
 * lives in a `RedisStore` on the given node-redis v4 or v5 client, so `jwtr.auth(secret)` opens
 * sessions, user revocation and the rest. docs/migration-from-jwt-redis.md lists every difference.
 *
 * @example
 * import JWTR from 'revocable/jwt-redis' // was: import JWTR from 'jwt-redis'
 *
 * const jwtr = new JWTR(redisClient)
 * const token = await jwtr.sign({ sub: 'user-42' }, secret, { expiresIn: '1h' })
 * const payload = await jwtr.verify(token, secret)
 * await jwtr.destroy(payload.jti)
 */ export { default, JWTR } from './client.js'
export {
  JsonWebTokenError,
  NotBeforeError,
  TokenDestroyedError,
  TokenExpiredError,
  TokenInvalidError,
} from './errors.js'
export type {
  DecodedToken,
  DecodeOptions,
  JWTROptions,
  SignOptions,
  VerifyOptions,
} from './options.js'
