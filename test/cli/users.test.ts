/**
 * `revocable users show|suspend|reinstate|delete|claims` on a real SQLite store, beside a
 * library runtime in this process on the same file (what the service would be).
 */
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { runCli } from '../support/cli.js'
import { loadConfig } from '../../src/service/config.js'
import { openRuntime, type Runtime } from '../../src/service/runtime.js'

const dir = mkdtempSync(join(tmpdir(), 'revocable-cli-users-'))
const env = { STORE: `sqlite:${join(dir, 'revocable.db')}`, ISSUER: 'http://cli.test' }

async function cli(...args: string[]) {
  return runCli({ ...process.env, ...env }, args)
}

let runtime: Runtime
before(async () => {
  runtime = await openRuntime(loadConfig(env), { replica: false })
})
after(async () => {
  await runtime.close()
  rmSync(dir, { recursive: true, force: true })
})

let counter = 0
async function user() {
  counter += 1
  const record = {
    username: `cli-user-${counter}`,
    sub: randomUUID(),
    passwordHash: 'scrypt$10$8$1$x$y',
    createdAt: Date.now(),
  }
  await runtime.users.create(record)
  const tokens = await runtime.auth.startSession({ sub: record.sub })
  return { ...record, tokens }
}

describe('revocable users', () => {
  test('show prints the user by username or by sub, as text or JSON', async () => {
    const alice = await user()
    const byName = await cli('users', 'show', alice.username.toUpperCase())
    assert.equal(byName.code, 0, byName.stderr)
    assert.match(byName.stdout, new RegExp(`^sub +${alice.sub}$`, 'm'))
    assert.match(byName.stdout, /^sessions +1$/m)
    const bySub = await cli('users', 'show', alice.sub, '--json')
    const view = JSON.parse(bySub.stdout) as Record<string, unknown>
    assert.deepEqual(
      { ...view, created_at: typeof view.created_at },
      {
        sub: alice.sub,
        username: alice.username,
        created_at: 'string',
        suspension: null,
        claims: {},
        sessions: 1,
      },
    )
  })

  test('suspend ends the sessions and refuses new ones until reinstate', async () => {
    const bob = await user()
    const until = new Date(Date.now() + 3_600_000).toISOString()
    const suspended = await cli(
      'users',
      'suspend',
      bob.username,
      '--until',
      until,
      '--reason',
      'test',
      '--json',
    )
    assert.equal(suspended.code, 0, suspended.stderr)
    const view = JSON.parse(suspended.stdout) as { suspension: { until: string; reason: string } }
    assert.deepEqual([view.suspension.until, view.suspension.reason], [until, 'test'])
    await assert.rejects(runtime.auth.verify(bob.tokens.accessToken))
    await assert.rejects(runtime.auth.startSession({ sub: bob.sub }), {
      code: 'ERR_USER_SUSPENDED',
    })
    const reinstated = await cli('users', 'reinstate', bob.sub)
    assert.deepEqual([reinstated.code, reinstated.stdout], [0, 'reinstated\n'])
    await runtime.auth.startSession({ sub: bob.sub })
    assert.equal((await cli('users', 'reinstate', bob.sub)).stdout, 'was not suspended\n')
  })

  test('claims --set replaces the claims and rejects the older access tokens', async () => {
    const carol = await user()
    const set = await cli('users', 'claims', carol.username, '--set', '{"roles":["admin"]}')
    assert.equal(set.code, 0, set.stderr)
    assert.equal(set.stdout, '{"roles":["admin"]}\n')
    await assert.rejects(runtime.auth.verify(carol.tokens.accessToken), {
      code: 'ERR_CLAIMS_CHANGED',
    })
    const next = await runtime.auth.refresh(carol.tokens.refreshToken)
    assert.deepEqual((await runtime.auth.verify(next.accessToken)).roles, ['admin'])
    assert.equal((await cli('users', 'claims', carol.sub)).stdout, '{"roles":["admin"]}\n')
  })

  test('delete forgets the user: tokens rejected, the username free again', async () => {
    const dave = await user()
    const deleted = await cli('users', 'delete', dave.username)
    assert.equal(deleted.code, 0, deleted.stderr)
    await assert.rejects(runtime.auth.verify(dave.tokens.accessToken))
    assert.equal(await runtime.users.find(dave.username), undefined)
    assert.equal((await cli('users', 'show', dave.sub)).code, 1)
  })

  test('wrong usage exits 2 naming the rule, an unknown user exits 1', async () => {
    const erin = await user()
    for (const args of [
      ['users'],
      ['users', 'frobnicate', erin.sub],
      ['users', 'suspend', erin.sub, '--until', 'yesterday'],
      ['users', 'suspend', erin.sub, '--until', '2001-01-01T00:00:00Z'],
      ['users', 'claims', erin.sub, '--set', '{"sub":"x"}'],
      ['users', 'claims', erin.sub, '--set', 'not json'],
      ['users', 'show', erin.sub, '--until', '2030-01-01T00:00:00Z'],
    ]) {
      assert.equal((await cli(...args)).code, 2, args.join(' '))
    }
    const unknown = await cli('users', 'show', 'nobody-at-all')
    assert.equal(unknown.code, 1)
    assert.match(unknown.stderr, /no user with that username or sub/)
    assert.match((await cli('--help')).stdout, /^ {2}users /m)
  })
})
