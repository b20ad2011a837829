/**
 * jwt-redis's own test suite (v7.0.2: test/decode, destroy, sign and verify .test.ts, mocha + a
 * real Redis), ported to node:test and run against three implementations: the real jwt-redis on
 * a node-redis v4 client, and revocable/jwt-redis on a v4 and on a v5 client. The ten tests keep
 * their bodies: a random 10-character key per test (an HS256 secret far below 32 bytes), the same
 * payloads and options. Two things change, both to make the suite able to fail:
 * - the original leaves `expect(...).to.be.rejectedWith(...)` un-awaited in destroy 1 and verify
 *   3 and 4, so those assertions never ran; here they are awaited. Verify 4 signs a token whose
 *   `exp` is "now" in fractional seconds: jwt-redis writes no label for it and rejects it with
 *   TokenDestroyedError until the second turns, then with TokenExpiredError; either is accepted,
 *   for every implementation alike.
 * - each implementation gets a key prefix of its own (the shared Redis), where the original uses
 *   the default `jwt_label:`.
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, describe, test } from 'node:test'
import jsonwebtoken from 'jsonwebtoken'
import { createClient } from 'redis'
import { createClient as createClientV4 } from 'redis4'
import * as realModule from 'jwt-redis'
import * as oursModule from '../../src/adapters/jwt-redis/index.js'
import { REDIS_URL, deletePrefix } from '../support/redis.js'

interface JwtrLike {
  sign(payload: object, secret: string, options?: object): Promise<string>
  verify<T = Record<string, unknown>>(token: string, secret: string): Promise<T>
  destroy(jti: string): Promise<boolean>
  decode<T = Record<string, unknown>>(token: string): T
  close?(): Promise<void>
}

type ErrorClass = new (...args: never[]) => Error

interface Implementation {
  readonly name: string
  make(prefix: string): JwtrLike
  readonly TokenDestroyedError: ErrorClass
  readonly TokenExpiredError: ErrorClass
}

// jwt-redis is CommonJS with `exports.default` and named error exports.
const real = (realModule as unknown as { default: Record<string, unknown> }).default
const RealJWTR = real.default as new (client: unknown, options: { prefix: string }) => JwtrLike

/** test/util.ts of the suite. */
function generateId(length: number): string {
  let result = ''
  const characters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  for (let i = 0; i < length; i++) {
    result += characters.charAt(Math.floor(Math.random() * characters.length))
  }
  return result
}

let v4: ReturnType<typeof createClientV4>
let v5: ReturnType<typeof createClient>
const prefixes: string[] = []
const opened: JwtrLike[] = []

before(async () => {
  v4 = createClientV4({ url: REDIS_URL })
  await v4.connect()
  v5 = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  await v5.connect()
})
after(async () => {
  for (const jwtr of opened) await jwtr.close?.()
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix)
  await v4.quit()
  await v5.close()
})

const ours = (client: () => object) => (prefix: string) =>
  new oursModule.default(client(), { prefix, warn: () => {} }) as unknown as JwtrLike

const implementations: Implementation[] = [
  {
    name: 'jwt-redis 7',
    make: (prefix) => new RealJWTR(v4, { prefix }),
    TokenDestroyedError: real.TokenDestroyedError as ErrorClass,
    TokenExpiredError: real.TokenExpiredError as ErrorClass,
  },
  {
    name: 'revocable/jwt-redis on node-redis v5',
    make: ours(() => v5),
    TokenDestroyedError: oursModule.TokenDestroyedError,
    TokenExpiredError: oursModule.TokenExpiredError,
  },
  {
    name: 'revocable/jwt-redis on node-redis v4',
    make: ours(() => v4),
    TokenDestroyedError: oursModule.TokenDestroyedError,
    TokenExpiredError: oursModule.TokenExpiredError,
  },
]

for (const impl of implementations) {
  describe(`jwt-redis's suite on ${impl.name}`, () => {
    let jwtRedis: JwtrLike
    before(() => {
      const prefix = `test:jwtr-suite:${randomBytes(6).toString('hex')}:`
      prefixes.push(prefix)
      jwtRedis = impl.make(prefix)
      opened.push(jwtRedis)
    })

    const rejectsWith = async (promise: Promise<unknown>, ...classes: ErrorClass[]) => {
      await assert.rejects(promise, (error: Error) => {
        assert.ok(
          classes.some((c) => error instanceof c),
          `${error.name}: ${error.message} is not one of ${classes.map((c) => c.name).join(', ')}`,
        )
        return true
      })
    }

    test('decode 1: a signed token decodes to its payload with iat', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      const decoded = jwtRedis.decode<{ jti: string }>(await jwtRedis.sign(payload, key))
      assert.ok('iat' in decoded)
      assert.deepEqual(payload.jti, decoded.jti)
    })

    test('decode 2: a token signed with expiresIn 1d decodes with iat and exp', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      const token = await jwtRedis.sign(payload, key, { expiresIn: '1d' })
      const decoded = jwtRedis.decode<{ jti: string }>(token)
      assert.ok('iat' in decoded)
      assert.ok('exp' in decoded)
      assert.deepEqual(payload.jti, decoded.jti)
    })

    test('decode 3: a token signed with an exp in the past decodes with iat and exp', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10), exp: new Date().getSeconds() }
      const decoded = jwtRedis.decode<{ jti: string }>(await jwtRedis.sign(payload, key))
      assert.ok('iat' in decoded)
      assert.ok('exp' in decoded)
      assert.deepEqual(payload.jti, decoded.jti)
    })

    test('destroy 1: destroying a live token resolves to true and verify rejects it', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      const token = await jwtRedis.sign(payload, key)
      assert.equal(await jwtRedis.destroy(payload.jti), true)
      await rejectsWith(jwtRedis.verify(token, key), impl.TokenDestroyedError)
    })

    test('destroy 2: destroying a jti that was never issued resolves to false', async () => {
      assert.equal(await jwtRedis.destroy('jti'), false)
    })

    test('sign 1: sign resolves to a string', async () => {
      const key = generateId(10)
      assert.equal(typeof (await jwtRedis.sign({}, key)), 'string')
    })

    test('verify 1: a signed token verifies with its key', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      await jwtRedis.verify(await jwtRedis.sign(payload, key), key)
    })

    test('verify 2: a token signed with expiresIn 1d verifies to its payload', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      const token = await jwtRedis.sign(payload, key, { expiresIn: '1d' })
      const decoded = await jwtRedis.verify<{ jti: string }>(token, key)
      assert.ok('iat' in decoded)
      assert.ok('exp' in decoded)
      assert.deepEqual(payload.jti, decoded.jti)
    })

    test('verify 3: a token signed with expiresIn 0s is rejected with TokenExpiredError', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10) }
      const token = await jwtRedis.sign(payload, key, { expiresIn: '0s' })
      await rejectsWith(jwtRedis.verify(token, key), impl.TokenExpiredError)
    })

    test('verify 4: a token whose exp is now is rejected', async () => {
      const key = generateId(10)
      const payload = { jti: generateId(10), exp: Date.now() / 1000 }
      const token = await jwtRedis.sign(payload, key)
      await rejectsWith(
        jwtRedis.verify(token, key),
        impl.TokenExpiredError,
        impl.TokenDestroyedError,
      )
    })
  })
}

test("revocable/jwt-redis's TokenExpiredError is jsonwebtoken's, as jwt-redis's is", () => {
  // jwt-redis re-exports jsonwebtoken's classes, so apps catch them with `instanceof` on an
  // import from 'jsonwebtoken' (the suite's verify tests do).
  assert.equal(oursModule.TokenExpiredError, jsonwebtoken.TokenExpiredError)
  assert.equal(oursModule.JsonWebTokenError, jsonwebtoken.JsonWebTokenError)
  assert.equal(oursModule.NotBeforeError, jsonwebtoken.NotBeforeError)
})
