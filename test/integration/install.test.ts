/**
 * The package as a user gets it: `npm pack`, then `npm install <tarball>` in an empty project,
 * then the README's install example, the missing-peer messages, require(), and TypeScript's
 * classic module resolution, all run there.
 */
import assert from 'node:assert/strict'
import { execFileSync, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { ROOT, assertBuilt } from '../examples/process.js'

const dir = mkdtempSync(join(tmpdir(), 'revocable-install-'))
const app = join(dir, 'app')
let packed: { filename: string; files: { path: string }[] }
let installOutput = ''

function node(
  args: string[],
  cwd = app,
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

before(() => {
  assertBuilt()
  // dist/ is built already (npm test builds first); prepack would build it again.
  const json = execFileSync(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', dir],
    { cwd: ROOT, encoding: 'utf8' },
  )
  packed = (JSON.parse(json) as (typeof packed)[])[0] as typeof packed
  mkdirSync(app)
  writeFileSync(join(app, 'package.json'), '{ "name": "app", "private": true, "type": "module" }')
  const install = spawnSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, packed.filename)],
    { cwd: app, encoding: 'utf8', timeout: 120_000 },
  )
  installOutput = `${install.stdout}${install.stderr}`
  assert.equal(install.status, 0, installOutput)
})
after(() => rmSync(dir, { recursive: true, force: true }))

test('the tarball holds dist/ (code, declarations, the Lua scripts, the CLI)', () => {
  const files = packed.files.map((file) => file.path)
  for (const path of [
    'dist/index.js',
    'dist/index.d.ts',
    'dist/cli/index.js',
    'dist/adapters/express.js',
    'README.md',
  ]) {
    assert.ok(files.includes(path), path)
  }
  assert.ok(files.some((path) => /^dist\/stores\/redis\/scripts\/.+\.lua$/.test(path)))
})

test('npm pack and a git install build dist/ first (prepack, prepare)', () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>
  }
  assert.equal(scripts.prepack, 'npm run build')
  assert.equal(scripts.prepare, 'node scripts/build-if-stale.mjs')
})

test('installing the tarball prints no engine warning', () => {
  assert.doesNotMatch(installOutput, /EBADENGINE/)
})

test("the README's install example runs in the new project", () => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
  const section = readme.slice(readme.indexOf('## Install'), readme.indexOf('## Quick start'))
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(example, 'README has a js block under "Install"')
  writeFileSync(join(app, 'readme.mjs'), example)
  const run = node(['readme.mjs'])
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, 'user-42\n')
})

test('a missing peer names the package and the install command', () => {
  const script = `
    const report = (error) => console.log(error.code + ' ' + error.message)
    const { SqliteStore } = await import('revocable/sqlite')
    try { new SqliteStore('x.db') } catch (error) { report(error) }
    const { RedisStore } = await import('revocable/redis')
    await RedisStore.connect({ url: 'redis://127.0.0.1:1' }).catch(report)
    await import('revocable/fastify').catch(report)
  `
  writeFileSync(join(app, 'peers.mjs'), script)
  const run = node(['peers.mjs'])
  assert.equal(run.status, 0, run.stderr)
  assert.deepEqual(run.stdout.trim().split('\n'), [
    'ERR_MISSING_PEER_DEPENDENCY revocable/sqlite needs the package "better-sqlite3", which is not installed: npm install better-sqlite3',
    'ERR_MISSING_PEER_DEPENDENCY revocable/redis needs the package "redis", which is not installed: npm install redis',
    'ERR_MISSING_PEER_DEPENDENCY revocable/fastify needs the package "fastify-plugin", which is not installed: npm install fastify-plugin',
  ])
})

test('CommonJS can require() the package (Node >= 20.19)', () => {
  writeFileSync(join(app, 'cjs.cjs'), "console.log(typeof require('revocable').createRevocable)")
  const run = node(['cjs.cjs'])
  assert.equal(run.status, 0, run.stderr)
  assert.equal(run.stdout, 'function\n')
})

test("TypeScript's classic module resolution finds the subpaths", () => {
  writeFileSync(
    join(app, 'index.ts'),
    [
      "import { createRevocable } from 'revocable'",
      "import type { SqliteStore } from 'revocable/sqlite'",
      "import type { RedisStore } from 'revocable/redis'",
      "import type { JWTR } from 'revocable/jwt-redis'",
      'export type Stores = SqliteStore | RedisStore | JWTR',
      'export const make = createRevocable',
    ].join('\n'),
  )
  writeFileSync(
    join(app, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        module: 'commonjs',
        moduleResolution: 'node',
        target: 'es2022',
        strict: true,
        noEmit: true,
        skipLibCheck: true,
        types: [],
      },
      files: ['index.ts'],
    }),
  )
  const tsc = join(ROOT, 'node_modules/typescript/bin/tsc')
  const run = node([tsc, '-p', 'tsconfig.json'])
  assert.equal(run.status, 0, run.stdout + run.stderr)
})
