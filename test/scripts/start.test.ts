/**
 * `npm start` serves the built output and builds only when dist/ is missing or stale, and says
 * in one line what it runs with.
 */
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { ROOT, assertBuilt } from '../examples/process.js'

const { buildState } = (await import(join(ROOT, 'scripts/build-if-stale.mjs'))) as {
  buildState: (root: string) => 'missing' | 'stale' | 'fresh'
}

test('dist/ is built when missing or older than a source, and not when fresh', () => {
  const root = mkdtempSync(join(tmpdir(), 'revocable-stale-'))
  try {
    mkdirSync(join(root, 'src/deep'), { recursive: true })
    writeFileSync(join(root, 'src/deep/a.ts'), 'export {}')
    writeFileSync(join(root, 'tsconfig.json'), '{}')
    assert.equal(buildState(root), 'missing')

    mkdirSync(join(root, 'dist'))
    writeFileSync(join(root, 'dist/.build-stamp'), 'x')
    const at = (seconds: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, seconds))
    for (const path of ['src', 'src/deep', 'src/deep/a.ts', 'tsconfig.json']) {
      utimesSync(join(root, path), at(0), at(0))
    }
    utimesSync(join(root, 'dist/.build-stamp'), at(10), at(10))
    assert.equal(buildState(root), 'fresh')

    utimesSync(join(root, 'src/deep/a.ts'), at(20), at(20))
    assert.equal(buildState(root), 'stale')
    utimesSync(join(root, 'src/deep/a.ts'), at(0), at(0))
    utimesSync(join(root, 'tsconfig.json'), at(20), at(20))
    assert.equal(buildState(root), 'stale')
  } finally {
    rmSync(root, { recursive: true, force: true })
  }
})

test('npm start on a fresh build serves at once and prints a one-line summary', async () => {
  assertBuilt()
  assert.equal(buildState(ROOT), 'fresh', 'run `npm run build` first (npm test does)')
  const dir = mkdtempSync(join(tmpdir(), 'revocable-start-'))
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      STORE: `sqlite:${join(dir, 'revocable.db')}`,
      ADMIN_TOKEN: 'admin-token-0123456789abcdef',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true, // its own process group: npm and the node it starts stop together
  })
  let stdout = ''
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  try {
    const summary = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no summary:\n${stdout}\n${stderr}`)), 30_000)
      child.once('exit', (code) => reject(new Error(`npm start exited ${code}:\n${stderr}`)))
      child.stdout.on('data', (chunk: Buffer) => {
        stdout += chunk.toString()
        const line = stdout.split('\n').find((text) => text.includes('revocable serving'))
        if (line !== undefined) {
          clearTimeout(timer)
          resolve((JSON.parse(line) as { msg: string }).msg)
        }
      })
    })
    assert.match(
      summary,
      /^revocable serving (http:\/\/127\.0\.0\.1:\d+): store sqlite:\/\S+\/revocable\.db, issuer http:\/\/localhost:0, admin API on, cookie mode off$/,
    )
    assert.ok(summary.includes(join(dir, 'revocable.db')))
    assert.doesNotMatch(stderr, /building/)
    const url = /serving (\S+):/.exec(summary)?.[1] as string
    assert.equal((await fetch(`${url}/healthz`)).status, 200)
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve))
    process.kill(-(child.pid as number), 'SIGTERM')
    await exited
    rmSync(dir, { recursive: true, force: true })
  }
})
