import assert from 'node:assert/strict'
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { spawnService, type ServiceProcess } from '../support/service-process.js'
import { bearer, freePort, logIn, me, postForm, signUp } from './support.js'

const CLI = join(import.meta.dirname, '../../src/cli/index.ts')
const dir = mkdtempSync(join(tmpdir(), 'revocable-restart-'))
const children = new Set<ChildProcess>()

after(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

function startServer(port: number, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
  return spawnService({
    entry: 'source',
    port,
    env: {
      HOST: '127.0.0.1',
      ISSUER: 'http://restart.test',
      STORE: `sqlite:${join(dir, 'revocable.db')}`,
      LOG_LEVEL: 'warn',
      SCRYPT_LOG_N: '10',
      ...extraEnv,
    },
  })
}

test('a restart keeps users, sessions, keys and every revocation', async () => {
  const port = await freePort()
  const first = await startServer(port)
  const { username, tokens: loggedOut } = await signUp(first)
  const kept = await logIn(first, username)
  const logout = await fetch(`${first.url}/auth/logout`, {
    method: 'POST',
    headers: bearer(loggedOut.access_token),
  })
  assert.equal(logout.status, 204)
  const jwksBefore = await (await fetch(`${first.url}/.well-known/jwks.json`)).json()
  assert.equal(await first.stop(), 0, first.stderr())

  const second = await startServer(port)
  try {
    assert.deepEqual(await (await fetch(`${second.url}/.well-known/jwks.json`)).json(), jwksBefore)
    assert.equal((await me(second, loggedOut.access_token)).status, 401)
    assert.equal((await me(second, kept.access_token)).status, 200)
    const refreshed = await postForm(second, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: kept.refresh_token,
    })
    assert.equal(refreshed.status, 200)
    const dead = await postForm(second, '/oauth/token', {
      grant_type: 'refresh_token',
      refresh_token: loggedOut.refresh_token,
    })
    assert.equal(dead.status, 400)
    const again = await logIn(second, username)
    assert.equal((await me(second, again.access_token)).status, 200)
  } finally {
    assert.equal(await second.stop(), 0, second.stderr())
  }
})

test('SIGTERM lets a request in flight finish, then exits 0', async () => {
  // scrypt at 2^17 keeps the registration busy for a while after it has been accepted.
  const running = await startServer(await freePort(), { STORE: 'memory', SCRYPT_LOG_N: '17' })
  const pending = fetch(`${running.url}/auth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'in-flight', password: 'correct horse battery' }),
  })
  await new Promise((resolve) => setTimeout(resolve, 100))
  const exited = running.stop()
  const response = await pending
  assert.equal(response.status, 201)
  assert.equal(await exited, 0, running.stderr())
})

test('a bad configuration value stops startup with a message naming the variable', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve'], {
    env: { ...process.env, PORT: 'eighty', STORE: 'memory' },
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  children.add(child)
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  const code = await new Promise((resolve) => child.once('exit', resolve))
  assert.equal(code, 2)
  assert.equal(
    stderr.trim(),
    'revocable serve: PORT (--port) must be an integer from 0 to 65535 (got "eighty")',
  )
})
