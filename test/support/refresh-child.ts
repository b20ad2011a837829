/**
 * A service instance for the kill -9 fault scenario: refreshes the sessions it is given (one
 * JSON array of refresh tokens on stdin) in a loop, one chain per session, and prints each new
 * refresh token as it hands it out (`{"i":<index>,"token":"…"}`). The parent kills it with
 * SIGKILL mid-storm: some rotations have committed in Redis and their answers are lost.
 * argv: <redis url> <prefix>
 */
import { createRevocable } from '../../src/index.js'
import { RedisStore } from '../../src/stores/redis/index.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from './auth.js'

/** How long one client retries a refresh while the store answers ERR_STORE_UNAVAILABLE. */
const RETRY_DEADLINE_MS = 60_000

const [url, prefix] = process.argv.slice(2) as [string, string]
const store = await RedisStore.connect({ url, prefix, warn: () => {} })
const auth = await createRevocable({
  issuer: ISSUER,
  audience: AUDIENCE,
  keys: [{ secret: HMAC_SECRET, kid: 'faults' }],
  store,
})
let input = ''
process.stdin.setEncoding('utf8')
for await (const chunk of process.stdin) {
  input += chunk as string
  if (input.includes('\n')) break
}
const tokens = JSON.parse(input) as string[]
process.stdout.write('ready\n')
await Promise.all(
  tokens.map(async (first, i) => {
    let token = first
    // A client gives up on a store that stays down this long (far beyond any fault a test makes).
    let unavailableSince: number | undefined
    for (;;) {
      try {
        token = (await auth.refresh(token)).refreshToken
        unavailableSince = undefined
      } catch (error) {
        // A slow store is a 503 to the client, who retries the same token; anything else ends
        // this client's chain (the parent sees its last token and retries it).
        if ((error as { code?: string }).code !== 'ERR_STORE_UNAVAILABLE') return
        unavailableSince ??= Date.now()
        if (Date.now() - unavailableSince > RETRY_DEADLINE_MS) return
        await new Promise((resolve) => setTimeout(resolve, 20))
        continue
      }
      process.stdout.write(`${JSON.stringify({ i, token })}\n`)
    }
  }),
)
