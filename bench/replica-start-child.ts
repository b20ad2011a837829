// Child of bench/replica-start.ts, run with --expose-gc: how long `createRevocable` takes to load
// the replica from a Redis prefix holding many revocations, and this process's peak RSS while it
// does, next to its RSS before and once the load has settled (after a full GC).
import { createRevocable } from '../src/index.js'
import { RedisStore } from '../src/stores/redis/index.js'

const [url, prefix] = process.argv.slice(2) as [string, string]
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')
const mb = (bytes: number) => Number((bytes / 2 ** 20).toFixed(1))

const store = await RedisStore.connect({ url, prefix, warn: () => {} })
gc()
const rssBefore = process.memoryUsage().rss
const started = performance.now()
const auth = await createRevocable({
  issuer: 'https://bench.example',
  audience: 'api',
  store,
  allowPlaintextKeys: true,
})
const seconds = (performance.now() - started) / 1000
// maxRSS is in KiB: the process's high-water mark, the load included.
const peak = process.resourceUsage().maxRSS * 1024
gc()
gc()
const settled = process.memoryUsage().rss
const entries = auth.stats().replica?.entries
await auth.close()
await store.close()
process.stdout.write(
  JSON.stringify({
    seconds: Number(seconds.toFixed(3)),
    peak_rss_mb: mb(peak),
    rss_before_mb: mb(rssBefore),
    rss_settled_mb: mb(settled),
    replica_jtis: entries?.jtis ?? 0,
  }),
)
