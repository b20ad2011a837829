/**
 * Runs fixtures/revoke-then-hang.ts in a child process and kills it with SIGKILL the moment it
 * reports that its revocation call returned: whatever the store has not made durable by then is
 * lost with the process.
 */
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const FIXTURE = fileURLToPath(new URL('./fixtures/revoke-then-hang.ts', import.meta.url))

export interface CrashedChild {
  accessToken: string
  refreshToken: string
  /** How the child ended: always 'SIGKILL' (asserted by the tests). */
  signal: NodeJS.Signals | null
}

export function revokeThenKill(
  args: [
    backend: 'redis' | 'sqlite',
    location: string,
    prefix: string,
    how: 'token' | 'session' | 'user',
  ],
  timeoutMs = 30_000,
): Promise<CrashedChild> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    let line: string | undefined
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
      const end = stdout.indexOf('\n')
      if (end !== -1 && line === undefined) {
        line = stdout.slice(0, end)
        child.kill('SIGKILL') // right after the revoke returned: no close, no flush
      }
    })
    child.once('error', reject)
    child.once('exit', (_code, signal) => {
      clearTimeout(timer)
      if (line === undefined) {
        reject(new Error(`the child ended without printing a token:\n${stderr}`))
        return
      }
      const { accessToken, refreshToken } = JSON.parse(line) as CrashedChild
      resolve({ accessToken, refreshToken, signal })
    })
  })
}
