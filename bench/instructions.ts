/**
 * Instruction counts per verify, for callgrind (wall-clock timings are noise on a shared machine;
 * instruction counts are repeatable). Runs `warmup` verifies, then `n` more, of one case:
 *
 *   valgrind --tool=callgrind --callgrind-out-file=/dev/null node --import tsx \
 *     bench/instructions.ts <floor|replica> <HS256|ES256|EdDSA> <n>
 *
 * Run it twice with two values of n: (total(n2) - total(n1)) / (n2 - n1) is the cost of one
 * verify, start-up and warm-up cancelling out. The loop awaits only resolved promises, so no
 * timer or socket callback runs inside it.
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  timingSafeEqual,
  verify,
} from 'node:crypto'
import { exportJWK } from 'jose'
import { createRevocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'

const [caseName = 'replica', algArg = 'HS256', count = '1000'] = process.argv.slice(2)
const alg = algArg as 'HS256' | 'ES256' | 'EdDSA'
const n = Number(count)
const WARMUP = 20_000
const SECRET = 'a-benchmark-hmac-secret-of-32-bytes!!!'

const pair =
  alg === 'ES256'
    ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
    : generateKeyPairSync('ed25519')
const keys =
  alg === 'HS256'
    ? [{ secret: SECRET, kid: 'cg' }]
    : [{ jwk: await exportJWK(pair.privateKey), alg, kid: 'cg' }]
const store = await RedisStore.connect({
  url: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  prefix: `h9cg:${process.pid}:`,
  warn: () => {},
  commandTimeout: 30_000, // valgrind is slow to connect
})
const auth = await createRevocable({
  issuer: 'https://bench.example',
  audience: 'api',
  keys,
  store,
  tokenCacheSize: 0,
  // valgrind runs ~50x slower and the loop never yields to the feed: keep the replica trusted.
  maxStaleness: 3600,
})
const token = await auth.issue({ sub: 'user-1', scope: 'read write' })

let run: () => unknown
if (caseName === 'floor') {
  const [header, payload, signature] = token.split('.') as [string, string, string]
  const input = Buffer.from(`${header}.${payload}`)
  const sig = Buffer.from(signature, 'base64url')
  const parse = () => JSON.parse(Buffer.from(payload, 'base64url').toString())
  if (alg === 'HS256') {
    const key = createSecretKey(Buffer.from(SECRET))
    run = () => {
      if (!timingSafeEqual(createHmac('sha256', key).update(input).digest(), sig)) throw new Error()
      return parse()
    }
  } else {
    const options =
      alg === 'ES256' ? { key: pair.publicKey, dsaEncoding: 'ieee-p1363' as const } : pair.publicKey
    const digest = alg === 'ES256' ? 'sha256' : null
    run = () => {
      if (!verify(digest, input, options, sig)) throw new Error()
      return parse()
    }
  }
} else {
  run = () => auth.verify(token)
}

// The same shape as the bench: each call awaited.
for (let i = 0; i < WARMUP; i += 1) await run()
if (auth.stats().replicaLookups === 0 && caseName === 'replica') throw new Error('no replica')
for (let i = 0; i < n; i += 1) await run()
const stats = auth.stats()
if (caseName === 'replica' && stats.directLookups > 0) throw new Error('fell back to the store')
await auth.close()
await store.close()
