// `npm run bench -- --service`: the service's GET /auth/me against a bare Fastify route that
// verifies the same ES256 tokens statelessly (the ceiling), driven over keep-alive HTTP from
// this process while both servers run in one child process. Rounds alternate service, bare,
// service, … so a burst of someone else's load on the machine lands on both; the ratio is taken
// within each round and the median reported.
import { fork } from 'node:child_process'
import { Agent, request } from 'node:http'

export interface ServiceBenchResult {
  readonly store: string
  readonly connections: number
  readonly rounds: number
  readonly service_req_per_s: number[]
  readonly bare_req_per_s: number[]
  /** Median of the per-round ratios service ÷ bare. */
  readonly service_vs_stateless: number
}

interface Ready {
  service: number
  bare: number
  tokens: string[]
}

function get(agent: Agent, port: number, token: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        path: '/auth/me',
        headers: { authorization: `Bearer ${token}` },
      },
      (res) => {
        res.resume()
        res.on('end', () => resolve(res.statusCode ?? 0))
      },
    )
    req.on('error', reject)
    req.end()
  })
}

/** Requests per second answered 200 by `port` with `connections` loops for `seconds`. */
async function load(port: number, tokens: string[], connections: number, seconds: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: connections })
  const end = Date.now() + seconds * 1000
  let ok = 0
  let next = 0
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end) {
        const token = tokens[next++ % tokens.length] as string
        if ((await get(agent, port, token)) !== 200)
          throw new Error(`GET /auth/me on ${port} failed`)
        ok += 1
      }
    }),
  )
  agent.destroy()
  return Math.round(ok / seconds)
}

export async function benchService(options: {
  store: string
  prefix: string
  seconds: number
  rounds: number
  connections: number
  tokens: number
}): Promise<ServiceBenchResult> {
  const child = fork(
    new URL('./service-child.ts', import.meta.url),
    [options.store, options.prefix, String(options.tokens)],
    { execArgv: ['--import', 'tsx'] },
  )
  try {
    const ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the service child did not start in 60 s')),
        60_000,
      )
      child.once('message', (message) => {
        clearTimeout(timer)
        resolve(message as Ready)
      })
      child.once('exit', (code) => reject(new Error(`the service child exited with ${code}`)))
    })
    // Warm-up: JIT, connections, the replica.
    await load(ready.service, ready.tokens, options.connections, Math.min(1, options.seconds))
    await load(ready.bare, ready.tokens, options.connections, Math.min(1, options.seconds))
    const service: number[] = []
    const bare: number[] = []
    for (let round = 0; round < options.rounds; round += 1) {
      service.push(await load(ready.service, ready.tokens, options.connections, options.seconds))
      bare.push(await load(ready.bare, ready.tokens, options.connections, options.seconds))
    }
    const ratios = service.map((value, i) => value / (bare[i] as number)).sort((a, b) => a - b)
    return {
      store: options.store.replace(/\/\/[^@/]*@/, '//'),
      connections: options.connections,
      rounds: options.rounds,
      service_req_per_s: service,
      bare_req_per_s: bare,
      service_vs_stateless: Number((ratios[Math.floor(ratios.length / 2)] as number).toFixed(3)),
    }
  } finally {
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
}
