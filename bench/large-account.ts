// `npm run bench -- --large-account`: one user with 100,000 sessions on a Redis of its own. A
// login of that user, a refresh of another user (running at the same time) and "log out
// everywhere" each keep Redis busy for a bounded time, however many sessions the user has: the
// scripts cost O(log n) plus a bounded slice. The longest command Redis ran comes from SLOWLOG
// (threshold 0, so every command is logged). The machine may be shared: figures are indicative.
import { performance } from 'node:perf_hooks'
import { createClient } from 'redis'
import { createRevocable } from '../src/index.js'
import type { SessionRecord } from '../src/store.js'
import { RedisStore } from '../src/stores/redis/index.js'
import { SCRIPTS } from '../src/stores/redis/scripts.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../test/support/auth.js'
import { seedSessions } from '../test/support/large-account.js'
import { RedisProcess } from '../test/support/redis-server.js'
import { distribution } from './harness.js'

export interface LargeAccountResult {
  sessions: number
  login_ms: ReturnType<typeof distribution>
  other_user_refresh_ms: ReturnType<typeof distribution>
  logout_everywhere_ms: ReturnType<typeof distribution>
  /** The longest single command Redis ran during the measured phase (µs), and what it was. */
  slowlog_longest_us: number
  slowlog_longest_command: string
  /** The longest EVALSHA/EVAL (one script run, all its inner calls included), µs. */
  slowlog_longest_script_us: number
  /** Each script's run times in ms (as SLOWLOG timed them), by name: p50, p99, longest, count. */
  slowlog_by_script_ms: Record<string, ReturnType<typeof distribution>>
}

interface SlowlogEntry {
  duration: number
  args: string[]
}

/** The run times (ms) of each script in `entries` (EVALSHA's first argument names it by sha). */
function byScript(entries: SlowlogEntry[]): Record<string, ReturnType<typeof distribution>> {
  const names = new Map(Object.entries(SCRIPTS).map(([name, script]) => [script.sha, name]))
  const runs = new Map<string, number[]>()
  for (const entry of entries) {
    const name = names.get(entry.args[1] ?? '') ?? 'eval (first run of a script)'
    runs.set(name, [...(runs.get(name) ?? []), entry.duration])
  }
  return Object.fromEntries(
    [...runs].map(([name, samples]) => [name, distribution(samples.map((us) => us / 1000))]),
  )
}

async function timed(step: () => Promise<unknown>): Promise<number> {
  const start = performance.now()
  await step()
  return performance.now() - start
}

export async function benchLargeAccount(options: {
  sessions: number
  logins: number
}): Promise<LargeAccountResult> {
  const server = await RedisProcess.start({ args: ['--save', '', '--appendonly', 'no'] })
  const redis = createClient({ url: server.url })
  redis.on('error', () => {})
  const prefix = 'rvk-bench-large:'
  let store: RedisStore | undefined
  try {
    await redis.connect()
    store = await RedisStore.connect({ url: server.url, prefix, warn: () => {} })
    const auth = await createRevocable({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: [{ secret: HMAC_SECRET, kid: 'bench' }],
      store,
    })
    try {
      const first = await auth.startSession({ sub: 'whale' })
      const template = (await store.getSession(first.session.id)) as SessionRecord
      await seedSessions(redis, prefix, template, options.sessions, 10)

      await redis.sendCommand(['CONFIG', 'SET', 'slowlog-log-slower-than', '0'])
      await redis.sendCommand(['CONFIG', 'SET', 'slowlog-max-len', '1000000'])
      await redis.sendCommand(['SLOWLOG', 'RESET'])

      // The victim logs in again and again while another user refreshes: the other user's
      // latency is what a stalled Redis would show first.
      const logins: number[] = []
      const refreshes: number[] = []
      let done = false
      const whale = (async () => {
        for (let i = 0; i < options.logins; i += 1) {
          logins.push(await timed(() => auth.startSession({ sub: 'whale' })))
        }
        done = true
      })()
      const minnow = (async () => {
        let token = (await auth.startSession({ sub: 'minnow' })).refreshToken
        while (!done) {
          refreshes.push(
            await timed(async () => {
              token = (await auth.refresh(token)).refreshToken
            }),
          )
        }
      })()
      await Promise.all([whale, minnow])

      // "Log out everywhere", then again after a login (each ends a bounded slice at once and
      // leaves the rest to the cutoff).
      const logouts: number[] = []
      for (let i = 0; i < 5; i += 1) {
        logouts.push(await timed(() => auth.revokeUser('whale')))
        await auth.startSession({ sub: 'whale' })
      }

      const log = (await redis.sendCommand(['SLOWLOG', 'GET', '1000000'])) as unknown[]
      const entries: SlowlogEntry[] = log.map((raw) => {
        const entry = raw as unknown[]
        return { duration: Number(entry[2]), args: (entry[3] as unknown[]).map(String) }
      })
      const measured = entries.filter((e) => !/^(slowlog|config)$/i.test(e.args[0] ?? ''))
      const longest = measured.reduce((a, b) => (b.duration > a.duration ? b : a), {
        duration: 0,
        args: ['none'],
      } as SlowlogEntry)
      const scripts = measured.filter((e) => /^eval/i.test(e.args[0] ?? ''))
      return {
        sessions: options.sessions,
        login_ms: distribution(logins),
        other_user_refresh_ms: distribution(refreshes),
        logout_everywhere_ms: distribution(logouts),
        slowlog_longest_us: longest.duration,
        slowlog_longest_command: (longest.args[0] ?? '').toLowerCase(),
        slowlog_longest_script_us: Math.max(0, ...scripts.map((e) => e.duration)),
        slowlog_by_script_ms: byScript(scripts),
      }
    } finally {
      await auth.close()
    }
  } finally {
    await store?.close()
    await redis.close().catch(() => undefined)
    await server.destroy()
  }
}
