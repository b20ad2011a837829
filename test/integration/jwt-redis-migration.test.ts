/**
 * docs/migration-from-jwt-redis.md, executed: a jwt-redis app of the shape our users start from
 * (TypeScript compiled to CommonJS with `moduleResolution: "node"`, node-redis v4, the 6-byte
 * secret 'SECRET', a numeric sub) is installed and run, then ported by the commands and code the
 * doc shows (read from the doc itself), installing this package from its `npm pack` tarball as
 * a registry install would. The ported app must give the same answers, tokens issued before the
 * switch must keep working through the doc's recipe, and the app must still run once jwt-redis
 * is uninstalled. Its own redis-server, so the apps can use the default key prefixes.
 *
 * npm runs with --prefer-offline: the packages come from npm's cache when they are there.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { RedisProcess } from '../support/redis-server.js'

const root = fileURLToPath(new URL('../..', import.meta.url))
const doc = readFileSync(join(root, 'docs/migration-from-jwt-redis.md'), 'utf8')
const tsc = join(root, 'node_modules/typescript/bin/tsc')
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error']

interface Run {
  code: number
  stdout: string
  stderr: string
}

/** Runs a command with a deadline; resolves to its exit code and output, never rejects. */
function run(command: string, args: string[], cwd: string, env: object = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd, env: { ...process.env, ...env }, timeout: 180_000, maxBuffer: 16 << 20 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

async function ok(command: string, args: string[], cwd: string, env: object = {}) {
  const result = await run(command, args, cwd, env)
  assert.equal(
    result.code,
    0,
    `${command} ${args.join(' ')} failed:\n${result.stdout}\n${result.stderr}`,
  )
  return result
}

/** The body of the first fenced block of `language` after `heading` in the doc. */
function block(heading: string, language: string): string {
  const at = doc.indexOf(heading)
  assert.ok(at >= 0, `the doc has "${heading}"`)
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)```').exec(doc.slice(at))
  assert.ok(match, `the doc has a ${language} block after "${heading}"`)
  // Blocks inside a list item are indented by three spaces.
  return (match[1] as string).replace(/^ {3}/gm, '')
}

const TSCONFIG = {
  compilerOptions: {
    target: 'es2022',
    module: 'commonjs',
    moduleResolution: 'node',
    esModuleInterop: true,
    strict: true,
    skipLibCheck: true,
    rootDir: 'src',
    outDir: 'dist',
    lib: ['es2022', 'dom'],
    types: [],
  },
}

const PROCESS = `declare const process: { env: Record<string, string | undefined>; exitCode?: number }\n`

/** The jwt-redis app: one script whose answers must survive the port. */
const APP = `import { createClient } from 'redis'
import JWTR from 'jwt-redis'
${PROCESS}
const secret = 'SECRET' // the seed app's: 6 bytes

const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'valid',
    (error: Error) => \`\${error.name}: \${error.message}\`,
  )

async function main(): Promise<void> {
  const redis = createClient({ url: process.env.REDIS_URL })
  await redis.connect()
  const jwtr = new JWTR(redis as any)
  const token = await jwtr.sign({ sub: 42, uid: 42 }, secret, { expiresIn: '1h' })
  const payload = await jwtr.verify<{ sub: number; uid: number; jti: string }>(token, secret)
  const answers = {
    sub: payload.sub,
    uid: payload.uid,
    keys: Object.keys(payload).sort(),
    destroyed: await jwtr.destroy(payload.jti),
    destroyedAgain: await jwtr.destroy(payload.jti),
    unknown: await jwtr.destroy('never-issued'),
    afterDestroy: await outcome(jwtr.verify(token, secret)),
    expired: await outcome(jwtr.verify(await jwtr.sign({ sub: 1 }, secret, { expiresIn: 0 }), secret)),
    garbage: await outcome(jwtr.verify('garbage', secret)),
  }
  const kept = await jwtr.sign({ sub: 7 }, secret, { expiresIn: '1h' })
  console.log(JSON.stringify({ answers, kept }))
  await redis.quit()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
`

/** Step 4's recipe from the doc, after a client, and checks after it. */
function legacyApp(recipe: string): string {
  const imports = recipe.match(/^import .*$/gm) ?? []
  const body = recipe.replace(/^import .*\n/gm, '')
  return `import { createClient } from 'redis'
${imports.join('\n')}
${PROCESS}
const redis = createClient({ url: process.env.REDIS_URL })
${body}
async function main(): Promise<void> {
  await redis.connect()
  const secret = 'SECRET'
  const old = process.env.OLD_TOKEN as string
  const fresh = await jwtr.sign({ sub: 8 }, secret, { expiresIn: '1h' })
  const answers: Record<string, unknown> = {
    old: ((await verify(old, secret)) as { sub: unknown }).sub,
    fresh: ((await verify(fresh, secret)) as { sub: unknown }).sub,
  }
  const { jti } = legacy.decode<{ jti: string }>(old)
  answers.oldDestroyed = await legacy.destroy(jti)
  answers.oldAfter = await verify(old, secret).then(() => 'valid', (e: Error) => e.name)
  console.log(JSON.stringify(answers))
  await redis.quit()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
`
}

let redis: RedisProcess
let work: string
before(async () => {
  redis = await RedisProcess.start({ name: 'jwtr-migration' })
  work = mkdtempSync(join(tmpdir(), 'revocable-jwtr-migration-'))
})
after(async () => {
  await redis?.destroy()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

test('a jwt-redis app ported by the steps of docs/migration-from-jwt-redis.md', async () => {
  if (!existsSync(join(root, 'dist/adapters/jwt-redis/index.js'))) {
    await ok('npm', ['run', 'build'], root)
  }
  const packed = await ok(
    'npm',
    ['pack', '--ignore-scripts', '--json', '--pack-destination', work],
    root,
  )
  const tarball = join(work, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename)

  // The app as it is before the migration.
  const app = join(work, 'app')
  mkdirSync(join(app, 'src'), { recursive: true })
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({
      name: 'jwt-redis-app',
      private: true,
      dependencies: { redis: '^4.7.0', 'jwt-redis': '^7.0.3' },
    }),
  )
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(TSCONFIG))
  writeFileSync(join(app, 'src/app.ts'), APP)
  await ok('npm', ['install', ...NPM_FLAGS], app)
  const env = { REDIS_URL: redis.url, NODE_NO_WARNINGS: '1' }
  // Type-checking the app as it was proves nothing about this package: transpile only.
  await ok(process.execPath, [tsc, '-p', '.', '--noCheck'], app)
  const before = JSON.parse((await ok(process.execPath, ['dist/app.js'], app, env)).stdout) as {
    answers: Record<string, unknown>
    kept: string
  }
  assert.deepEqual(before.answers.destroyed, true, 'the app runs on jwt-redis')

  // Step 2: install revocable next to jwt-redis and redis@4, with the doc's command as written.
  const install = block('Install revocable next to jwt-redis', 'sh').trim()
  assert.equal(install, 'npm install revocable')
  const installed = await run('npm', ['install', ...NPM_FLAGS, tarball], app)
  assert.equal(installed.code, 0, `npm install revocable failed:\n${installed.stderr}`)
  assert.doesNotMatch(installed.stderr, /ERESOLVE/)

  // Step 3: the import line, as the doc's diff has it. Step 4: the doc's recipe for the tokens
  // jwt-redis issued. One compile for both: classic resolution must find revocable/jwt-redis.
  const diff = block('Change the import', 'diff')
  const from = /^- (.*)$/m.exec(diff)?.[1] as string
  const to = /^\+ (.*)$/m.exec(diff)?.[1] as string
  assert.ok(APP.includes(from), `the app has the line the doc replaces: ${from}`)
  writeFileSync(join(app, 'src/app.ts'), APP.replace(from, to))
  const recipe = block('Keep verifying the tokens jwt-redis issued', 'ts')
  writeFileSync(join(app, 'src/legacy.ts'), legacyApp(recipe))
  const compiled = await run(process.execPath, [tsc, '-p', '.'], app)
  assert.equal(compiled.code, 0, `the ported app compiles:\n${compiled.stdout}`)
  const ported = JSON.parse((await ok(process.execPath, ['dist/app.js'], app, env)).stdout) as {
    answers: Record<string, unknown>
  }
  assert.deepEqual(ported.answers, before.answers)
  const legacy = JSON.parse(
    (await ok(process.execPath, ['dist/legacy.js'], app, { ...env, OLD_TOKEN: before.kept }))
      .stdout,
  ) as Record<string, unknown>
  assert.deepEqual(legacy, {
    old: 7,
    fresh: 8,
    oldDestroyed: true,
    oldAfter: 'TokenDestroyedError',
  })

  // Step 5: without jwt-redis (and the jsonwebtoken it brought), the ported app still runs.
  const uninstall = block('Once the longest-lived jwt-redis token has expired', 'sh').trim()
  assert.equal(uninstall, 'npm uninstall jwt-redis')
  rmSync(join(app, 'src/legacy.ts'))
  rmSync(join(app, 'dist/legacy.js'))
  await ok('npm', ['uninstall', ...NPM_FLAGS, 'jwt-redis'], app)
  assert.ok(!existsSync(join(app, 'node_modules/jsonwebtoken')))
  const alone = JSON.parse((await ok(process.execPath, ['dist/app.js'], app, env)).stdout) as {
    answers: Record<string, unknown>
  }
  assert.deepEqual(alone.answers, before.answers)
})
