/**
 * One behaviour table, run through the real jwt-redis (on a node-redis v4 client, which it needs)
 * and through revocable/jwt-redis (on node-redis v5): every row's outcome must be the same on
 * both, except the rows listed in DIFFERENCES, where each side must give exactly the outcome
 * written there (so an intentional difference is pinned down, not just tolerated).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { after, before, test } from 'node:test'
import { createClient } from 'redis'
import { createClient as createClientV4 } from 'redis4'
import * as realModule from 'jwt-redis'
import JWTR from '../../src/adapters/jwt-redis/index.js'
import { REDIS_URL, deletePrefix } from '../support/redis.js'

const SECRET = 'a-jwt-redis-secret-of-32-bytes-or-more'
const OTHER_SECRET = 'another-secret-that-is-32-bytes-long!'
/** The seed NestJS app's secret: 6 bytes. */
const SHORT_SECRET = 'SECRET'

interface JwtrLike {
  sign(payload: object, secret: string, options?: object): Promise<string>
  verify(token: string, secret: string, options?: object): Promise<Record<string, unknown>>
  destroy(jti: string): Promise<unknown>
  decode(token: unknown, options?: object): unknown
}

// jwt-redis is CommonJS with `exports.default`.
const RealJWTR = ((realModule as { default: { default?: unknown } }).default.default ??
  realModule.default) as new (client: unknown, options?: { prefix: string }) => JwtrLike

/** What happened, comparable across implementations: the value, or the error's shape. */
async function outcome(run: () => unknown): Promise<unknown> {
  try {
    const value = await run()
    return { ok: value }
  } catch (error) {
    const e = error as Error & Record<string, unknown>
    const shape: Record<string, unknown> = { name: e.name, message: e.message }
    if (e.expiredAt instanceof Date) shape.expiredAt = e.expiredAt.toISOString()
    if (e.date instanceof Date) shape.date = e.date.toISOString()
    shape.keys = Object.keys(e).sort()
    return { error: shape }
  }
}

/** 'valid', or the error's name and message. */
const verdict = (promise: Promise<unknown>) =>
  promise.then(
    () => 'valid',
    (error: Error) => `${error.name}: ${error.message}`,
  )

const seg = (text: string) => Buffer.from(text).toString('base64url')
const HS256 = seg('{"alg":"HS256","typ":"JWT"}')
const NO_TYP = seg('{"alg":"HS256"}')

/** Inputs jsonwebtoken's decode and verify take apart before any signature check. */
const MALFORMED: Record<string, unknown> = {
  empty: '',
  garbage: 'garbage',
  twoParts: `${HS256}.${seg('{}')}`,
  fourParts: `${HS256}.${seg('{}')}.sig.extra`,
  notBase64Header: 'a.b.c',
  headerNotJson: `${seg('not json')}.${seg('{}')}.sig`,
  headerIsNumber: `${seg('1')}.${seg('{"a":1}')}.sig`,
  headerIsZero: `${seg('0')}.${seg('{"a":1}')}.sig`,
  emptyPayload: `${HS256}..sig`,
  payloadNotJsonNoTyp: `${NO_TYP}.${seg('hello')}.sig`,
  payloadArrayNoTyp: `${NO_TYP}.${seg('[1,2]')}.sig`,
  payloadNullNoTyp: `${NO_TYP}.${seg('null')}.sig`,
  payloadNumberNoTyp: `${NO_TYP}.${seg('42')}.sig`,
  noSignature: `${HS256}.${seg('{"jti":"x"}')}.`,
  invalidChars: `${HS256}.${seg('{}')}.sig!`,
  algNone: `${seg('{"alg":"none"}')}.${seg('{"jti":"x"}')}.sig`,
  notAString: 42,
}

type Row = (jwtr: JwtrLike, now: number) => Promise<unknown>

/** The behaviour table: each row is one case of the list. */
const TABLE: Record<string, Row> = {
  // Secrets
  'a 6-byte secret signs and verifies': async (jwtr) => {
    const token = await jwtr.sign({ jti: 'short', sub: 'u1' }, SHORT_SECRET)
    const payload = await jwtr.verify(token, SHORT_SECRET)
    return { jti: payload.jti, sub: payload.sub }
  },
  'a 6-byte secret does not verify a token of another secret': async (jwtr) => {
    const token = await jwtr.sign({}, SHORT_SECRET)
    return outcome(() => jwtr.verify(token, 'SECRET2'))
  },
  'a token of a 32-byte secret fails with another secret': async (jwtr) => {
    const token = await jwtr.sign({}, SECRET)
    return outcome(() => jwtr.verify(token, OTHER_SECRET))
  },
  'an empty secret is refused at sign': (jwtr) => outcome(() => jwtr.sign({}, '')),

  // Sign: jti and expiresIn
  'sign without jti nor expiresIn generates a jti and sets iat': async (jwtr) => {
    const decoded = jwtr.decode(await jwtr.sign({ sub: 'u1' }, SECRET)) as Record<string, unknown>
    return { jti: typeof decoded.jti, iat: typeof decoded.iat, sub: decoded.sub }
  },
  'sign with a jti keeps it': async (jwtr) =>
    (jwtr.decode(await jwtr.sign({ jti: 'given' }, SECRET)) as { jti: unknown }).jti,
  'sign with expiresIn 3600 sets exp one hour after iat': async (jwtr) => {
    const d = jwtr.decode(await jwtr.sign({}, SECRET, { expiresIn: 3600 })) as Record<
      string,
      number
    >
    return (d.exp as number) - (d.iat as number)
  },
  'sign with expiresIn "2h" sets exp two hours after iat': async (jwtr) => {
    const d = jwtr.decode(await jwtr.sign({ jti: 'j2h' }, SECRET, { expiresIn: '2h' })) as Record<
      string,
      number
    >
    return [(d.exp as number) - (d.iat as number), d.jti]
  },
  'sign with both exp and expiresIn is refused': (jwtr, now) =>
    outcome(() => jwtr.sign({ exp: now + 60 }, SECRET, { expiresIn: 60 })),
  'sign with a bad expiresIn is refused': (jwtr) =>
    outcome(() => jwtr.sign({}, SECRET, { expiresIn: 'soon' })),

  // Numeric sub (the seed app's uid)
  'a numeric sub survives sign, decode and verify as a number': async (jwtr) => {
    const token = await jwtr.sign({ sub: 42, uid: 42 }, SECRET)
    const decoded = jwtr.decode(token) as Record<string, unknown>
    const verified = await jwtr.verify(token, SECRET)
    return { decoded: decoded.sub, verified: verified.sub, uid: verified.uid }
  },

  // Destroy
  'destroy of a live token resolves to true, then verify rejects': async (jwtr) => {
    const token = await jwtr.sign({ jti: 'live' }, SECRET)
    return [await jwtr.destroy('live'), await outcome(() => jwtr.verify(token, SECRET))]
  },
  'destroy of a jti never issued resolves to false': (jwtr) => jwtr.destroy('never-issued'),
  'destroy of a destroyed jti resolves to false': async (jwtr) => {
    await jwtr.sign({ jti: 'twice' }, SECRET)
    return [await jwtr.destroy('twice'), await jwtr.destroy('twice')]
  },
  'destroy of an expired token resolves to false': async (jwtr, now) => {
    await jwtr.sign({ jti: 'expired', exp: now - 60 }, SECRET)
    return jwtr.destroy('expired')
  },
  'destroy leaves the other tokens valid': async (jwtr) => {
    const other = await jwtr.sign({ jti: 'kept' }, SECRET)
    await jwtr.sign({ jti: 'gone' }, SECRET)
    await jwtr.destroy('gone')
    return ((await jwtr.verify(other, SECRET)) as { jti: unknown }).jti
  },

  // Verify: time
  'verify of an expired token rejects with TokenExpiredError': async (jwtr, now) => {
    const token = await jwtr.sign({ jti: 'exp-60', exp: now - 60 }, SECRET)
    return outcome(() => jwtr.verify(token, SECRET))
  },
  'verify of a token signed with expiresIn 0 rejects with TokenExpiredError': async (jwtr) => {
    const token = await jwtr.sign({}, SECRET, { expiresIn: 0 })
    const { exp } = jwtr.decode(token) as { exp: number }
    const result = (await outcome(() => jwtr.verify(token, SECRET))) as {
      error: { expiredAt: string }
    }
    assert.equal(result.error.expiredAt, new Date(exp * 1000).toISOString())
    return { ...result, error: { ...result.error, expiredAt: 'exp' } }
  },
  'verify of a token before its nbf rejects with NotBeforeError': async (jwtr, now) => {
    const token = await jwtr.sign({ jti: 'nbf', nbf: now + 3600, exp: now + 7200 }, SECRET)
    return outcome(() => jwtr.verify(token, SECRET))
  },
  'verify of a token 2 s before its nbf rejects (no clock tolerance)': async (jwtr, now) => {
    const token = await jwtr.sign({ nbf: now + 2, exp: now + 7200 }, SECRET)
    return (await outcome(() => jwtr.verify(token, SECRET))) as unknown
  },

  // Verify: options
  'verify with a wrong audience option rejects': async (jwtr) => {
    const token = await jwtr.sign({ aud: ['jwt-redis', 'api'] }, SECRET)
    return outcome(() => jwtr.verify(token, SECRET, { audience: 'other' }))
  },
  'verify with a matching subject option resolves': async (jwtr) => {
    const token = await jwtr.sign({ sub: 'u9' }, SECRET)
    return ((await jwtr.verify(token, SECRET, { subject: 'u9' })) as { sub: unknown }).sub
  },
  'verify with a wrong jwtid option rejects': async (jwtr) => {
    const token = await jwtr.sign({ jti: 'mine' }, SECRET)
    return outcome(() => jwtr.verify(token, SECRET, { jwtid: 'theirs' }))
  },
  'verify with algorithms excluding HS256 rejects': async (jwtr) => {
    const token = await jwtr.sign({}, SECRET)
    return outcome(() => jwtr.verify(token, SECRET, { algorithms: ['RS256'] }))
  },

  // Verify and decode of malformed input
  'verify of malformed input rejects as jsonwebtoken does': async (jwtr) => {
    const results: Record<string, unknown> = {}
    for (const [name, input] of Object.entries(MALFORMED)) {
      results[name] = await outcome(() => jwtr.verify(input as string, SECRET))
    }
    return results
  },
  'decode of malformed input answers as jsonwebtoken does': async (jwtr) => {
    const results: Record<string, unknown> = {}
    for (const [name, input] of Object.entries(MALFORMED)) {
      results[name] = await outcome(() => jwtr.decode(input))
      results[`${name} (complete)`] = await outcome(() => jwtr.decode(input, { complete: true }))
      results[`${name} (json)`] = await outcome(() => jwtr.decode(input, { json: true }))
    }
    return results
  },

  // Rows where the two differ on purpose (see DIFFERENCES)
  'sign without expiresIn or exp: the lifetime of the token': async (jwtr) => {
    const d = jwtr.decode(await jwtr.sign({}, SECRET)) as Record<string, number>
    return d.exp === undefined ? 'for ever' : (d.exp as number) - (d.iat as number)
  },
  'a jti signed again after its destroy': async (jwtr) => {
    await jwtr.sign({ jti: 'reused' }, SECRET)
    await jwtr.destroy('reused')
    const again = await jwtr.sign({ jti: 'reused' }, SECRET)
    return verdict(jwtr.verify(again, SECRET))
  },
  'destroy given the token itself': async (jwtr) => {
    const token = await jwtr.sign({ jti: 'by-token' }, SECRET)
    const answer = await jwtr.destroy(token)
    return [answer, await verdict(jwtr.verify(token, SECRET))]
  },
  'a sub that is an object': (jwtr) => verdict(jwtr.sign({ sub: { id: 1 } }, SECRET)),
  'a tampered signature is an invalid signature': async (jwtr) => {
    const token = await jwtr.sign({}, SECRET)
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA')
    return outcome(() => jwtr.verify(tampered, SECRET))
  },
}

/**
 * The rows where revocable/jwt-redis differs on purpose, with each side's exact outcome. Every
 * other difference from jwt-redis is listed in docs/migration-from-jwt-redis.md.
 */
const DIFFERENCES: Record<string, { real: unknown; ours: unknown }> = {
  // Every token has an exp: maxExpiresIn (30 days) by default.
  'sign without expiresIn or exp: the lifetime of the token': {
    real: { ok: 'for ever' },
    ours: { ok: 2_592_000 },
  },
  // A destroyed jti stays destroyed (jwt-redis writes the label back).
  'a jti signed again after its destroy': {
    real: { ok: 'valid' },
    ours: { ok: 'TokenDestroyedError: ' },
  },
  // jwt-redis looks for a label named after the whole token; this layer destroys the token.
  'destroy given the token itself': {
    real: { ok: [false, 'valid'] },
    ours: { ok: [true, 'TokenDestroyedError: '] },
  },
  // revocable needs a string subject: a number is carried as its decimal string, nothing else.
  'a sub that is an object': {
    real: { ok: 'valid' },
    ours: { ok: 'TypeError: "sub" must be a non-empty string or a number' },
  },
}

const prefixes: string[] = []
let v4: ReturnType<typeof createClientV4>
let v5: ReturnType<typeof createClient>
let real: JwtrLike
let ours: JWTR
before(async () => {
  v4 = createClientV4({ url: REDIS_URL })
  await v4.connect()
  v5 = createClient({ url: REDIS_URL, disableOfflineQueue: true })
  await v5.connect()
  const realPrefix = `test:jwtr-real:${randomBytes(6).toString('hex')}:`
  const oursPrefix = `test:jwtr-ours:${randomBytes(6).toString('hex')}:`
  prefixes.push(realPrefix, oursPrefix)
  real = new RealJWTR(v4, { prefix: realPrefix })
  ours = new JWTR(v5, { prefix: oursPrefix, warn: () => {} })
})
after(async () => {
  await ours.close()
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix)
  await v4.quit()
  await v5.close()
})

for (const [name, row] of Object.entries(TABLE)) {
  const verb = DIFFERENCES[name] === undefined ? 'agree' : 'differ as documented'
  test(`jwt-redis and revocable/jwt-redis ${verb}: ${name}`, async () => {
    const now = Math.floor(Date.now() / 1000)
    const expected = await outcome(() => row(real, now))
    const actual = await outcome(() => row(ours as unknown as JwtrLike, now))
    const difference = DIFFERENCES[name]
    if (difference === undefined) {
      assert.deepEqual(actual, expected)
    } else {
      assert.deepEqual(expected, difference.real)
      assert.deepEqual(actual, difference.ours)
    }
  })
}
