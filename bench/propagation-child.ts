// Process A of the propagation benchmark: revokes each jti it is sent and reports when it
// started the call (in milliseconds on the machine's clock, comparable across processes).
import { createRevocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'

const [url, prefix] = process.argv.slice(2) as [string, string]
const store = await RedisStore.connect({ url, prefix, warn: () => {} })
const auth = await createRevocable({
  issuer: 'https://bench.example',
  audience: 'api',
  store,
  replica: false,
  allowPlaintextKeys: true,
})
const send = (message: unknown) => (process.send as (m: unknown) => void)(message)

process.on('message', async (message: { jti?: string; done?: boolean }) => {
  if (message.done) {
    await auth.close()
    await store.close()
    process.disconnect()
    return
  }
  const startedAt = performance.timeOrigin + performance.now()
  await auth.revokeToken(message.jti as string)
  send({ jti: message.jti, startedAt })
})
send({ ready: true })
