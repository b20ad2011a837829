// Two processes, one Redis: a session revoked on instance A is rejected by instance B.
// Run: npm run build && node examples/two-instances/index.js   (needs Redis; REDIS_URL to change it)
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { createClient } from 'redis'

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const prefix = `rvk-demo-${randomBytes(4).toString('hex')}:`
// Both instances seal the keys they keep in Redis under one key-encryption key.
const keyEncryptionKey = process.env.KEY_ENCRYPTION_KEY ?? randomBytes(32).toString('base64url')
const server = fileURLToPath(new URL('./server.js', import.meta.url))

/** Starts server.js as a child process and resolves once it listens. */
function startInstance(name) {
  const child = spawn(process.execPath, [server], {
    env: {
      ...process.env,
      INSTANCE: name,
      PORT: '0',
      REDIS_URL: redisUrl,
      REDIS_PREFIX: prefix,
      KEY_ENCRYPTION_KEY: keyEncryptionKey,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`instance ${name} exited with ${code}`)))
    child.stdout.setEncoding('utf8')
    child.stdout.on('data', (line) => {
      const url = /listening on (\S+)/.exec(line)?.[1]
      if (url !== undefined) resolve({ name, url, child })
    })
  })
}

async function call(instance, method, path, token) {
  const response = await fetch(instance.url + path, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token && { authorization: `Bearer ${token}` }),
    },
    body: method === 'POST' ? JSON.stringify({ username: 'alice' }) : undefined,
  })
  console.log(`${method} ${path} on ${instance.name} → ${response.status}`)
  return { status: response.status, body: await response.json() }
}

const instances = []
let ok = false
try {
  // One after the other: A generates the signing key in Redis, B loads it.
  instances.push(await startInstance('A'))
  instances.push(await startInstance('B'))
  const [a, b] = instances
  const { body } = await call(a, 'POST', '/login')
  const token = body.access_token
  await call(b, 'GET', '/me', token) // 200: B trusts A's token
  await call(a, 'POST', '/logout', token) // A revokes the session
  // B's replica follows Redis's change feed; it is at most maxStaleness (1 s) behind.
  const deadline = Date.now() + 5000
  let status = 200
  while (status === 200 && Date.now() < deadline) {
    status = (await call(b, 'GET', '/me', token)).status
    if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  ok = status === 401
  console.log(ok ? 'B rejects the token revoked on A' : 'B still accepts the token')
} finally {
  for (const { child } of instances) child.kill('SIGTERM')
  const redis = createClient({ url: redisUrl })
  await redis.connect()
  for await (const keys of redis.scanIterator({ MATCH: `${prefix}*` }))
    if (keys.length) await redis.del(keys)
  await redis.close()
}
process.exit(ok ? 0 : 1)
