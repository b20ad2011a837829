import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { createRevocable } from '../../src/index.js'
import { SqliteStore } from '../../src/stores/sqlite.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { revokeThenKill } from './crash-child.js'
import { verdict } from '../support/verdict.js'

/** How a fresh instance on a reopened file judges `token` (and the session's refresh token). */
async function judge(
  path: string,
  token: string,
  refreshToken: string,
): Promise<{ verify: string; refresh: string }> {
  const store = new SqliteStore({ path })
  const auth = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'durability' }],
    store,
  })
  try {
    return {
      verify: await verdict(auth.verify(token)),
      refresh: await verdict(auth.refresh(refreshToken)),
    }
  } finally {
    await auth.close()
    await store.close()
  }
}

describe('revocations in an SQLite file survive a crash of the process that made them', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'revocable-durability-sqlite-'))
  })
  after(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  for (const [how, reason] of [
    ['token', 'token'],
    ['session', 'session'],
    ['user', 'user'],
  ] as const) {
    test(`a ${how} revocation made just before kill -9 is still there when the file is reopened`, async () => {
      const path = join(dir, `${how}.db`)
      const child = await revokeThenKill(['sqlite', path, '', how])
      assert.equal(child.signal, 'SIGKILL')
      // Killed before any checkpoint or close: the revocation is in the write-ahead log.
      assert.equal(existsSync(`${path}-wal`), true)

      const reopened = await judge(path, child.accessToken, child.refreshToken)
      assert.equal(reopened.verify, `ERR_TOKEN_REVOKED:${reason}`)
      // The revoked session (or the user's, ended with the user) refreshes no more.
      assert.equal(reopened.refresh, how === 'token' ? 'valid' : 'ERR_REFRESH_TOKEN_INVALID')
    })
  }
})
