/**
 * revocable/jwt-redis against what jwt-redis's README documents, one behaviour per test, on the
 * machine's Redis with a key prefix of its own per test.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import jsonwebtoken from 'jsonwebtoken'
import { createClient } from 'redis'
import { createClient as createClientV4 } from 'redis4'
import JWTR, {
  JsonWebTokenError,
  NotBeforeError,
  TokenDestroyedError,
  TokenExpiredError,
  TokenInvalidError,
  type JWTROptions,
} from '../../src/adapters/jwt-redis/index.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import { REDIS_URL, deletePrefix } from '../support/redis.js'
import { RedisProcess } from '../support/redis-server.js'

const SECRET = 'a-jwt-redis-secret-of-32-bytes-or-more'
const b64url = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
const OTHER_SECRET = 'another-secret-that-is-32-bytes-long!'

type Client = ReturnType<typeof createClient>
let client: Client
const prefixes: string[] = []
const instances: JWTR[] = []

before(async () => {
  client = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  await client.connect()
})
after(async () => {
  for (const jwtr of instances) await jwtr.close()
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix)
  await client.close()
})

/** A JWTR on its own key prefix and a manual clock. */
function setup(options: JWTROptions = {}): { jwtr: JWTR; clock: ManualClock; prefix: string } {
  const prefix = options.prefix ?? `test:jwtr:${randomBytes(6).toString('hex')}:`
  prefixes.push(prefix)
  const clock = (options.clock as ManualClock | undefined) ?? manualClock(Date.now())
  const jwtr = new JWTR(client, { warn: () => {}, ...options, prefix, clock })
  instances.push(jwtr)
  return { jwtr, clock, prefix }
}

describe('jwt-redis: quick start', () => {
  test('a signed token verifies with the same secret and resolves to its payload', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ jti: 'test', sub: 'user-42', role: 'admin' }, SECRET)
    const payload = await jwtr.verify(token, SECRET)
    assert.equal(payload.jti, 'test')
    assert.equal(payload.sub, 'user-42')
    assert.equal(payload.role, 'admin')
  })

  test('destroying a token by its jti makes verify reject it with TokenDestroyedError', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ jti: 'test' }, SECRET)
    await jwtr.verify(token, SECRET)
    assert.equal(await jwtr.destroy('test'), true)
    await assert.rejects(jwtr.verify(token, SECRET), (error: Error) => {
      assert.ok(error instanceof TokenDestroyedError)
      assert.equal(error.name, 'TokenDestroyedError')
      return true
    })
  })

  test('every method but decode returns a native Promise', async () => {
    const { jwtr } = setup()
    const signing = jwtr.sign({}, SECRET)
    assert.ok(signing instanceof Promise)
    const token = await signing
    const verifying = jwtr.verify(token, SECRET)
    assert.ok(verifying instanceof Promise)
    const destroying = jwtr.destroy((await verifying).jti)
    assert.ok(destroying instanceof Promise)
    await destroying
    assert.equal(typeof jwtr.decode(token), 'object')
  })
})

describe('jwt-redis: expiration time', () => {
  test('expiresIn in seconds sets exp and the token expires with TokenExpiredError', async () => {
    const { jwtr, clock } = setup()
    const token = await jwtr.sign({}, SECRET, { expiresIn: 60 })
    const { iat, exp } = jwtr.decode<{ iat: number; exp: number }>(token)
    assert.equal(exp - iat, 60)
    await jwtr.verify(token, SECRET)
    clock.advance(66_000) // past exp and the 5 s clock tolerance
    await assert.rejects(jwtr.verify(token, SECRET), (error: Error) => {
      assert.ok(error instanceof TokenExpiredError)
      assert.ok(error instanceof JsonWebTokenError)
      assert.equal(error.name, 'TokenExpiredError')
      assert.equal(error.message, 'jwt expired')
      assert.deepEqual(error.expiredAt, new Date(exp * 1000))
      return true
    })
  })

  test('expiresIn as a timespan string is read as jsonwebtoken reads it', async () => {
    const { jwtr } = setup()
    for (const [span, seconds] of [
      ['2h', 7200],
      ['1d', 86_400],
      ['90 minutes', 5400],
      ['1.5h', 5400],
      ['120000', 120], // a bare number in a string is milliseconds
    ] as const) {
      const { iat, exp } = jwtr.decode<{ iat: number; exp: number }>(
        await jwtr.sign({}, SECRET, { expiresIn: span }),
      )
      assert.equal(exp - iat, seconds, span)
    }
  })

  test('an exp given in the payload is honoured', async () => {
    const { jwtr, clock } = setup()
    const exp = Math.floor(clock() / 1000) + 30
    const token = await jwtr.sign({ exp }, SECRET)
    assert.equal(jwtr.decode<{ exp: number }>(token).exp, exp)
    await jwtr.verify(token, SECRET)
    clock.advance(36_000)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenExpiredError' })
  })

  test('a destroyed token stays rejected until it expires, and its Redis entry expires then', async () => {
    const { jwtr, clock, prefix } = setup()
    const token = await jwtr.sign({ jti: 'short-lived' }, SECRET, { expiresIn: 60 })
    await jwtr.destroy(token)
    clock.advance(50_000)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
    const pttl = await client.pTTL(`${prefix}j:short-lived`)
    // exp + the 30 s of skew revocable allows underneath (a signer's clock running ahead).
    assert.ok(pttl > 0 && pttl <= 95_000, `entry TTL ${pttl} ms is bounded by exp + skew`)
  })
})

describe('jwt-redis: jti', () => {
  test('a jti given in the payload becomes the token jti', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ jti: 'my-id' }, SECRET)
    assert.equal(jwtr.decode<{ jti: string }>(token).jti, 'my-id')
  })

  test('a jti is generated when the payload has none', async () => {
    const { jwtr } = setup()
    const first = jwtr.decode<{ jti: string }>(await jwtr.sign({}, SECRET)).jti
    const second = jwtr.decode<{ jti: string }>(await jwtr.sign({}, SECRET)).jti
    assert.match(first, /^[A-Za-z0-9_-]{22}$/)
    assert.notEqual(first, second)
  })

  test('destroying one jti leaves other tokens valid', async () => {
    const { jwtr } = setup()
    const kept = await jwtr.sign({ sub: 'user-42' }, SECRET)
    const gone = await jwtr.sign({ sub: 'user-42' }, SECRET)
    await jwtr.destroy(jwtr.decode<{ jti: string }>(gone).jti)
    await jwtr.verify(kept, SECRET)
    await assert.rejects(jwtr.verify(gone, SECRET), { name: 'TokenDestroyedError' })
  })

  test('destroy also takes the token itself', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({}, SECRET)
    await jwtr.destroy(token)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('destroy does not trust the exp of a token it cannot verify', async () => {
    const { jwtr, clock } = setup()
    const token = await jwtr.sign({ jti: 'shared-jti' }, SECRET, { expiresIn: 3600 })
    await jwtr.verify(token, SECRET)
    // A forged token naming the same jti, signed with a secret this JWTR has never seen, with an
    // exp already past: believing it, destroy would write nothing (or an entry that dies early).
    const forged = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url({
      jti: 'shared-jti',
      exp: Math.floor(clock() / 1000) - 10,
    })}.${'A'.repeat(43)}`
    await jwtr.destroy(forged)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
    clock.advance(1800 * 1000) // half the real token's life: still destroyed
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('with the local replica on, a destroy is seen at once by the instance that made it', async () => {
    const { jwtr } = setup({ replica: 'auto' })
    const token = await jwtr.sign({ sub: 'user-42' }, SECRET)
    await jwtr.verify(token, SECRET)
    await jwtr.destroy(token)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('a destroy on one instance is seen at once by another on the same Redis', async () => {
    const a = setup()
    const b = setup({ prefix: a.prefix, clock: a.clock })
    const token = await a.jwtr.sign({ sub: 'user-42' }, SECRET)
    await b.jwtr.verify(token, SECRET)
    await a.jwtr.destroy(token)
    await assert.rejects(b.jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })
})

describe('jwt-redis: options and API', () => {
  test('the prefix option sets the prefix of every Redis key', async () => {
    const prefix = `test:jwtr:custom-${randomBytes(4).toString('hex')}:`
    const { jwtr } = setup({ prefix })
    await jwtr.destroy(await jwtr.sign({ jti: 'labelled' }, SECRET))
    assert.equal(await client.exists(`${prefix}j:labelled`), 1)
  })

  test('decode returns the payload without verifying, or null for a non-token', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ jti: 'x', name: 'Ada' }, SECRET)
    assert.equal(jwtr.decode<{ name: string }>(token).name, 'Ada')
    const complete = jwtr.decode<{ header: { alg: string }; signature: string }>(token, {
      complete: true,
    })
    assert.equal(complete.header.alg, 'HS256')
    assert.equal(complete.signature, token.split('.')[2])
    assert.equal(jwtr.decode('not a token'), null)
  })

  test('a token verified with another secret is rejected as an invalid signature', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({}, SECRET)
    await assert.rejects(jwtr.verify(token, OTHER_SECRET), (error: Error) => {
      assert.ok(error instanceof JsonWebTokenError)
      assert.equal(error.name, 'JsonWebTokenError')
      assert.equal(error.message, 'invalid signature')
      return true
    })
  })

  test('a tampered token is rejected as an invalid signature', async () => {
    const { jwtr } = setup()
    const [h, , s] = (await jwtr.sign({ role: 'user' }, SECRET)).split('.')
    const forged = jwtr.decode<Record<string, unknown>>(await jwtr.sign({ role: 'user' }, SECRET))
    const payload = Buffer.from(JSON.stringify({ ...forged, role: 'admin' })).toString('base64url')
    await assert.rejects(jwtr.verify(`${h}.${payload}.${s}`, SECRET), {
      name: 'JsonWebTokenError',
      message: 'invalid signature',
    })
  })

  test('a malformed token is rejected with jwt malformed', async () => {
    const { jwtr } = setup()
    await assert.rejects(jwtr.verify('garbage', SECRET), {
      name: 'JsonWebTokenError',
      message: 'jwt malformed',
    })
  })

  test('a token before its notBefore is rejected with NotBeforeError', async () => {
    const { jwtr, clock } = setup()
    const token = await jwtr.sign({}, SECRET, { notBefore: 60, expiresIn: 600 })
    const { nbf } = jwtr.decode<{ nbf: number }>(token)
    await assert.rejects(jwtr.verify(token, SECRET), (error: Error) => {
      assert.ok(error instanceof NotBeforeError)
      assert.equal(error.message, 'jwt not active')
      assert.deepEqual(error.date, new Date(nbf * 1000))
      return true
    })
    clock.advance(60_000)
    await jwtr.verify(token, SECRET)
  })

  test('verify options audience, issuer, subject and jwtid are checked as jsonwebtoken does', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ sub: 'user-42', jti: 'id-1', aud: 'jwt-redis' }, SECRET)
    await jwtr.verify(token, SECRET, {
      audience: 'jwt-redis',
      subject: 'user-42',
      jwtid: 'id-1',
      algorithms: ['HS256'],
    })
    await assert.rejects(jwtr.verify(token, SECRET, { audience: 'other' }), {
      name: 'JsonWebTokenError',
      message: 'jwt audience invalid. expected: other',
    })
    // As in jsonwebtoken, an option names a claim the app signed: `iss` was added by this
    // layer, not by the app, so the issuer option finds none.
    await assert.rejects(jwtr.verify(token, SECRET, { issuer: 'jwt-redis' }), {
      name: 'JsonWebTokenError',
      message: 'jwt issuer invalid. expected: jwt-redis',
    })
    await assert.rejects(jwtr.verify(token, SECRET, { subject: 'user-7' }), {
      name: 'JsonWebTokenError',
      message: 'jwt subject invalid. expected: user-7',
    })
    await assert.rejects(jwtr.verify(token, SECRET, { algorithms: ['RS256'] }), {
      name: 'JsonWebTokenError',
      message: 'invalid algorithm',
    })
  })

  test('an exp in the payload and expiresIn together are refused, as jsonwebtoken does', async () => {
    const { jwtr } = setup()
    await assert.rejects(jwtr.sign({ exp: 1 }, SECRET, { expiresIn: 60 }), {
      name: 'Error',
      message: 'Bad "options.expiresIn" option the payload already has an "exp" property.',
    })
  })

  test('the error classes are exported under the names jwt-redis exports', () => {
    assert.equal(new TokenDestroyedError().name, 'TokenDestroyedError')
    assert.equal(new TokenInvalidError().name, 'TokenInvalidError')
    assert.equal(new JsonWebTokenError('x').name, 'JsonWebTokenError')
    assert.equal(new TokenExpiredError('x', new Date(0)).name, 'TokenExpiredError')
    assert.equal(new NotBeforeError('x', new Date(0)).name, 'NotBeforeError')
  })
})

describe('jwt-redis: what revocable changes', () => {
  test('a secret shorter than 32 bytes is refused with a TypeError under shortSecrets: refuse', async () => {
    const { jwtr } = setup({ shortSecrets: 'refuse' })
    await assert.rejects(jwtr.sign({}, 'SECRET'), (error: Error) => {
      assert.equal(error.name, 'TypeError')
      assert.match(error.message, /shorter than 32 bytes/)
      assert.match(error.message, /openssl rand -base64 32/)
      assert.doesNotMatch(error.message, /SECRET/) // the secret itself is never echoed
      return true
    })
    await assert.rejects(jwtr.verify('a.b.c', 'SECRET'), { name: 'JsonWebTokenError' })
    const token = await setup().jwtr.sign({}, 'SECRET')
    await assert.rejects(jwtr.verify(token, 'SECRET'), { name: 'TypeError' })
  })

  test('a short secret signs tokens that jsonwebtoken verifies with the same secret', async () => {
    const { jwtr } = setup({ shortSecrets: 'allow' })
    const token = await jwtr.sign({ sub: 'u1' }, 'SECRET')
    const payload = jsonwebtoken.verify(token, 'SECRET', { algorithms: ['HS256'] }) as {
      sub: string
    }
    assert.equal(payload.sub, 'u1')
  })

  test('a numeric sub is revoked through revocable as its decimal string', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ sub: 42 }, SECRET)
    assert.equal((await jwtr.verify(token, SECRET)).sub, 42)
    await (await jwtr.auth(SECRET)).revokeUser('42')
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('a sub that is neither a string nor a number is refused by name', async () => {
    const { jwtr } = setup()
    await assert.rejects(jwtr.sign({ sub: { id: 1 } }, SECRET), {
      name: 'TypeError',
      message: '"sub" must be a non-empty string or a number',
    })
  })

  test('on a node-redis v4 client (jwt-redis 7 apps) it works and every key has a TTL', async () => {
    const v4 = createClientV4({ url: REDIS_URL })
    await v4.connect()
    const prefix = `test:jwtr-v4:${randomBytes(6).toString('hex')}:`
    prefixes.push(prefix)
    const jwtr = new JWTR(v4, { prefix, warn: () => {} })
    try {
      const token = await jwtr.sign({ jti: 'on-v4', sub: 'u1' }, SECRET, { expiresIn: 600 })
      assert.equal((await jwtr.verify(token, SECRET)).sub, 'u1')
      assert.equal(await jwtr.destroy('on-v4'), true)
      await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
      await jwtr.sign({ jti: 'live-on-v4' }, SECRET, { expiresIn: 600 })
      const keys: string[] = []
      for await (const key of v4.scanIterator({ MATCH: `${prefix}*` })) keys.push(key)
      assert.ok(
        keys.some((key) => key.endsWith('i:live-on-v4')),
        'the issued record is written',
      )
      for (const key of keys) {
        const ttl = await v4.pTTL(key)
        assert.ok(ttl > 0 || key.includes('{g}'), `${key} has a TTL (${ttl})`)
      }
    } finally {
      await jwtr.close()
      await v4.quit()
    }
  })

  test('destroy of a live token answers false once the clock passes its exp', async () => {
    const { jwtr, clock } = setup()
    await jwtr.sign({ jti: 'soon' }, SECRET, { expiresIn: 60 })
    await jwtr.sign({ jti: 'later' }, SECRET, { expiresIn: 60 })
    // jwt-redis's label lives the whole seconds left until exp (59 or 60, by the start's ms).
    clock.advance(58_000)
    assert.equal(await jwtr.destroy('later'), true)
    clock.advance(2_000)
    assert.equal(await jwtr.destroy('soon'), false)
  })

  test('two concurrent destroys of one live token: exactly one answers true', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({ jti: 'raced' }, SECRET)
    const answers = await Promise.all([jwtr.destroy('raced'), jwtr.destroy('raced')])
    assert.deepEqual(answers.sort(), [false, true])
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('destroy of an unknown jti still denies it (a token from auth.issue has no label)', async () => {
    const { jwtr } = setup()
    const auth = await jwtr.auth(SECRET)
    const token = await auth.issue({ sub: 'user-9' })
    const { jti } = jwtr.decode<{ jti: string }>(token)
    assert.equal(await jwtr.destroy(jti), false)
    await assert.rejects(jwtr.verify(token, SECRET), { name: 'TokenDestroyedError' })
  })

  test('a token without expiresIn lives maxExpiresIn seconds instead of for ever', async () => {
    const { jwtr } = setup({ maxExpiresIn: 3600 })
    const { iat, exp } = jwtr.decode<{ iat: number; exp: number }>(await jwtr.sign({}, SECRET))
    assert.equal(exp - iat, 3600)
    await assert.rejects(jwtr.sign({}, SECRET, { expiresIn: '2h' }), {
      name: 'TypeError',
      message: '"expiresIn" must be at most 3600 seconds (the "maxExpiresIn" option)',
    })
  })

  test('an option jsonwebtoken has but this layer does not is refused by name', async () => {
    const { jwtr } = setup()
    const token = await jwtr.sign({}, SECRET)
    await assert.rejects(jwtr.verify(token, SECRET, { ignoreExpiration: true } as never), {
      name: 'TypeError',
      message: '"ignoreExpiration" is not supported by revocable/jwt-redis verify()',
    })
  })

  test('a Redis outage rejects verify with ERR_STORE_UNAVAILABLE, not a token error', async () => {
    const redis = await RedisProcess.start({ args: ['--save', '', '--appendonly', 'no'] })
    const own = createClient({ url: redis.url, disableOfflineQueue: true })
    own.on('error', () => {})
    await own.connect()
    const jwtr = new JWTR(own, { warn: () => {} })
    try {
      const token = await jwtr.sign({ sub: 'user-42' }, SECRET)
      await jwtr.verify(token, SECRET)
      await redis.stop()
      await assert.rejects(jwtr.verify(token, SECRET), {
        name: 'StoreUnavailable',
        code: 'ERR_STORE_UNAVAILABLE',
      })
    } finally {
      await jwtr.close()
      await own.destroy()
      await redis.destroy()
    }
  })

  test("the secret's revocable instance revokes every token of a user", async () => {
    const { jwtr, clock } = setup()
    const first = await jwtr.sign({ sub: 'user-42' }, SECRET)
    const second = await jwtr.sign({ sub: 'user-42' }, SECRET)
    const other = await jwtr.sign({ sub: 'user-7' }, SECRET)
    clock.advance(1)
    await (await jwtr.auth(SECRET)).revokeUser('user-42')
    await assert.rejects(jwtr.verify(first, SECRET), { name: 'TokenDestroyedError' })
    await assert.rejects(jwtr.verify(second, SECRET), { name: 'TokenDestroyedError' })
    await jwtr.verify(other, SECRET)
  })

  test('sessions from the revocable instance verify through the same JWTR', async () => {
    const { jwtr } = setup()
    const auth = await jwtr.auth(SECRET)
    const { accessToken, refreshToken } = await auth.startSession({ sub: 'user-42' })
    assert.equal((await jwtr.verify(accessToken, SECRET)).sub, 'user-42')
    const next = await auth.refresh(refreshToken)
    await jwtr.destroy(next.accessToken)
    await assert.rejects(jwtr.verify(next.accessToken, SECRET), { name: 'TokenDestroyedError' })
  })
})
