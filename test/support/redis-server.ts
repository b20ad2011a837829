/**
 * Real `redis-server` processes for tests that need a Redis of their own: one they may stop, kill,
 * restart, flush or reconfigure without touching the machine's shared server on 6379. Each runs
 * on a free loopback port in a fresh temp dir, is stopped by its PID, and is killed when the test
 * process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, createConnection } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** Durable by default: every write is fsynced to the AOF before Redis answers. */
export const DURABLE_ARGS: readonly string[] = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'always',
  '--save',
  '',
]

export interface RedisProcessOptions {
  /** Extra `redis-server` arguments, after the port, bind and dir. Default `DURABLE_ARGS`. */
  args?: readonly string[]
  /** How long to wait for the first PING to answer (ms). Default 10 000. */
  startTimeout?: number
  /** Prefix of the temp dir's name. */
  name?: string
  /**
   * Where to look for a port (default `freePort`; `clusterNodePort` for a cluster node, whose
   * bus listens 10 000 above). A port taken between the pick and the server's bind is picked again.
   */
  pickPort?: () => Promise<number>
}

/** How many ports a start tries before it gives up on a port that others keep taking. */
const PORT_ATTEMPTS = 5

/** What redis-server prints when it cannot listen on the port it was given (or its bus port). */
const PORT_REFUSED =
  /Address already in use|port number too high|Could not create (server TCP listening|Cluster bus)/i

/** PIDs of every server still running, killed on exit so no test leaves one behind. */
const running = new Set<number>()
process.once('exit', () => {
  for (const pid of running) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
})

/** A loopback port nobody listens on right now (the kernel picks it; we let it go at once). */
export function freePort(port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => {
        if (address === null || typeof address === 'string') reject(new Error('no port'))
        else resolve(address.port)
      })
    })
  })
}

/** Redis refuses a cluster node whose bus port (its port + 10 000) would pass 65 535. */
export const CLUSTER_BUS_OFFSET = 10_000
const HIGHEST_CLUSTER_PORT = 65_535 - CLUSTER_BUS_OFFSET

/**
 * A free port for a cluster node: at most 55 535, with its bus port free too. The kernel may hand
 * out any port of its ephemeral range (up to 60 999 on Linux), so a plain free port fails a
 * cluster node about one start in five where the range is used evenly.
 */
export async function clusterNodePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = await freePort()
    if (port > HIGHEST_CLUSTER_PORT) continue
    const busFree = await freePort(port + CLUSTER_BUS_OFFSET).then(
      () => true,
      () => false,
    )
    if (busFree) return port
  }
  throw new Error('no free port with a free cluster bus port above it')
}

/**
 * Sends one command over a bare socket and resolves to the first reply line (`+PONG`,
 * `-LOADING …`) or a bulk reply's body. Enough for PING and CLUSTER INFO, without a client.
 */
export function rawCommand(
  port: number,
  args: readonly string[],
  timeoutMs = 1000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port })
    let data = ''
    const done = (error: Error | undefined, value = '') => {
      clearTimeout(timer)
      socket.destroy()
      if (error === undefined) resolve(value)
      else reject(error)
    }
    const timer = setTimeout(() => done(new Error(`no reply from port ${port}`)), timeoutMs)
    socket.setEncoding('utf8')
    socket.on('error', (error) => done(error))
    socket.on('connect', () => {
      socket.write(
        `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join('')}`,
      )
    })
    socket.on('data', (chunk: string) => {
      data += chunk
      const end = data.indexOf('\r\n')
      if (end === -1) return
      if (data[0] !== '$') return done(undefined, data.slice(0, end))
      const length = Number(data.slice(1, end))
      if (length < 0) return done(undefined, '')
      const body = data.slice(end + 2)
      if (Buffer.byteLength(body) >= length + 2) done(undefined, body.slice(0, -2))
    })
  })
}

async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms))
}

/** Waits until `probe` resolves true, polling; rejects with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  probe: () => Promise<boolean>,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return
    await sleep(20)
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** Polls `probe` until it returns true or `ms` pass; resolves to whether it did. */
export async function eventually(
  probe: () => Promise<boolean> | boolean,
  ms = 5000,
): Promise<boolean> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await probe()) return true
    await sleep(5)
  }
  return false
}

/** One `redis-server` child process with its own port and data dir. */
export class RedisProcess {
  #port: number
  readonly dir: string
  readonly #args: readonly string[]
  readonly #startTimeout: number
  #child: ChildProcess | undefined
  #exited: Promise<void> = Promise.resolve()
  #log = ''
  #paused = false

  private constructor(port: number, dir: string, options: RedisProcessOptions) {
    this.#port = port
    this.dir = dir
    this.#args = options.args ?? DURABLE_ARGS
    this.#startTimeout = options.startTimeout ?? 10_000
  }

  /**
   * Starts a server on a free port in a new temp dir and waits until it answers PING. The port is
   * free when picked but another process may bind it before redis-server does (CI runs many
   * servers and clients at once): then the start moves to another port, up to 5 times.
   */
  static async start(options: RedisProcessOptions = {}): Promise<RedisProcess> {
    const pickPort = options.pickPort ?? (() => freePort())
    const dir = await mkdtemp(join(tmpdir(), `${options.name ?? 'revocable-redis'}-`))
    const server = new RedisProcess(await pickPort(), dir, options)
    for (let attempt = 1; ; attempt += 1) {
      try {
        await server.#spawn()
        return server
      } catch (error) {
        await server.stop()
        if (attempt < PORT_ATTEMPTS && PORT_REFUSED.test(server.#log)) {
          server.#port = await pickPort()
          server.#log = ''
          continue
        }
        await server.destroy()
        throw error
      }
    }
  }

  /** The port it listens on (fixed once started: a restart comes back on the same one). */
  get port(): number {
    return this.#port
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`
  }

  /** The running server's PID, or undefined while stopped. */
  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** What the server printed (for failure messages). */
  get log(): string {
    return this.#log
  }

  async #spawn(): Promise<void> {
    const child = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, ...this.#args],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    )
    this.#child = child
    const pid = child.pid
    if (pid !== undefined) running.add(pid)
    this.#exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (pid !== undefined) running.delete(pid)
        if (this.#child === child) this.#child = undefined
        resolve()
      })
    })
    const keep = (chunk: Buffer) => {
      this.#log = (this.#log + chunk.toString()).slice(-20_000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    const spawnFailed = new Promise<never>((_, reject) => {
      child.once('error', reject)
      void this.#exited.then(() =>
        reject(new Error(`redis-server on ${this.port} exited at start:\n${this.#log}`)),
      )
    })
    spawnFailed.catch(() => undefined)
    await Promise.race([
      waitFor(
        `redis-server on port ${this.port} to answer PING`,
        async () => (await rawCommand(this.port, ['PING'])) === '+PONG',
        this.#startTimeout,
      ),
      spawnFailed,
    ])
  }

  /** Freezes the server (SIGSTOP): connections stay open and nothing answers, a hung Redis. */
  pause(): void {
    this.#child?.kill('SIGSTOP')
    this.#paused = this.#child !== undefined
  }

  /** Thaws a paused server (SIGCONT). */
  resume(): void {
    if (this.#paused) this.#child?.kill('SIGCONT')
    this.#paused = false
  }

  /** Stops the server by PID: SIGTERM (Redis flushes its AOF), then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    this.resume() // a frozen process would leave SIGTERM pending forever
    const exited = this.#exited
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(timer)
  }

  /** Kills the server by PID with SIGKILL: no shutdown, no last flush. */
  async kill9(): Promise<void> {
    const child = this.#child
    if (child === undefined) return
    const exited = this.#exited
    child.kill('SIGKILL')
    this.#paused = false
    await exited
  }

  /** Starts the server again on the same port and dir (stopping it first if it runs). */
  async restart(): Promise<void> {
    await this.stop()
    await this.#spawn()
  }

  /** Starts a stopped server again on the same port and dir. */
  async start(): Promise<void> {
    if (this.#child !== undefined) return
    await this.#spawn()
  }

  /** Stops the server and removes its dir. Safe to call twice. */
  async destroy(): Promise<void> {
    await this.stop()
    await rm(this.dir, { recursive: true, force: true })
  }
}
