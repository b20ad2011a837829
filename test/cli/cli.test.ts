import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runCli, type CliResult } from '../support/cli.js'
import { loadConfig } from '../../src/service/config.js'
import { openRuntime, type Runtime } from '../../src/service/runtime.js'

const CLI = join(import.meta.dirname, '../../src/cli/index.ts')
const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-'))
const env = {
  STORE: `sqlite:${join(dir, 'revocable.db')}`,
  ISSUER: 'http://cli.test',
}

type Result = CliResult

/** Runs the CLI's main in this process (fast); the executable itself is tested below. */
async function cli(...args: string[]): Promise<Result> {
  return runCli({ ...process.env, ...env }, args)
}

/** Spawns the real executable. */
function spawnCli(...args: string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1
        resolve({ code, stdout, stderr })
      },
    )
  })
}

// The library, in this process, on the same SQLite file as the CLI: it makes the sessions and
// tokens the CLI then inspects and revokes.
let runtime: Runtime
before(async () => {
  runtime = await openRuntime(loadConfig(env), { replica: false })
})
after(async () => {
  await runtime.close()
  rmSync(dir, { recursive: true, force: true })
})

describe('usage', () => {
  test('--help lists every command and exits 0', async () => {
    const { code, stdout } = await cli('--help')
    assert.equal(code, 0)
    for (const command of ['serve', 'keys', 'token', 'revoke', 'sessions']) {
      assert.match(stdout, new RegExp(`^  ${command} `, 'm'))
    }
  })

  test('no command prints the usage and exits 2', async () => {
    const { code, stderr } = await cli()
    assert.equal(code, 2)
    assert.match(stderr, /^Usage: revocable <command>/)
  })

  test('an unknown command exits 2', async () => {
    const { code, stderr } = await cli('frobnicate')
    assert.equal(code, 2)
    assert.match(stderr, /unknown command "frobnicate"/)
  })

  test('every command has --help', async () => {
    for (const command of ['serve', 'keys', 'token', 'revoke', 'sessions']) {
      const { code, stdout } = await cli(command, '--help')
      assert.equal(code, 0, command)
      assert.match(stdout, new RegExp(`^Usage: revocable ${command}`), command)
    }
  })

  test('an unknown flag, a missing argument or an unknown action exits 2', async () => {
    for (const args of [
      ['keys', 'list', '--bogus'],
      ['token', 'inspect'],
      ['keys', 'frobnicate'],
      ['revoke', 'everything', 'x'],
      ['sessions', 'list', 'a', 'b'],
    ]) {
      const { code, stderr } = await cli(...args)
      assert.equal(code, 2, args.join(' '))
      assert.match(stderr, /^revocable \w+: .+\n\nUsage:/, args.join(' '))
    }
  })

  test('a bad configuration value exits 2 naming the variable', async () => {
    const { code, stderr } = await cli('keys', 'list', '--store', 'mongodb://x')
    assert.equal(code, 2)
    assert.match(stderr, /^revocable keys: STORE \(--store\) must be sqlite:<path>/)
  })
})

describe('keys', () => {
  test('keys list --json shows the signing key', async () => {
    const { code, stdout } = await cli('keys', 'list', '--json')
    assert.equal(code, 0)
    const { keys } = JSON.parse(stdout) as { keys: { kid: string; signing: boolean }[] }
    assert.deepEqual(
      keys.filter((key) => key.signing).map((key) => key.kid),
      runtime.auth
        .listKeys()
        .filter((key) => key.signing)
        .map((key) => key.kid),
    )
  })

  test('keys rotate makes a new signing key that keys list shows', async () => {
    const rotated = await cli('keys', 'rotate', '--now')
    assert.equal(rotated.code, 0)
    const kid = /^new signing key (\S+)$/m.exec(rotated.stdout)?.[1]
    assert.ok(kid, rotated.stdout)
    const listed = await cli('keys', 'list')
    assert.equal(listed.code, 0)
    assert.match(listed.stdout, /^KID\s+ALG\s+CREATED\s+SOURCE\s+SIGNING$/m)
    assert.match(listed.stdout, new RegExp(`^${kid}\\s+ES256\\s+\\S+\\s+store\\s+yes$`, 'm'))
  })

  test('keys retire of an unknown kid exits 1', async () => {
    const { code, stderr } = await cli('keys', 'retire', 'no-such-kid')
    assert.equal(code, 1)
    assert.match(stderr, /^store: sqlite:.+\nrevocable keys: no key with kid "no-such-kid"\n$/)
  })
})

describe('tokens, revocation and sessions', () => {
  test('token inspect --json shows a valid token and exits 0', async () => {
    const token = await runtime.auth.issue({ sub: 'inspect-me' })
    const { code, stdout } = await cli('token', 'inspect', token, '--json')
    assert.equal(code, 0)
    const result = JSON.parse(stdout) as {
      valid: boolean
      header: { typ: string }
      claims: { sub: string }
    }
    assert.equal(result.valid, true)
    assert.equal(result.header.typ, 'at+jwt')
    assert.equal(result.claims.sub, 'inspect-me')
  })

  test('revoke session ends it, and token inspect then exits 1 with ERR_TOKEN_REVOKED', async () => {
    const { accessToken, session } = await runtime.auth.startSession({ sub: 'cli-user-1' })
    const revoked = await cli('revoke', 'session', session.id, '--reason', 'stolen laptop')
    assert.equal(revoked.code, 0)
    assert.equal(revoked.stdout.trim(), `revoked session ${session.id}`)
    await assert.rejects(runtime.auth.verify(accessToken), { code: 'ERR_TOKEN_REVOKED' })
    const inspected = await cli('token', 'inspect', accessToken)
    assert.equal(inspected.code, 1)
    assert.match(
      inspected.stdout,
      /^invalid: ERR_TOKEN_REVOKED \(token has been revoked \(session\)\)$/m,
    )
  })

  test('revoke user --json revokes every session of the user', async () => {
    const one = await runtime.auth.startSession({ sub: 'cli-user-2' })
    const two = await runtime.auth.startSession({ sub: 'cli-user-2' })
    const { code, stdout } = await cli('revoke', 'user', 'cli-user-2', '--json')
    assert.equal(code, 0)
    assert.deepEqual(JSON.parse(stdout), { revoked: 'user', id: 'cli-user-2' })
    await assert.rejects(runtime.auth.verify(one.accessToken), { code: 'ERR_TOKEN_REVOKED' })
    await assert.rejects(runtime.auth.verify(two.accessToken), { code: 'ERR_TOKEN_REVOKED' })
  })

  test('revoke token revokes one token and leaves its session alone', async () => {
    const { accessToken, session } = await runtime.auth.startSession({ sub: 'cli-user-3' })
    const other = await runtime.auth.issue({ sub: 'cli-user-3', sid: session.id })
    const { code } = await cli('revoke', 'token', accessToken)
    assert.equal(code, 0)
    await assert.rejects(runtime.auth.verify(accessToken), { code: 'ERR_TOKEN_REVOKED' })
    assert.equal((await runtime.auth.verify(other)).sub, 'cli-user-3')
  })

  test('token inspect of something that is not a JWT exits 1', async () => {
    const { code, stdout } = await cli('token', 'inspect', 'not-a-jwt', '--json')
    assert.equal(code, 1)
    assert.deepEqual(JSON.parse(stdout), {
      valid: false,
      error: { code: 'ERR_TOKEN_MALFORMED', message: 'not a compact JWS' },
    })
  })

  test('sessions list shows the active sessions, as a table or as JSON', async () => {
    const { session } = await runtime.auth.startSession({
      sub: 'cli-user-4',
      device: { ip: '203.0.113.7', userAgent: 'curl/8' },
    })
    const json = await cli('sessions', 'list', 'cli-user-4', '--json')
    assert.equal(json.code, 0)
    const { sessions } = JSON.parse(json.stdout) as { sessions: Record<string, unknown>[] }
    assert.equal(sessions.length, 1)
    assert.equal(sessions[0]?.id, session.id)
    assert.equal(sessions[0]?.ip, '203.0.113.7')
    assert.equal(sessions[0]?.user_agent, 'curl/8')
    const human = await cli('sessions', 'list', 'cli-user-4')
    assert.match(human.stdout, /^ID\s+CREATED\s+LAST USED\s+CLIENT\s+IP\s+USER AGENT$/m)
    assert.match(human.stdout, new RegExp(`^${session.id}\\s.*203\\.0\\.113\\.7\\s+curl/8$`, 'm'))
    const none = await cli('sessions', 'list', 'nobody-at-all')
    assert.equal(none.stdout.trim(), 'no active sessions for nobody-at-all')
  })
})

describe('the executable', () => {
  test('exits 0, 1 and 2 with its output on stdout and its errors on stderr', async () => {
    const token = await runtime.auth.issue({ sub: 'spawned' })
    const [help, usage, config, failure, json] = await Promise.all([
      spawnCli('--help'),
      spawnCli('keys', 'list', '--bogus'),
      spawnCli('sessions', 'list', 'x', '--port', 'eighty'),
      spawnCli('keys', 'retire', 'no-such-kid'),
      spawnCli('token', 'inspect', token, '--json'),
    ])
    assert.equal(help.code, 0)
    assert.match(help.stdout, /^Usage: revocable <command>/)
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /^revocable keys: Unknown option '--bogus'/)
    assert.equal(config.code, 2)
    assert.match(config.stderr, /PORT \(--port\) must be an integer/)
    assert.equal(failure.code, 1)
    assert.match(
      failure.stderr,
      /^store: sqlite:.+\nrevocable keys: no key with kid "no-such-kid"\n$/,
    )
    assert.equal(json.code, 0)
    assert.equal((JSON.parse(json.stdout) as { valid: boolean }).valid, true)
    assert.match(json.stderr, /^store: sqlite:.+\n$/)
  })
})
