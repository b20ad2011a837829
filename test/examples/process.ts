/**
 * Starts an example as its README says (`node examples/<name>/<file>.js`), on a port the kernel
 * picks, and stops it by PID. Examples import `revocable/...`, which resolves to `dist/` through
 * the package's self-reference, so `npm run build` must have run (npm test does).
 */
import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('../../', import.meta.url))

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

export interface RunningExample {
  readonly url: string
  readonly pid: number
  stop(): Promise<void>
}

export function assertBuilt(): void {
  assert.ok(
    existsSync(`${ROOT}dist/adapters/express.js`),
    'run `npm run build` first (npm test does)',
  )
}

/** Spawns `examples/<path>` with PORT=0 and resolves once it prints `listening on <url>`. */
export async function startExample(
  path: string,
  env: Record<string, string> = {},
): Promise<RunningExample> {
  assertBuilt()
  // TypeScript examples (the Nest one: decorators) run through tsx; the others are plain node.
  const loader = path.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = spawn(process.execPath, [...loader, `examples/${path}`], {
    cwd: ROOT,
    env: { ...process.env, ...env, PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  running.add(child)
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  let output = ''
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${path} did not start:\n${output}`)), 20_000)
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`${path} exited with ${code}:\n${output}`))
    })
    const read = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /listening on (\S+)/.exec(output)
      if (match?.[1] !== undefined) {
        clearTimeout(timer)
        resolve(match[1])
      }
    }
    child.stdout?.on('data', read)
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()))
  })
  return {
    url,
    pid: child.pid as number,
    async stop() {
      process.kill(child.pid as number, 'SIGTERM')
      await exited
      running.delete(child)
    },
  }
}

export interface HttpAnswer {
  status: number
  headers: Headers
  body: unknown
}

/** One JSON request. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; cookie?: string } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {}
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`
  if (options.cookie !== undefined) headers.cookie = options.cookie
  if (options.body !== undefined) headers['content-type'] = 'application/json'
  const response = await fetch(base + path, {
    method,
    headers,
    ...(options.body !== undefined && { body: JSON.stringify(options.body) }),
  })
  const text = await response.text()
  return {
    status: response.status,
    headers: response.headers,
    body: text === '' ? undefined : JSON.parse(text),
  }
}

export const revokedSession = {
  error: 'invalid_token',
  error_description: 'token has been revoked (session)',
}
export const revokedChallenge =
  'Bearer error="invalid_token", error_description="token has been revoked (session)"'
