import assert from 'node:assert/strict'
import { execFile, execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { freePort, RedisProcess } from './support/redis-server.js'
import { spawnService } from './support/service-process.js'

const root = fileURLToPath(new URL('..', import.meta.url))

test('the README quick-start example runs as written against the built package', () => {
  assert.ok(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)')
  const readme = readFileSync(`${root}README.md`, 'utf8')
  const quickStart = readme.slice(readme.indexOf('## Quick start'))
  const example = /```js\n([\s\S]*?)```/.exec(quickStart)?.[1]
  assert.ok(example, 'README has a js block under "Quick start"')
  // Inside the package folder, `import 'revocable'` resolves to this package (self-reference).
  const dir = `${root}.tmp`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/readme-example-${process.pid}.mjs`
  writeFileSync(file, example)
  try {
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8' })
    assert.deepEqual(output.trim().split('\n'), ['user-42', 'ERR_TOKEN_REVOKED'])
  } finally {
    rmSync(file, { force: true })
  }
})

// ---------------------------------------------------------------------------------------------
// Every README code block is run by a test or marked as not run, with the reason, in an HTML
// comment on the line before it: `<!-- run: test/… -->` or `<!-- not run: why -->`.

interface Block {
  readonly marker: string | undefined
  readonly lang: string
  readonly code: string
}

function readmeBlocks(): Block[] {
  const lines = readFileSync(`${root}README.md`, 'utf8').split('\n')
  const blocks: Block[] = []
  for (let i = 0; i < lines.length; i++) {
    const fence = /^```(\w*)$/.exec(lines[i] as string)
    if (fence === null) continue
    const end = lines.indexOf('```', i + 1)
    let before = i - 1
    while (before >= 0 && (lines[before] as string).trim() === '') before--
    const marker = /^<!-- ((?:not )?run: .+) -->$/.exec(lines[before] ?? '')?.[1]
    blocks.push({ marker, lang: fence[1] as string, code: lines.slice(i + 1, end).join('\n') })
    i = end
  }
  return blocks
}

/** The one block that starts with `start` and is marked as run by this file. */
function runBlock(start: string): string {
  const found = readmeBlocks().filter((block) => block.code.startsWith(start))
  assert.equal(found.length, 1, `one README block starts with ${JSON.stringify(start)}`)
  const [block] = found as [Block]
  assert.match(
    block.marker ?? '',
    /^run: test\/readme\.test\.ts/,
    'the block is marked as run here',
  )
  return block.code
}

/** Runs a script inside the package folder (so `import 'revocable'` is this package). */
function runScript(
  name: string,
  code: string,
  options: { ts?: boolean; cwd?: string; env?: NodeJS.ProcessEnv } = {},
): string[] {
  assert.ok(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)')
  const dir = `${root}.tmp`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/readme-${name}-${process.pid}.${options.ts === true ? 'ts' : 'mjs'}`
  writeFileSync(file, code)
  try {
    const args = options.ts === true ? ['--import', 'tsx', file] : [file]
    const output = execFileSync(process.execPath, args, {
      encoding: 'utf8',
      cwd: options.cwd ?? root,
      env: { ...process.env, ...options.env },
      timeout: 60_000,
    })
    return output.trim().split('\n')
  } finally {
    rmSync(file, { force: true })
  }
}

const RUN_BY_THIS_FILE = [
  "import { createRevocable } from 'revocable'\n\nconst auth = await createRevocable({ issuer: 'https://auth.example.com', audience: 'api' })\nconst token",
  "import { createRevocable } from 'revocable'\n\nconst auth = await createRevocable({ issuer: 'https://auth.example.com', audience: 'api' })\n\n// Log in",
  // The user-lifecycle example: its own test above checks its output.
  "import { createRevocable } from 'revocable'\n\nconst roles",
  'BASE=http://localhost:3000',
  "import { SqliteStore } from 'revocable/sqlite'",
  "import { RedisStore } from 'revocable/redis'",
  "import express from 'express'",
  "import Fastify from 'fastify'",
  "import { Hono } from 'hono'",
]

test('every README code block is run by a test or marked as not run with a reason', () => {
  const blocks = readmeBlocks()
  assert.ok(blocks.length >= 10, 'the README blocks were found')
  const unmarked = blocks.filter((block) => block.marker === undefined)
  assert.deepEqual(
    unmarked.map((block) => block.code.split('\n')[0]),
    [],
    'put <!-- run: test/… --> or <!-- not run: reason --> on the line before each block',
  )
  for (const block of blocks) {
    const test = /^run: (test\/\S+?\.test\.ts)/.exec(block.marker as string)?.[1]
    if (test !== undefined) assert.ok(existsSync(`${root}${test}`), `${test} exists`)
  }
  const runHere = blocks.filter((block) => /^run: test\/readme\.test\.ts/.test(block.marker!))
  assert.deepEqual(
    runHere.map((block) => RUN_BY_THIS_FILE.some((start) => block.code.startsWith(start))),
    runHere.map(() => true),
    'a block marked "run: test/readme.test.ts" has a test below',
  )
})

const ISSUER_AND_AUDIENCE = `import { createRevocable } from 'revocable'
const issuer = 'https://auth.example.com'
const audience = 'api'
`

test('the README install example runs as written', () => {
  const code = runBlock(RUN_BY_THIS_FILE[0] as string)
  assert.deepEqual(runScript('install', code), ['user-42'])
})

test('the README SqliteStore example runs with an issuer and an audience', () => {
  const cwd = mkdtempSync(join(tmpdir(), 'readme-sqlite-'))
  try {
    const code = `${ISSUER_AND_AUDIENCE}${runBlock("import { SqliteStore } from 'revocable/sqlite'")}
const token = await auth.issue({ sub: 'user-42' })
console.log((await auth.verify(token)).sub)
await auth.close()
await store.close()
`
    assert.deepEqual(runScript('sqlite', code, { cwd }), ['user-42'])
    assert.ok(existsSync(join(cwd, 'data/revocable.db')), 'the database file is where it says')
  } finally {
    rmSync(cwd, { recursive: true, force: true })
  }
})

test('the README RedisStore example runs against a Redis', async () => {
  const redis = await RedisProcess.start({ name: 'readme-redis' })
  try {
    const block = runBlock("import { RedisStore } from 'revocable/redis'")
    assert.ok(block.includes("'redis://127.0.0.1:6379'") && block.includes('// …'))
    const code = `${ISSUER_AND_AUDIENCE}${block
      .replace("'redis://127.0.0.1:6379'", `'${redis.url}'`)
      .replace(
        '// …',
        "console.log((await auth.verify(await auth.issue({ sub: 'user-42' }))).sub)",
      )}`
    const kek = randomBytes(32).toString('base64')
    assert.deepEqual(runScript('redis', code, { env: { KEK: kek } }), ['user-42'])
  } finally {
    await redis.destroy()
  }
})

const AUTH = `import { createRevocable } from 'revocable'
const auth = await createRevocable({ issuer: 'https://auth.example.com', audience: 'api' })
const { accessToken } = await auth.startSession({ sub: 'user-42' })
const bearer = { authorization: 'Bearer ' + accessToken }
`

test('the README Express example serves /me and logs out', () => {
  const code = `${AUTH}const removeUser = (req, res) => res.sendStatus(204)
${runBlock("import express from 'express'")}
const server = app.listen(0, '127.0.0.1')
await new Promise((resolve) => server.once('listening', resolve))
const url = 'http://127.0.0.1:' + server.address().port
const me = await fetch(url + '/me', { headers: bearer })
console.log(me.status, (await me.json()).sub)
console.log((await fetch(url + '/logout', { method: 'POST', headers: bearer })).status)
console.log((await fetch(url + '/me', { headers: bearer })).status)
server.close()
`
  assert.deepEqual(runScript('express', code), ['200 user-42', '204', '401'])
})

test('the README Fastify example serves /me and logs out', () => {
  const code = `${AUTH}const adminHandler = async () => ({ ok: true })
${runBlock("import Fastify from 'fastify'")}
const me = await app.inject({ url: '/me', headers: bearer })
console.log(me.statusCode, me.json().sub)
console.log((await app.inject({ method: 'POST', url: '/logout', headers: bearer })).statusCode)
console.log((await app.inject({ url: '/me', headers: bearer })).statusCode)
await app.close()
`
  assert.deepEqual(runScript('fastify', code), ['200 user-42', '204', '401'])
})

test('the README Hono example serves /api/me and logs out', () => {
  const code = `${AUTH}const createNote = (c: { body: (b: null, s: 201) => Response }) => c.body(null, 201)
${runBlock("import { Hono } from 'hono'")}
const me = await app.request('/api/me', { headers: bearer })
console.log(me.status, ((await me.json()) as { sub: string }).sub)
console.log((await app.request('/api/logout', { method: 'POST', headers: bearer })).status)
console.log((await app.request('/api/me', { headers: bearer })).status)
`
  assert.deepEqual(runScript('hono', code, { ts: true }), ['200 user-42', '204', '401'])
})

test('the README curl session runs against `revocable serve`', async () => {
  assert.ok(existsSync(`${root}dist/cli/index.js`), 'run `npm run build` first (npm test does)')
  const block = runBlock('BASE=http://localhost:3000')
  const port = await freePort()
  const service = await spawnService({
    entry: 'built',
    port,
    env: { STORE: 'memory', LOG_LEVEL: 'silent' },
  })
  try {
    const base = service.url
    const script = block.replace('BASE=http://localhost:3000', `BASE=${base}`)
    const output = await new Promise<string>((resolve, reject) => {
      execFile('bash', ['-c', script], { timeout: 30_000 }, (error, stdout) =>
        error === null ? resolve(stdout) : reject(error),
      )
    })
    const lines = output.replace(/\r/g, '').trim().split('\n')
    const documented = [...block.matchAll(/^# -> (.*)$/gm)].map((match) => match[1])
    assert.equal(lines.length, 3 + documented.length, output)
    assert.match(lines[0] as string, /^\{"sub":"/)
    assert.match(lines[1] as string, /"sub":/)
    assert.equal(lines[2], '204')
    assert.deepEqual(lines.slice(3), documented)
  } finally {
    await service.stop()
  }
})
