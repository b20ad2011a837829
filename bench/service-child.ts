// Child of bench/service.ts: serves the service's GET /auth/me and, on a second port, a bare
// Fastify route verifying the same ES256 tokens statelessly (node:crypto on the service's
// public key: the ceiling). Both in this one process, measured one after the other.
import { createPublicKey, randomBytes, verify, type JsonWebKey } from 'node:crypto'
import Fastify from 'fastify'
import { buildApp } from '../src/server/app.js'
import { loadConfig } from '../src/service/config.js'
import { openRuntime } from '../src/service/runtime.js'

const [store, prefix, count] = process.argv.slice(2) as [string, string, string]
const config = loadConfig({
  STORE: store,
  REDIS_PREFIX: prefix,
  PORT: '0',
  ISSUER: 'http://bench.test',
  LOG_LEVEL: 'warn',
  PASSWORD_HASH: 'scrypt',
  LOGIN_RATE_LIMIT: '1000000',
  // Generated keys kept in Redis are sealed; a throwaway key for this run.
  KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
})
const runtime = await openRuntime(config)
// More distinct tokens than the token cache holds (10,000), sent round robin: the cache never
// hits, so this measures the full verify path of every request, as many users would.
const tokens: string[] = []
for (let i = 0; i < Number(count); i += 100) {
  const batch = Array.from({ length: Math.min(100, Number(count) - i) }, (_, j) =>
    runtime.auth.startSession({ sub: `bench-${i + j}` }).then((set) => set.accessToken),
  )
  tokens.push(...(await Promise.all(batch)))
}
const service = await buildApp({ config, runtime })
await service.listen({ port: 0, host: '127.0.0.1' })

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
process.send?.({ service: port(service), bare: port(bare), tokens })
process.on('message', async () => {
  await bare.close()
  await service.close()
  process.exit(0)
})
