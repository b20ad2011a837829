/**
 * The CLI must not act on nothing: it names the store it uses, never creates one, takes a
 * username wherever it takes a sub, and checks a token the way the service that issued it does.
 */
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runCli, type CliResult } from '../support/cli.js'
import { loadConfig } from '../../src/service/config.js'
import { openRuntime, type Runtime } from '../../src/service/runtime.js'
import { deletePrefix, REDIS_URL } from '../support/redis.js'

const CLI = join(import.meta.dirname, '../../src/cli/index.ts')
const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-safety-'))
const database = join(dir, 'revocable.db')
// The service ran with PORT=8080 and no ISSUER: its tokens carry iss http://localhost:8080.
const serviceEnv = { STORE: `sqlite:${database}`, PORT: '8080' }

type Result = CliResult

/** The environment without the configuration a test sets itself. */
function withoutConfig(env: NodeJS.ProcessEnv): Record<string, string | undefined> {
  const copy = { ...env }
  for (const name of ['ISSUER', 'PORT', 'STORE', 'AUDIENCE', 'REDIS_PREFIX']) delete copy[name]
  return copy
}

async function cli(env: Record<string, string>, ...args: string[]): Promise<Result> {
  return runCli({ ...withoutConfig(process.env), ...env }, args)
}

let runtime: Runtime
before(async () => {
  runtime = await openRuntime(loadConfig(serviceEnv), { replica: false })
  await runtime.users.create({
    username: 'alice',
    sub: 'c0ffee00-0000-4000-8000-000000000001',
    passwordHash: 'x',
    createdAt: Date.now(),
  })
})
after(async () => {
  await runtime.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('the store', () => {
  test('a command on a database that does not exist refuses, exits 2 and creates nothing', async () => {
    const missing = join(dir, 'elsewhere', 'revocable.db')
    for (const args of [
      ['revoke', 'session', 'some-session'],
      ['sessions', 'list', 'alice'],
      ['keys', 'list'],
    ]) {
      const { code, stdout, stderr } = await cli({ STORE: `sqlite:${missing}` }, ...args)
      assert.equal(code, 2, args.join(' '))
      assert.equal(stdout, '', args.join(' '))
      assert.match(stderr, /STORE \(--store\) names no existing store/)
      assert.ok(stderr.includes(missing), stderr)
    }
    assert.equal(existsSync(join(dir, 'elsewhere')), false)
  })

  test('the default store, relative to another directory, is refused there (the executable)', async () => {
    const elsewhere = mkdtempSync(join(tmpdir(), 'revocable-cwd-'))
    try {
      const env = withoutConfig(process.env)
      const result = await new Promise<{ code: number; stdout: string; stderr: string }>(
        (resolve) =>
          execFile(
            process.execPath,
            ['--import', import.meta.resolve('tsx'), CLI, 'revoke', 'session', 'abc'],
            { cwd: elsewhere, env },
            (error, stdout, stderr) =>
              resolve({ code: error === null ? 0 : Number(error.code), stdout, stderr }),
          ),
      )
      assert.equal(result.code, 2)
      assert.equal(result.stdout, '')
      assert.ok(result.stderr.includes(join(elsewhere, 'data/revocable.db')), result.stderr)
      assert.equal(existsSync(join(elsewhere, 'data')), false)
    } finally {
      rmSync(elsewhere, { recursive: true, force: true })
    }
  })

  test('STORE=memory is refused: it would be a new, empty store', async () => {
    const { code, stderr } = await cli({ STORE: 'memory' }, 'keys', 'list')
    assert.equal(code, 2)
    assert.match(stderr, /a memory store exists only inside the service/)
  })

  test('a Redis prefix that holds no keys is refused, and no key is made there', async () => {
    const prefix = `rvk-cli-${process.pid}-${Date.now()}:`
    try {
      // Twice: had the first run generated a key, the second would act on it.
      for (let run = 0; run < 2; run += 1) {
        const { code, stderr } = await cli(
          { STORE: REDIS_URL, REDIS_PREFIX: prefix },
          'revoke',
          'user',
          'bob',
        )
        assert.equal(code, 2)
        assert.match(stderr, /holds no keys under REDIS_PREFIX/)
      }
    } finally {
      await deletePrefix(REDIS_URL, prefix)
    }
  })

  test('every command names the store it acts on, as an absolute path', async () => {
    const { code, stderr } = await cli(serviceEnv, 'keys', 'list')
    assert.equal(code, 0)
    assert.ok(stderr.includes(`store: sqlite:${database}\n`), stderr)
  })

  test('revoking a session id that names no session says so', async () => {
    const { code, stdout } = await cli(serviceEnv, 'revoke', 'session', 'no-such-session')
    assert.equal(code, 0)
    assert.equal(stdout, 'revoked session no-such-session (no active session had this id)\n')
  })
})

describe('usernames', () => {
  test('sessions list takes a username', async () => {
    const { sub } = (await runtime.users.find('alice'))!
    const set = await runtime.auth.startSession({ sub })
    const { code, stdout, stderr } = await cli(serviceEnv, 'sessions', 'list', 'Alice', '--json')
    assert.equal(code, 0, stderr)
    const ids = (JSON.parse(stdout) as { sessions: { id: string }[] }).sessions.map((s) => s.id)
    assert.ok(ids.includes(set.session.id))
    assert.match(stderr, /user: alice \(sub c0ffee00-/)
  })

  test('revoke user takes a username and revokes that user', async () => {
    const { sub } = (await runtime.users.find('alice'))!
    const set = await runtime.auth.startSession({ sub })
    const { code, stdout } = await cli(serviceEnv, 'revoke', 'user', 'alice', '--json')
    assert.equal(code, 0)
    assert.deepEqual(JSON.parse(stdout), { revoked: 'user', id: sub })
    await assert.rejects(runtime.auth.verify(set.accessToken), { code: 'ERR_TOKEN_REVOKED' })
  })
})

describe('the issuer', () => {
  test('token inspect accepts a token of a service on PORT=8080, with or without PORT', async () => {
    const token = await runtime.auth.issue({ sub: 'user-1' })
    for (const env of [serviceEnv, { STORE: serviceEnv.STORE }]) {
      const { code, stdout } = await cli(env, 'token', 'inspect', token, '--json')
      assert.equal(code, 0, JSON.stringify(env))
      assert.equal((JSON.parse(stdout) as { valid: boolean }).valid, true)
    }
  })

  test('an ISSUER that is set is still required', async () => {
    const token = await runtime.auth.issue({ sub: 'user-1' })
    const env = { STORE: serviceEnv.STORE, ISSUER: 'https://other.example' }
    const { code, stdout } = await cli(env, 'token', 'inspect', token, '--json')
    assert.equal(code, 1)
    const verdict = JSON.parse(stdout) as { error: { code: string } }
    assert.equal(verdict.error.code, 'ERR_CLAIM_INVALID')
  })
})

test('revocable --version prints the package version', async () => {
  const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'))
  const { code, stdout } = await cli({}, '--version')
  assert.equal(code, 0)
  assert.equal(stdout, `${(pkg as { version: string }).version}\n`)
})
