// Child of bench/service.ts. On one runtime (one store, one ES256 key) it serves, each on its
// own port:
// - `service`: the service (buildApp), Argon2id unless told `scrypt`, hashing bounded as shipped;
// - `library`: the same library instance in a bare Fastify app through `revocable/fastify`, a
//   GET /auth/me answering the claims (what the service's route does, without the service);
// - `bare`: a bare Fastify route verifying the same ES256 tokens statelessly (node:crypto on the
//   service's public key: the ceiling);
// - `scrypt`: the service with scrypt password hashes (PASSWORD_HASH=scrypt);
// - `unbounded`: the service with hashing left unbounded (64 at once, any number waiting), the
//   service as it was before the hash queue.
// The parent asks for this process's CPU time around a fixed number of requests ('cpu-start',
// 'cpu-stop'), so CPU per request compares the servers without counting the load generator.
import { createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto'
import Fastify from 'fastify'
import revocable from '../src/adapters/fastify.js'
import { buildApp } from '../src/server/app.js'
import { loadConfig } from '../src/service/config.js'
import { openRuntime } from '../src/service/runtime.js'
import { HashQueue } from '../src/service/users/hash-queue.js'

const [store, prefix, count, passwordHash = 'argon2id'] = process.argv.slice(2) as [
  string,
  string,
  string,
  string?,
]
const config = loadConfig({
  STORE: store,
  REDIS_PREFIX: prefix,
  PORT: '0',
  ISSUER: 'http://bench.test',
  LOG_LEVEL: 'warn',
  PASSWORD_HASH: passwordHash,
  LOGIN_RATE_LIMIT: '1000000',
  // Generated keys kept in the store are sealed; a throwaway key for this run.
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
})
const runtime = await openRuntime(config)
// As many distinct tokens as the parent will send (it sends none twice): the cache never hits,
// so this measures the full verify path of every request, as many users would. Each has its own
// jti and sid; minted by `issue`, which writes nothing to the store.
const tokens: string[] = []
for (let i = 0; i < Number(count); i += 1)
  tokens.push(await runtime.auth.issue({ sub: `bench-${i}` }))
const service = await buildApp({ config, runtime })
await service.listen({ port: 0, host: '127.0.0.1' })
const scrypt = await buildApp({ config: { ...config, passwordHash: 'scrypt' }, runtime })
await scrypt.listen({ port: 0, host: '127.0.0.1' })
const unbounded = await buildApp(
  { config, runtime },
  { hashQueue: new HashQueue({ concurrency: 64, maxWaiting: 1_000_000 }) },
)
await unbounded.listen({ port: 0, host: '127.0.0.1' })

// The library in a bare Fastify app: the same instance, key and store as the service.
const library = Fastify({ logger: false })
await library.register(revocable, { auth: runtime.auth })
library.get('/auth/me', { preHandler: library.authenticate }, async (request, reply) => {
  reply.header('cache-control', 'no-store')
  return request.auth
})
await library.listen({ port: 0, host: '127.0.0.1' })

// The ceiling: the bare check with node:crypto (synchronous, as fast as ES256 gets in Node),
// the claims a stateless verifier must check, and nothing about revocation.
const [jwk] = (await runtime.auth.jwks()).keys as unknown as JsonWebKey[]
if (jwk === undefined) throw new Error('the service published no key')
const publicKey = createPublicKey({ key: jwk, format: 'jwk' })
function verifyStateless(token: string): Record<string, unknown> | undefined {
  const [header, payload, signature] = token.split('.')
  if (header === undefined || payload === undefined || signature === undefined) return undefined
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${payload}`),
    { key: publicKey, dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  )
  if (!valid) return undefined
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>
  const now = Date.now() / 1000
  if (claims.iss !== config.issuer || claims.aud !== config.audience) return undefined
  if (typeof claims.exp !== 'number' || claims.exp <= now) return undefined
  return claims
}
const bare = Fastify({ logger: false })
bare.get('/auth/me', async (request, reply) => {
  const claims = verifyStateless((request.headers.authorization ?? '').slice(7))
  if (claims === undefined) return reply.code(401).send({ error: 'invalid_token' })
  reply.header('cache-control', 'no-store')
  return claims
})
await bare.listen({ port: 0, host: '127.0.0.1' })

const port = (app: { server: { address(): unknown } }) =>
  (app.server.address() as { port: number }).port
process.send?.({
  service: port(service),
  library: port(library),
  bare: port(bare),
  scrypt: port(scrypt),
  unbounded: port(unbounded),
  tokens,
})
let cpuStart = process.cpuUsage()
let cacheStart = runtime.auth.stats().tokenCache
process.on('message', async (message: { cmd?: string } | string) => {
  const cmd = typeof message === 'string' ? message : message.cmd
  if (cmd === 'cpu-start') {
    cpuStart = process.cpuUsage()
    cacheStart = runtime.auth.stats().tokenCache
    process.send?.({ cmd: 'cpu-started' })
    return
  }
  if (cmd === 'cpu-stop') {
    const used = process.cpuUsage(cpuStart)
    const cache = runtime.auth.stats().tokenCache
    const hits = cache.hits - cacheStart.hits
    const lookups = hits + cache.misses - cacheStart.misses
    process.send?.({ cmd: 'cpu', us: used.user + used.system, cacheHitRate: hits / lookups })
    return
  }
  await Promise.all([bare.close(), library.close()])
  await Promise.allSettled([unbounded.close(), scrypt.close()])
  await service.close()
  process.exit(0)
})
