import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  timingSafeEqual,
  verify,
  type KeyObject,
} from 'node:crypto'
import { createVerifier } from 'fast-jwt'
import { exportJWK, importJWK, jwtVerify } from 'jose'
import jsonwebtoken from 'jsonwebtoken'
import jwtRedisModule from 'jwt-redis'
import { createClient } from 'redis'
import { createClient as createClient4 } from 'redis4'
import { createRevocable, type Revocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'
import { concurrent, sequential, type CaseResult } from './harness.js'

const ISSUER = 'https://bench.example'
const AUDIENCE = 'api'
const SECRET = 'a-benchmark-hmac-secret-of-32-bytes!!!'
type Alg = 'HS256' | 'ES256' | 'EdDSA'

interface Keys {
  signKey: KeyObject
  verifyKey: KeyObject
  /** What jsonwebtoken and fast-jwt take: the secret, or the public key as PEM. */
  peerKey: string
}

function keysFor(alg: Alg): Keys {
  if (alg === 'HS256') {
    const key = createSecretKey(Buffer.from(SECRET))
    return { signKey: key, verifyKey: key, peerKey: SECRET }
  }
  const pair =
    alg === 'ES256'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('ed25519')
  return {
    signKey: pair.privateKey,
    verifyKey: pair.publicKey,
    peerKey: pair.publicKey.export({ format: 'pem', type: 'spki' }) as string,
  }
}

/** The physical limit of an honest verify: the bare primitive on the signing input, one JSON.parse. */
function floorFor(alg: Alg, token: string, key: KeyObject): () => unknown {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const input = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  const parse = () => JSON.parse(Buffer.from(payload, 'base64url').toString())
  if (alg === 'HS256') {
    return () => {
      if (!timingSafeEqual(createHmac('sha256', key).update(input).digest(), sig))
        throw new Error('bad')
      return parse()
    }
  }
  const options = alg === 'ES256' ? { key, dsaEncoding: 'ieee-p1363' as const } : key
  const digest = alg === 'ES256' ? 'sha256' : null
  return () => {
    if (!verify(digest, input, options, sig)) throw new Error('bad')
    return parse()
  }
}

interface BenchCase {
  name: string
  fn: () => unknown
  /** Also run it with 64 calls in flight. */
  both: boolean
}

// The machine's speed drifts over seconds (its cores are shared), so the cases of one algorithm
// run in rounds, each case a slice of its time per round, and each reports its median round:
// the ratios compare cases measured side by side, not minutes apart.
const ROUNDS = 4
const MIN_ROUND_SECONDS = 0.5

async function runInRounds(alg: Alg, cases: BenchCase[], seconds: number): Promise<CaseResult[]> {
  const rounds = Math.max(1, Math.min(ROUNDS, Math.floor(seconds / MIN_ROUND_SECONDS)))
  const perRound = seconds / rounds
  const results = new Map<string, CaseResult[]>()
  const keep = (result: CaseResult) => {
    const key = `${result.name}|${result.concurrency}`
    results.set(key, [...(results.get(key) ?? []), result])
  }
  for (let round = 0; round < rounds; round += 1) {
    for (const { name, fn, both } of cases) {
      keep(await sequential(name, alg, fn, perRound))
      if (both) keep(await concurrent(name, alg, fn as () => Promise<unknown>, perRound))
    }
  }
  return [...results.values()].map(medianRound)
}

function medianRound(runs: CaseResult[]): CaseResult {
  const median = (pick: (r: CaseResult) => number) =>
    runs.map(pick).sort((a, b) => a - b)[Math.floor(runs.length / 2)] as number
  const first = runs[0] as CaseResult
  return {
    ...first,
    ops_per_s: median((r) => r.ops_per_s),
    p50_us: median((r) => r.p50_us),
    p99_us: median((r) => r.p99_us),
  }
}

export interface VerifyBenchOptions {
  seconds: number
  redisUrl: string
  prefix: string
}

export async function benchVerify(
  options: VerifyBenchOptions,
  report: (r: CaseResult) => void,
): Promise<void> {
  const { seconds, redisUrl, prefix } = options
  const redis = createClient({ url: redisUrl })
  await redis.connect()
  const closers: (() => Promise<unknown>)[] = [() => redis.close()]
  try {
    // jwt-redis: HS256 with its own tokens, on a redis@4 client as it requires.
    const client4 = createClient4({ url: redisUrl })
    await client4.connect()
    closers.push(() => client4.quit())
    // jwt-redis is CommonJS with an ES default export: the class sits on `.default`.
    const JWTR = (jwtRedisModule as unknown as { default: typeof jwtRedisModule }).default
    const jwtr = new (
      JWTR as unknown as new (client: unknown) => {
        sign(payload: object, secret: string, options: object): Promise<string>
        verify(token: string, secret: string): Promise<unknown>
      }
    )(client4)
    const jwtrToken = await jwtr.sign({ sub: 'user-1', scope: 'read write' }, SECRET, {
      expiresIn: 300,
    })
    const runJwtr = () => jwtr.verify(jwtrToken, SECRET)

    for (const alg of ['HS256', 'ES256', 'EdDSA'] as const) {
      const keys = keysFor(alg)
      const configured =
        alg === 'HS256'
          ? [{ secret: SECRET, kid: `bench-${alg}` }]
          : [{ jwk: await exportJWK(keys.signKey), alg, kid: `bench-${alg}` }]
      const store = await RedisStore.connect({
        url: redisUrl,
        prefix: `${prefix}${alg}:`,
        warn: () => {},
      })
      const make = (extra: object): Promise<Revocable> =>
        createRevocable({ issuer: ISSUER, audience: AUDIENCE, keys: configured, store, ...extra })
      const replicaAuth = await make({ tokenCacheSize: 0 })
      const cacheAuth = await make({})
      const directAuth = await make({ replica: false, tokenCacheSize: 0 })
      closers.push(
        () => replicaAuth.close(),
        () => cacheAuth.close(),
        () => directAuth.close(),
        () => store.close(),
      )

      const token = await replicaAuth.issue({ sub: 'user-1', scope: 'read write' })
      const joseKey =
        alg === 'HS256' ? keys.verifyKey : await importJWK(await exportJWK(keys.verifyKey), alg)
      const joseOptions = { issuer: ISSUER, audience: AUDIENCE, algorithms: [alg] }
      const fastJwt = createVerifier({
        key: keys.peerKey,
        algorithms: [alg],
        allowedIss: ISSUER,
        allowedAud: AUDIENCE,
      })
      const fastJwtCached = createVerifier({
        key: keys.peerKey,
        algorithms: [alg],
        allowedIss: ISSUER,
        allowedAud: AUDIENCE,
        cache: true,
      })
      const jti = (await replicaAuth.verify(token)).jti
      const cases: BenchCase[] = []
      const run = async (name: string, fn: () => unknown, both = false) => {
        cases.push({ name, fn, both })
      }

      const floor = floorFor(alg, token, keys.verifyKey)
      await run('floor', floor)
      // The same work behind a resolved promise, awaited as verify's answer is: the most that any
      // verify returning a promise can reach, whatever it does besides the crypto.
      if (alg === 'HS256') await run('floor, awaited', () => Promise.resolve(floor()))
      await run('jose.jwtVerify', () => jwtVerify(token, joseKey, joseOptions), true)
      if (alg !== 'EdDSA') {
        await run('jsonwebtoken.verify', () =>
          jsonwebtoken.verify(token, keys.peerKey, {
            algorithms: [alg],
            issuer: ISSUER,
            audience: AUDIENCE,
          }),
        )
      }
      await run('fast-jwt', () => fastJwt(token))
      await run(
        'jose + redis EXISTS',
        async () => {
          await jwtVerify(token, joseKey, joseOptions)
          if ((await redis.exists(`${prefix}peer:${jti}`)) > 0) throw new Error('revoked')
        },
        true,
      )
      await run('revocable replica', () => replicaAuth.verify(token), true)
      await run('revocable direct lookup', () => directAuth.verify(token), true)

      // The cache workload: 1000 tokens, each presented 20 times (round robin).
      const tokens = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => replicaAuth.issue({ sub: `user-${i}` })),
      )
      let next = 0
      const presentation = () => tokens[next++ % tokens.length] as string
      await run('fast-jwt cache (20x reuse)', () => fastJwtCached(presentation()))
      await run('revocable token cache (20x reuse)', () => cacheAuth.verify(presentation()), true)
      if (alg === 'HS256') await run('jwt-redis verify', runJwtr, true)

      for (const result of await runInRounds(alg, cases, seconds)) report(result)
      const fellBack = replicaAuth.stats().directLookups
      if (fellBack > 0) console.log(`  (replica case: ${fellBack} verifies fell back to the store)`)
    }
  } finally {
    for (const close of closers.reverse()) await close().catch(() => undefined)
  }
}
