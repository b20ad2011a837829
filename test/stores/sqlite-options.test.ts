import assert from 'node:assert/strict'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import Database from 'better-sqlite3'
import { createRevocable } from '../../src/index.js'
import { SqliteStore } from '../../src/stores/sqlite.js'
import { AUDIENCE, ISSUER } from '../support/auth.js'

const NEEDS_PATH = /^SqliteStore needs a "path": a database file, or ':memory:'/

test('new SqliteStore() without a path is refused, not a silent in-memory store', () => {
  const make = SqliteStore as unknown as new (options?: unknown) => SqliteStore
  for (const options of [undefined, {}, { path: '' }, { filename: 'x.db' }, null, 42]) {
    assert.throws(() => new make(options), { name: 'TypeError', message: NEEDS_PATH })
  }
})

test('a string is the database path, and revocations survive reopening it', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-sqlite-path-'))
  try {
    const path = join(dir, 'nested', 'revocable.db')
    const first = new SqliteStore(path)
    assert.ok(existsSync(path))
    const auth = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, store: first })
    const token = await auth.issue({ sub: 'alice' })
    await auth.revokeToken(token)
    await auth.close()
    await first.close()

    const second = new SqliteStore(path)
    const again = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, store: second })
    await assert.rejects(again.verify(token), { code: 'ERR_TOKEN_REVOKED' })
    await again.close()
    await second.close()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test("':memory:' must be asked for explicitly, and works", async () => {
  const store = new SqliteStore(':memory:')
  const auth = await createRevocable({ issuer: ISSUER, audience: AUDIENCE, store })
  assert.equal((await auth.verify(await auth.issue({ sub: 'alice' }))).sub, 'alice')
  await auth.close()
  await store.close()
})

test('path and database together are refused', () => {
  const database = new Database(':memory:')
  try {
    assert.throws(() => new SqliteStore({ path: 'x.db', database }), {
      name: 'TypeError',
      message: 'give "path" or "database", not both',
    })
  } finally {
    database.close()
  }
})
