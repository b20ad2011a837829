/**
 * One script, run against the real jwt-redis (on a node-redis v4 client, which it needs) and
 * against revocable/jwt-redis (on node-redis v5): the outcomes must be the same.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, test } from 'node:test'
import { createClient } from 'redis'
import { createClient as createClientV4 } from 'redis4'
import * as realModule from 'jwt-redis'
import JWTR from '../../src/adapters/jwt-redis.js'
import { REDIS_URL, deletePrefix } from '../support/redis.js'

const SECRET = 'a-jwt-redis-secret-of-32-bytes-or-more'
const OTHER_SECRET = 'another-secret-that-is-32-bytes-long!'

interface JwtrLike {
  sign(payload: object, secret: string, options?: object): Promise<string>
  verify(token: string, secret: string): Promise<Record<string, unknown>>
  destroy(jti: string): Promise<unknown>
  decode(token: string): unknown
}

// jwt-redis is CommonJS with `exports.default`.
const RealJWTR = ((realModule as { default: { default?: unknown } }).default.default ??
  realModule.default) as new (client: unknown, options?: { prefix: string }) => JwtrLike

/** What happened, comparable across implementations. */
async function outcome(run: () => Promise<unknown>): Promise<string> {
  try {
    await run()
    return 'ok'
  } catch (error) {
    return `${(error as Error).name}: ${(error as Error).message}`
  }
}

async function script(jwtr: JwtrLike): Promise<Record<string, unknown>> {
  const now = Math.floor(Date.now() / 1000)
  const results: Record<string, unknown> = {}
  const fixed = await jwtr.sign({ jti: 'test', sub: 'user-42' }, SECRET)
  results.fixedJti = (jwtr.decode(fixed) as { jti: string }).jti
  results.verify = await outcome(() => jwtr.verify(fixed, SECRET))
  results.payloadSub = (await jwtr.verify(fixed, SECRET)).sub
  results.otherSecret = await outcome(() => jwtr.verify(fixed, OTHER_SECRET))
  results.garbage = await outcome(() => jwtr.verify('garbage', SECRET))
  await jwtr.destroy('test')
  results.destroyed = (await outcome(() => jwtr.verify(fixed, SECRET))).split(':')[0]

  const generated = jwtr.decode(await jwtr.sign({}, SECRET)) as { jti: unknown }
  results.generatedJti = typeof generated.jti
  const timed = jwtr.decode(await jwtr.sign({}, SECRET, { expiresIn: 3600 })) as {
    iat: number
    exp: number
  }
  results.expiresIn = timed.exp - timed.iat
  results.expired = await outcome(async () =>
    jwtr.verify(await jwtr.sign({ exp: now - 60 }, SECRET), SECRET),
  )
  results.notBefore = await outcome(async () =>
    jwtr.verify(await jwtr.sign({ nbf: now + 3600, exp: now + 7200 }, SECRET), SECRET),
  )
  const other = await jwtr.sign({ sub: 'user-7' }, SECRET)
  results.otherStillValid = await outcome(() => jwtr.verify(other, SECRET))
  return results
}

const prefixes: string[] = []
after(async () => {
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix)
})

test('the same script gives the same outcomes on jwt-redis and on revocable/jwt-redis', async () => {
  const realPrefix = `test:jwtr-real:${randomBytes(6).toString('hex')}:`
  const oursPrefix = `test:jwtr-ours:${randomBytes(6).toString('hex')}:`
  prefixes.push(realPrefix, oursPrefix)

  const v4 = createClientV4({ url: REDIS_URL })
  await v4.connect()
  const v5 = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  await v5.connect()
  const ours = new JWTR(v5, { prefix: oursPrefix, warn: () => {} })
  try {
    const expected = await script(new RealJWTR(v4, { prefix: realPrefix }))
    const actual = await script(ours as unknown as JwtrLike)
    assert.deepEqual(actual, expected)
    assert.deepEqual(expected, {
      fixedJti: 'test',
      verify: 'ok',
      payloadSub: 'user-42',
      otherSecret: 'JsonWebTokenError: invalid signature',
      garbage: 'JsonWebTokenError: jwt malformed',
      destroyed: 'TokenDestroyedError',
      generatedJti: 'string',
      expiresIn: 3600,
      expired: 'TokenExpiredError: jwt expired',
      notBefore: 'NotBeforeError: jwt not active',
      otherStillValid: 'ok',
    })
  } finally {
    await ours.close()
    await v4.quit()
    await v5.close()
  }
})
