/**
 * `revocable serve` as a child process, for the tests that need a real process: a restart on the
 * same data, a signal, the built CLI as `npm start` runs it. Ready once `/healthz` answers;
 * stopped with SIGTERM; killed when the test process exits, whatever happened.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const ENTRIES = {
  /** The TypeScript source through tsx. */
  source: ['--import', 'tsx', `${ROOT}src/cli/index.ts`, 'serve'],
  /** The built output (`npm run build`), as `npm start` runs it. */
  built: [`${ROOT}dist/cli/index.js`, 'serve'],
} as const

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export interface ServiceProcessOptions {
  entry: keyof typeof ENTRIES
  port: number
  /** Added to this process's environment (PORT is set from `port`). */
  env?: Record<string, string>
  cwd?: string
  /** How long to wait for `/healthz` (ms). Default 30 000. */
  readyWithin?: number
}

export interface ServiceProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string
  readonly port: number
  readonly child: ChildProcess
  /** What the service printed on stderr so far (for failure messages). */
  stderr(): string
  /**
   * SIGTERM, then SIGKILL after `graceMs`; resolves to the exit code (null when a signal ended
   * it, as SIGKILL does).
   */
  stop(graceMs?: number): Promise<number | null>
}

export async function spawnService(options: ServiceProcessOptions): Promise<ServiceProcess> {
  const { entry, port, env = {}, cwd, readyWithin = 30_000 } = options
  const child = spawn(process.execPath, [...ENTRIES[entry]], {
    cwd,
    env: { ...process.env, PORT: String(port), ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  running.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      running.delete(child)
      resolve(code)
    }),
  )
  const url = `http://127.0.0.1:${port}`
  const deadline = Date.now() + readyWithin
  for (;;) {
    if (child.exitCode !== null) throw new Error(`service exited: ${stderr}`)
    const up = await fetch(`${url}/healthz`).then(
      (response) => response.ok,
      () => false,
    )
    if (up) break
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`service never answered /healthz within ${readyWithin} ms: ${stderr}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    url,
    port,
    child,
    stderr: () => stderr,
    async stop(graceMs = 5_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
