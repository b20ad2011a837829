// Starts one replica on a Redis holding revocations (argv: url, prefix) and prints, as JSON,
// how long the snapshot took, the process's peak RSS during it, and the RSS once loaded (after
// a GC): a process of its own, so nothing but the load counts toward its peak.
import { FeedFollower } from '../src/revocation/feed.js'
import { Replica } from '../src/revocation/replica.js'
import { RedisStore } from '../src/stores/redis/index.js'

const [url, prefix] = process.argv.slice(2) as [string, string]
const gc = (globalThis as { gc?: () => void }).gc
const store = await RedisStore.connect({ url, prefix, commandTimeout: 5000, warn: () => {} })
const feed = await store.openChangeFeed()
const replica = new Replica()
const follower = new FeedFollower(feed, replica, {
  clock: Date.now,
  blockMs: 1000,
  sweepInterval: 600_000,
})
gc?.()
const rssBefore = process.memoryUsage().rss
const cpuBefore = process.cpuUsage()
const started = performance.now()
await follower.start()
const ms = performance.now() - started
const cpu = process.cpuUsage(cpuBefore)
const cpuMs = (cpu.user + cpu.system) / 1000
const peakRss = process.resourceUsage().maxRSS * 1024
gc?.()
const rssLoaded = process.memoryUsage().rss
const { jtis } = replica.size()
await follower.stop()
await store.close()
process.stdout.write(JSON.stringify({ ms, cpuMs, jtis, rssBefore, peakRss, rssLoaded }))
