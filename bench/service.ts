// The service section of `npm run bench` (alone: `npm run bench -- --service`). The servers run
// in child processes (bench/service-child.ts: the service, the same library in a bare Fastify
// app, a stateless route, on Redis and on SQLite), driven over keep-alive HTTP from this
// process. Rounds alternate the sides of each ratio so a burst of someone else's load on the
// machine lands on both; each ratio is taken within a round and the median reported. CPU per
// request is the child's own CPU time (process.cpuUsage) over a fixed number of requests, so
// the load generator's CPU does not count.
import { fork } from 'node:child_process'
import { Agent, request } from 'node:http'

interface Ready {
  service: number
  library: number
  bare: number
  scrypt: number
  unbounded: number
  tokens: string[]
}

/** One service child (bench/service-child.ts): its ports and its CPU-time probe. */
interface Child {
  readonly ready: Ready
  /**
   * This child's CPU time (user + system, µs) while `work` runs, and the share of its token
   * cache lookups that hit meanwhile (NaN when there were none).
   */
  cpuDuring(work: () => Promise<unknown>): Promise<{ us: number; cacheHitRate: number }>
  stop(): Promise<void>
}

async function startChild(
  store: string,
  prefix: string,
  tokens: number,
  passwordHash = 'argon2id',
): Promise<Child> {
  const child = fork(
    new URL('./service-child.ts', import.meta.url),
    [store, prefix, String(tokens), passwordHash],
    { execArgv: ['--import', 'tsx'] },
  )
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.send('stop')
    await new Promise((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        resolve(undefined)
      }, 10_000)
      child.once('exit', () => {
        clearTimeout(timer)
        resolve(undefined)
      })
    })
  }
  const reply = (cmd: string) =>
    new Promise<{ cmd: string; us?: number; cacheHitRate?: number }>((resolve) => {
      const listen = (message: { cmd?: string; us?: number; cacheHitRate?: number }) => {
        if (message.cmd !== cmd) return
        child.off('message', listen)
        resolve(message as { cmd: string; us?: number; cacheHitRate?: number })
      }
      child.on('message', listen)
    })
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the service child did not start in 120 s')),
        120_000,
      )
      child.once('message', (message) => {
        clearTimeout(timer)
        resolve(message as Ready)
      })
      child.once('exit', (code) => reject(new Error(`the service child exited with ${code}`)))
    })
    return {
      ready,
      async cpuDuring(work) {
        const started = reply('cpu-started')
        child.send({ cmd: 'cpu-start' })
        await started
        await work()
        const used = reply('cpu')
        child.send({ cmd: 'cpu-stop' })
        const { us, cacheHitRate } = await used
        return { us: us as number, cacheHitRate: cacheHitRate as number }
      },
      stop,
    }
  } catch (error) {
    await stop()
    throw error
  }
}

/**
 * Where the next request takes its token: one cursor per token list for the whole run, so no
 * phase starts again at the first token. With as many tokens as requests, none repeats.
 */
const cursors = new WeakMap<string[], number>()
function nextToken(tokens: string[]): string {
  const at = cursors.get(tokens) ?? 0
  cursors.set(tokens, at + 1)
  return tokens[at % tokens.length] as string
}

function get(agent: Agent, port: number, token: string): Promise<number> {
  return send(agent, port, 'GET', '/auth/me', { authorization: `Bearer ${token}` })
}

function send(
  agent: Agent,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

/** `requests` GET /auth/me answered 200 by `port`, `connections` at a time: wall time (ms). */
async function drive(port: number, tokens: string[], connections: number, requests: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  let sent = 0
  const started = performance.now()
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (sent < requests) {
        sent += 1
        if ((await get(agent, port, nextToken(tokens))) !== 200)
          throw new Error(`GET /auth/me on ${port} failed`)
      }
    }),
  )
  const ms = performance.now() - started
  agent.destroy()
  return ms
}

/** Requests per second and the child's CPU µs per request over a fixed number of requests. */
async function measure(
  child: Child,
  port: number,
  connections: number,
  requests: number,
): Promise<{ req_per_s: number; cpu_us_per_request: number; cache_hit_rate: number }> {
  let ms = 0
  const cpu = await child.cpuDuring(async () => {
    ms = await drive(port, child.ready.tokens, connections, requests)
  })
  return {
    req_per_s: Math.round((requests * 1000) / ms),
    cpu_us_per_request: Number((cpu.us / requests).toFixed(1)),
    cache_hit_rate: cpu.cacheHitRate,
  }
}

/** The median of a list (the mean of the middle two for an even count). */
function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

const round3 = (value: number) => Number(value.toFixed(3))

const PASSWORD = 'a bench password, long enough'

/** Registers `count` users named `<name>-<i>` on `port`, a few at a time. */
async function register(port: number, name: string, count: number): Promise<string[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 4 })
  const names = Array.from({ length: count }, (_, i) => `${name}-${i}`)
  for (let i = 0; i < names.length; i += 4) {
    await Promise.all(
      names.slice(i, i + 4).map(async (username) => {
        const body = JSON.stringify({ username, password: PASSWORD })
        const status = await send(agent, port, 'POST', '/auth/register', {}, body)
        if (status !== 201) throw new Error(`POST /auth/register on ${port} answered ${status}`)
      }),
    )
  }
  agent.destroy()
  return names
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Logins on `port`, `inFlight` at a time over `users` (one login per username runs at once in
 * the service, so each loop has its own users), until `until` (ms since the epoch). Counts the
 * 200s; a 503 (the hash queue full) is counted apart, and its loop pauses 5 ms so that the
 * flood does not become a busy loop of this process on the shared cores.
 */
async function loginLoops(port: number, users: string[], inFlight: number, until: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight })
  let ok = 0
  let refused = 0
  await Promise.all(
    Array.from({ length: inFlight }, async (_, loop) => {
      for (let i = loop; Date.now() < until; i += inFlight) {
        const username = users[i % users.length] as string
        const body = JSON.stringify({ username, password: PASSWORD })
        const status = await send(agent, port, 'POST', '/auth/login', {}, body)
        if (status === 200) ok += 1
        else if (status === 503) {
          refused += 1
          await sleep(5)
        } else throw new Error(`POST /auth/login on ${port} answered ${status}`)
      }
    }),
  )
  agent.destroy()
  return { ok, refused }
}

/** Latencies (ms) of GET /auth/me, `connections` at a time, until `until`. */
async function meLatencies(port: number, tokens: string[], connections: number, until: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const samples: number[] = []
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < until) {
        const started = performance.now()
        const status = await get(agent, port, nextToken(tokens))
        if (status !== 200) throw new Error(`GET /auth/me on ${port} answered ${status}`)
        samples.push(performance.now() - started)
      }
    }),
  )
  agent.destroy()
  return samples
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b)
  return round3(sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? NaN)
}

export interface ServiceFigures {
  readonly connections: number
  readonly rounds: number
  /** Child CPU µs per GET /auth/me, per round: the service and the library in bare Fastify. */
  readonly cpu_us_per_request: { service: number[]; library: number[] }
  /** Median of the per-round ratios service ÷ library (CPU per request; lower is better). */
  readonly service_cpu_vs_library: number
  /** The highest token-cache hit rate of a measured phase: near 0 when every verify is full. */
  readonly token_cache_hit_rate_max: number
  readonly req_per_s: { service: number[]; bare: number[]; sqlite: number[] }
  /** Median of the per-round ratios service ÷ stateless Fastify route (req/s). */
  readonly service_vs_stateless: number
  readonly sqlite_cpu_us_per_request: number[]
  /**
   * Median of the per-round ratios of speed, service on SQLite ÷ service on Redis, taken as
   * CPU per request on Redis ÷ on SQLite (what each costs its process: the rate at saturation).
   */
  readonly sqlite_vs_redis: number
  /** The same from requests per second (moved more by the load generator and the machine). */
  readonly sqlite_vs_redis_req_per_s: number
  readonly logins_per_s: { argon2id: number[]; scrypt: number[]; in_flight: number }
  /** Median of the per-round ratios Argon2id ÷ scrypt (successful logins per second). */
  readonly argon2id_vs_scrypt: number
  /**
   * GET /auth/me p99 (ms) at 4 connections while `flood_in_flight` logins run: with the hash
   * queue as shipped, and with hashing unbounded (the service before the queue).
   */
  readonly login_flood: {
    flood_in_flight: number
    me_p99_ms: { queued: number[]; unbounded: number[] }
    me_p99_idle_ms: number
    logins_refused_503: number
    queued_p99_ms: number
    unbounded_p99_ms: number
  }
}

/**
 * The service figures of issue 20, each within rounds that alternate the two sides so a burst
 * of someone else's load lands on both: CPU per request of the service against the same library
 * instance in a bare Fastify app, the service on SQLite against the service on Redis,
 * logins per second with Argon2id against scrypt, and the p99 of GET /auth/me during a login
 * flood with the hash queue and without it.
 */
export async function benchServiceFigures(options: {
  redisUrl: string
  prefix: string
  quick: boolean
  sqlitePath: string
}): Promise<ServiceFigures> {
  const { quick } = options
  const connections = 16
  const rounds = quick ? 2 : 5
  const requests = quick ? 1000 : 5000
  const warmUpPasses = 2
  // A token per request, none sent twice: the token cache never hits (round robin over a few
  // more tokens than it holds would: once nothing hits, it admits one token in 64 and keeps the
  // rest, so most of a repeating list stays cached). The Redis child answers three routes per
  // pass; the SQLite child one per round, but as many requests as the Redis child in warm-up
  // (the verify path of each must be as warm: a cold one costs double for thousands of calls).
  const passes = warmUpPasses + rounds
  // Both start at once (minting their tokens takes each a core for a moment); if one fails, the
  // other is stopped.
  const [redisStart, sqliteStart] = await Promise.allSettled([
    startChild(options.redisUrl, options.prefix, passes * 3 * requests),
    startChild(
      `sqlite:${options.sqlitePath}`,
      options.prefix,
      (3 * warmUpPasses + rounds) * requests,
    ),
  ])
  if (redisStart.status === 'rejected' || sqliteStart.status === 'rejected') {
    for (const started of [redisStart, sqliteStart]) {
      if (started.status === 'fulfilled') await started.value.stop()
    }
    throw redisStart.status === 'rejected'
      ? redisStart.reason
      : (sqliteStart as PromiseRejectedResult).reason
  }
  const redis = redisStart.value
  const sqlite = sqliteStart.value
  try {
    const { ready } = redis
    // Warm-up (JIT, connections, the replica), in the order of a round.
    for (let pass = 0; pass < warmUpPasses; pass += 1) {
      for (const port of [ready.service, ready.library, ready.bare]) {
        await measure(redis, port, connections, requests)
      }
      await measure(sqlite, sqlite.ready.service, connections, 3 * requests)
    }

    const service: number[] = []
    const library: number[] = []
    const serviceRate: number[] = []
    const bareRate: number[] = []
    const sqliteRate: number[] = []
    const sqliteCpu: number[] = []
    const hitRates: number[] = []
    for (let round = 0; round < rounds; round += 1) {
      // The two services side by side, then the library and the stateless route.
      const s = await measure(redis, ready.service, connections, requests)
      const q = await measure(sqlite, sqlite.ready.service, connections, requests)
      const l = await measure(redis, ready.library, connections, requests)
      const b = await measure(redis, ready.bare, connections, requests)
      service.push(s.cpu_us_per_request)
      library.push(l.cpu_us_per_request)
      serviceRate.push(s.req_per_s)
      bareRate.push(b.req_per_s)
      sqliteRate.push(q.req_per_s)
      sqliteCpu.push(q.cpu_us_per_request)
      hitRates.push(s.cache_hit_rate, l.cache_hit_rate, q.cache_hit_rate)
    }
    const perRound = (a: number[], b: number[]) =>
      round3(median(a.map((value, i) => value / (b[i] as number))))

    // Logins: Argon2id (the service) against scrypt, each on its own users.
    const inFlight = 4
    // The service runs one login per username at a time: the flood below needs a user per login.
    const floodInFlight = 32
    const argonUsers = await register(ready.service, 'argon', floodInFlight)
    const scryptUsers = await register(ready.scrypt, 'scrypt', 2 * inFlight)
    const loginSeconds = quick ? 1 : 3
    const argon: number[] = []
    const scrypt: number[] = []
    for (let round = 0; round < rounds; round += 1) {
      for (const [port, users, out] of [
        [ready.service, argonUsers, argon],
        [ready.scrypt, scryptUsers, scrypt],
      ] as const) {
        const { ok } = await loginLoops(port, users, inFlight, Date.now() + loginSeconds * 1000)
        out.push(Number((ok / loginSeconds).toFixed(1)))
      }
    }

    // GET /auth/me during a login flood, with the queue and unbounded.
    const floodSeconds = quick ? 1 : 4
    const idle = p99(await meLatencies(ready.service, ready.tokens, 4, Date.now() + 1000))
    const queued: number[] = []
    const unbounded: number[] = []
    let refused = 0
    for (let round = 0; round < rounds; round += 1) {
      for (const [port, out] of [
        [ready.service, queued],
        [ready.unbounded, unbounded],
      ] as const) {
        const until = Date.now() + floodSeconds * 1000
        const [flood, samples] = await Promise.all([
          loginLoops(port, argonUsers, floodInFlight, until),
          // The flood first fills the queue; the probe starts once it has.
          sleep(200).then(() => meLatencies(port, ready.tokens, 4, until)),
        ])
        if (port === ready.service) refused += flood.refused
        out.push(p99(samples))
      }
    }
    return {
      connections,
      rounds,
      cpu_us_per_request: { service, library },
      token_cache_hit_rate_max: round3(Math.max(...hitRates)),
      service_cpu_vs_library: perRound(service, library),
      req_per_s: { service: serviceRate, bare: bareRate, sqlite: sqliteRate },
      service_vs_stateless: perRound(serviceRate, bareRate),
      sqlite_cpu_us_per_request: sqliteCpu,
      sqlite_vs_redis: perRound(service, sqliteCpu),
      sqlite_vs_redis_req_per_s: perRound(sqliteRate, serviceRate),
      logins_per_s: { argon2id: argon, scrypt, in_flight: inFlight },
      argon2id_vs_scrypt: perRound(argon, scrypt),
      login_flood: {
        flood_in_flight: floodInFlight,
        me_p99_ms: { queued, unbounded },
        me_p99_idle_ms: idle,
        logins_refused_503: refused,
        queued_p99_ms: round3(median(queued)),
        unbounded_p99_ms: round3(median(unbounded)),
      },
    }
  } finally {
    await Promise.all([redis.stop(), sqlite.stop()])
  }
}
