import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MemoryStore } from '../../../src/stores/memory.js'
import { makeAuth } from '../../support/auth.js'

const MINUTE = 60_000

/** Whether `refresh` honours the token now (it rotates on success). */
async function refreshes(auth: Awaited<ReturnType<typeof makeAuth>>['auth'], token: string) {
  try {
    await auth.refresh(token)
    return true
  } catch {
    return false
  }
}

test('inspectRefreshToken shows the session of a current refresh token as active', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice', clientId: 'web', scope: 'read' })
  const info = await auth.inspectRefreshToken(set.refreshToken)
  assert.equal(info?.active, true)
  assert.equal(info?.current, true)
  assert.equal(info?.sub, 'alice')
  assert.equal(info?.clientId, 'web')
  assert.equal(info?.scope, 'read')
  assert.equal(info?.sid, set.session.id)
})

test('inspectRefreshToken finds a spent token only when asked, and never as active', async () => {
  const { auth } = await makeAuth()
  const first = await auth.startSession({ sub: 'alice' })
  await auth.refresh(first.refreshToken)
  assert.equal(await auth.inspectRefreshToken(first.refreshToken), undefined)
  const spent = await auth.inspectRefreshToken(first.refreshToken, { spent: true })
  assert.equal(spent?.current, false)
  assert.equal(spent?.active, false)
})

test('inspectRefreshToken gives undefined for a token that is not ours', async () => {
  const { auth } = await makeAuth()
  const set = await auth.startSession({ sub: 'alice' })
  const forged =
    set.refreshToken.slice(0, -4) + (set.refreshToken.endsWith('AAAA') ? 'BBBB' : 'AAAA')
  assert.equal(await auth.inspectRefreshToken(forged), undefined)
  assert.equal(await auth.inspectRefreshToken('not-a-token'), undefined)
})

// One rule for both: what inspectRefreshToken calls active is exactly what refresh honours.
const scenarios: Record<
  string,
  (ctx: Awaited<ReturnType<typeof makeAuth>>, createdAt: number) => Promise<void>
> = {
  'nothing happened': async () => {},
  'revokeUser now': async ({ auth }) => auth.revokeUser('alice'),
  'revokeUser before the session started': async ({ auth, clock }, createdAt) => {
    clock.advance(MINUTE)
    await auth.revokeUser('alice', { before: createdAt - 1 })
  },
  'revokeUser at the session start': async ({ auth, clock }, createdAt) => {
    clock.advance(MINUTE)
    await auth.revokeUser('alice', { before: createdAt })
  },
  revokeAll: async ({ auth }) => auth.revokeAll(),
  revokeSession: async ({ auth }) => {
    const [session] = await auth.listSessions('alice')
    await auth.revokeSession(session!.id)
  },
  'idle expiry passed': async ({ clock }) => clock.advance(2 * 3600_000),
}

for (const [name, act] of Object.entries(scenarios)) {
  test(`inspectRefreshToken agrees with refresh: ${name}`, async () => {
    const context = await makeAuth({ sessionIdleTtl: 3600 })
    const { auth } = context
    const set = await auth.startSession({ sub: 'alice' })
    const [session] = await auth.listSessions('alice')
    await act(context, session!.createdAt.getTime())
    const info = await auth.inspectRefreshToken(set.refreshToken)
    assert.equal(info?.active ?? false, await refreshes(auth, set.refreshToken))
  })
}

test('checkStore resolves for a store that answers', async () => {
  const { auth } = await makeAuth()
  await auth.checkStore()
})

test('checkStore rejects ERR_STORE_UNAVAILABLE when the store cannot serve every call', async () => {
  class NotReady extends MemoryStore {
    async checkReady(): Promise<void> {
      throw new Error('CLUSTERDOWN')
    }
  }
  const { auth } = await makeAuth({ store: new NotReady() })
  await assert.rejects(auth.checkStore(), { code: 'ERR_STORE_UNAVAILABLE' })
})
