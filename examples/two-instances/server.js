// One instance of an API that shares its revocation state with every other instance through Redis.
// Started twice by ./index.js; on its own: REDIS_URL=… PORT=3001 node examples/two-instances/server.js
import { pathToFileURL } from 'node:url'
import express from 'express'
import { createRevocable } from 'revocable'
import { authenticate } from 'revocable/express'
import { RedisStore } from 'revocable/redis'

/** Starts one instance on `port`, on the Redis at `redisUrl` under `prefix`. */
export async function start({ port = 3000, name = 'A', redisUrl, prefix = 'rvk-demo:' } = {}) {
  const store = await RedisStore.connect({ url: redisUrl ?? 'redis://127.0.0.1:6379', prefix })
  // No key configured: the first instance generates one and keeps it in Redis, sealed under the
  // key-encryption key every instance shares (openssl rand -base64 32); the others load it.
  const auth = await createRevocable({
    issuer: 'http://localhost',
    audience: 'two-instances',
    store,
    keyEncryptionKey: process.env.KEY_ENCRYPTION_KEY,
  })
  const app = express()
  app.use(express.json())

  app.post('/login', async (req, res) => {
    const { accessToken } = await auth.startSession({ sub: String(req.body?.username ?? 'alice') })
    res.json({ access_token: accessToken, instance: name })
  })
  app.get('/me', authenticate(auth), (req, res) => {
    res.json({ sub: req.auth.sub, instance: name })
  })
  app.post('/logout', authenticate(auth), async (req, res) => {
    await auth.revokeSession(req.auth.sid)
    res.json({ revoked: req.auth.sid, instance: name })
  })

  const server = app.listen(port, '127.0.0.1')
  await new Promise((resolve, reject) => server.once('listening', resolve).once('error', reject))
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    async close() {
      await new Promise((resolve) => server.close(resolve))
      await auth.close()
      await store.close()
    },
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const name = process.env.INSTANCE ?? 'A'
  const instance = await start({
    port: Number(process.env.PORT ?? 3000),
    name,
    redisUrl: process.env.REDIS_URL,
    prefix: process.env.REDIS_PREFIX,
  })
  console.log(`listening on ${instance.url} (instance ${name})`)
  process.once('SIGTERM', () => instance.close().then(() => process.exit(0)))
}
