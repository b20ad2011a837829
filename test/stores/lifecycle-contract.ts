/**
 * The user-lifecycle verbs (issue #15) as part of the store contract: every store runs these
 * through two Revocable instances on the same store (on Redis, the second one answers from its
 * replica), so "every instance enforces it" is what is tested.
 */
import assert from 'node:assert/strict'
import { describe } from 'node:test'
import {
  createRevocable,
  type Revocable,
  type RevocableOptions,
  type TokenSet,
} from '../../src/index.js'
import type { Store } from '../../src/stores/store.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import type { ManualClock } from '../support/clock.js'
import { runLifecycleModel, TTL } from './lifecycle-model.js'

interface Fixture {
  auth: Revocable
  store: Store
  clock: ManualClock
}

type It = (
  title: string,
  options: Partial<RevocableOptions>,
  body: (f: Fixture) => Promise<void>,
) => void

const SECOND = 1000
const MINUTE = 60 * SECOND

/** A second instance on the same store, as another process of the same deployment would be. */
async function secondInstance(
  { store, clock }: Fixture,
  options: Partial<RevocableOptions> = {},
): Promise<Revocable> {
  return createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'contract' }],
    clock,
    store,
    clockTolerance: 0,
    ...options,
  })
}

async function rejectsWith(promise: Promise<unknown>, code: string, reason?: string) {
  await assert.rejects(promise, (error: { code?: string; reason?: string }) => {
    assert.equal(error.code, code)
    if (reason !== undefined) assert.equal(error.reason, reason)
    return true
  })
}

/** Rejected with any code a dead session's refresh may give (the session is gone). */
async function refreshRefused(auth: Revocable, set: TokenSet, codes: string[]) {
  await assert.rejects(auth.refresh(set.refreshToken), (error: { code?: string }) => {
    assert.ok(codes.includes(error.code ?? ''), `unexpected ${error.code}`)
    return true
  })
}

export function lifecycleContract(it: It, modelRuns: number): void {
  describe('user lifecycle (issue #15)', () => {
    it(
      "random sequences of the lifecycle verbs: verify's verdict on every token agrees with a reference model, on both instances",
      {},
      async (fixture) => {
        const a = await secondInstance(fixture, { accessTokenTtl: TTL })
        const b = await secondInstance(fixture, { accessTokenTtl: TTL })
        try {
          await runLifecycleModel(a, b, fixture.clock, modelRuns)
        } finally {
          await a.close()
          await b.close()
        }
      },
    )

    it(
      'a suspension blocks login, refresh and issue on every instance and rejects old tokens',
      {},
      async (fixture) => {
        const { auth } = fixture
        const other = await secondInstance(fixture)
        try {
          const before = await auth.startSession({ sub: 'mallory' })
          const events: string[] = []
          auth.on('user.suspended', (e) => events.push(`${e.sub}:${e.sessionsEnded}:${e.reason}`))
          const state = await auth.suspendUser('mallory', {
            reason: 'chargeback',
            actor: 'admin-1',
            awaitReplicas: true,
          })
          assert.equal(state.suspended, true)
          assert.equal(state.suspension?.reason, 'chargeback')
          assert.equal(state.suspension?.until, undefined)
          assert.deepEqual(events, ['mallory:1:chargeback'])
          for (const instance of [auth, other]) {
            await rejectsWith(instance.startSession({ sub: 'mallory' }), 'ERR_USER_SUSPENDED')
            await rejectsWith(instance.issue({ sub: 'mallory' }), 'ERR_USER_SUSPENDED')
            await rejectsWith(instance.verify(before.accessToken), 'ERR_TOKEN_REVOKED')
            assert.equal((await instance.getUserState('mallory')).suspended, true)
          }
          await refreshRefused(other, before, [
            'ERR_REFRESH_TOKEN_INVALID',
            'ERR_SESSION_REVOKED',
            'ERR_USER_SUSPENDED',
          ])
          // Another user is untouched.
          await other.verify((await other.startSession({ sub: 'alice' })).accessToken)
        } finally {
          await other.close()
        }
      },
    )

    it('a suspension lifts by itself at its "until"', {}, async (fixture) => {
      const { auth, clock } = fixture
      const other = await secondInstance(fixture)
      try {
        const until = clock() + 10 * MINUTE
        await auth.suspendUser('mallory', { until, awaitReplicas: true })
        const error = await other.startSession({ sub: 'mallory' }).catch((e: unknown) => e)
        assert.equal((error as { code?: string }).code, 'ERR_USER_SUSPENDED')
        assert.equal((error as { until?: Date }).until?.getTime(), until)
        clock.advance(10 * MINUTE - 1)
        await rejectsWith(other.issue({ sub: 'mallory' }), 'ERR_USER_SUSPENDED')
        clock.advance(1)
        for (const instance of [auth, other]) {
          const set = await instance.startSession({ sub: 'mallory' })
          await instance.verify(set.accessToken)
          await instance.verify(await instance.issue({ sub: 'mallory' }))
          assert.equal((await instance.getUserState('mallory')).suspended, false)
        }
      } finally {
        await other.close()
      }
    })

    it(
      'reinstating lifts a suspension; what the suspension ended stays ended',
      {},
      async (fixture) => {
        const { auth } = fixture
        const old = await auth.startSession({ sub: 'mallory' })
        await auth.suspendUser('mallory')
        const lifted: string[] = []
        auth.on('user.reinstated', (e) => lifted.push(e.sub))
        assert.equal(await auth.reinstateUser('mallory', { actor: 'admin-1' }), true)
        assert.equal(await auth.reinstateUser('mallory'), false)
        assert.deepEqual(lifted, ['mallory'])
        await rejectsWith(auth.verify(old.accessToken), 'ERR_TOKEN_REVOKED')
        const fresh = await auth.startSession({ sub: 'mallory' })
        await auth.verify(fresh.accessToken)
        assert.deepEqual(await auth.getUserState('mallory'), {
          sub: 'mallory',
          suspended: false,
          suspension: undefined,
          claimsChangedAt: undefined,
        })
      },
    )

    it(
      'a claims change rejects the old access token on a second instance; its refresh carries the new claims and the same sid',
      {},
      async (fixture) => {
        const roles = new Map([['alice', ['reader']]])
        const resolveClaims = ({ sub }: { sub: string }) => ({ roles: roles.get(sub) })
        const { store, clock } = fixture
        const first = await secondInstance(fixture, { resolveClaims })
        const other = await secondInstance(fixture, { resolveClaims })
        try {
          const set = await first.startSession({ sub: 'alice' })
          assert.deepEqual((await other.verify(set.accessToken)).roles, ['reader'])
          const bob = await first.startSession({ sub: 'bob' })
          roles.set('alice', ['reader', 'admin'])
          const changed: number[] = []
          first.on('claims.changed', (e) => changed.push(e.cutoff))
          const at = await first.markClaimsChanged('alice', { awaitReplicas: true })
          assert.deepEqual(changed, [at.getTime()])
          for (const instance of [first, other]) {
            await rejectsWith(instance.verify(set.accessToken), 'ERR_CLAIMS_CHANGED')
          }
          await other.verify(bob.accessToken) // only alice's tokens
          // Same millisecond as the change: the refreshed token is minted after it.
          assert.equal(clock(), at.getTime())
          const next = await other.refresh(set.refreshToken)
          assert.equal(next.session.id, set.session.id)
          for (const instance of [first, other]) {
            const claims = await instance.verify(next.accessToken)
            assert.deepEqual(claims.roles, ['reader', 'admin'])
            assert.equal(claims.sid, set.session.id)
          }
          // A login and a bare token in the same millisecond are accepted too.
          await other.verify((await first.startSession({ sub: 'alice' })).accessToken)
          await first.verify(await other.issue({ sub: 'alice' }))
          assert.equal((await other.getUserState('alice')).claimsChangedAt?.getTime(), +at)
          assert.ok(store)
        } finally {
          await first.close()
          await other.close()
        }
      },
    )

    it(
      'auth_time is set at login, kept by refresh, renewed by reauthenticate; maxAuthAge enforces it',
      {},
      async (fixture) => {
        const { auth, clock } = fixture
        const other = await secondInstance(fixture)
        try {
          const login = clock()
          const set = await auth.startSession({ sub: 'alice' })
          const claims = await other.verify(set.accessToken, { maxAuthAge: 300 })
          assert.equal(claims.auth_time, Math.floor(login / 1000))
          clock.advance(10 * MINUTE)
          const refreshed = await other.refresh(set.refreshToken)
          const stale = await other.verify(refreshed.accessToken)
          assert.equal(stale.auth_time, Math.floor(login / 1000))
          const error = await auth
            .verify(refreshed.accessToken, { maxAuthAge: 300 })
            .catch((e: unknown) => e)
          assert.equal((error as { code?: string }).code, 'ERR_INSUFFICIENT_USER_AUTHENTICATION')
          assert.equal((error as { maxAge?: number }).maxAge, 300)
          const events: number[] = []
          auth.on('session.reauthenticated', (e) => events.push(e.authTime))
          const again = await auth.reauthenticate(set.session.id)
          assert.deepEqual(events, [clock()])
          assert.equal(again.session.id, set.session.id)
          const fresh = await other.verify(again.accessToken, { maxAuthAge: 300 })
          assert.equal(fresh.auth_time, Math.floor(clock() / 1000))
          // The refresh token it replaced is spent: presenting it is reuse.
          await rejectsWith(auth.refresh(refreshed.refreshToken), 'ERR_REFRESH_TOKEN_REUSED')
          await rejectsWith(auth.reauthenticate(set.session.id), 'ERR_SESSION_NOT_FOUND')
          // A token without auth_time (issue()) never satisfies maxAuthAge.
          await rejectsWith(
            auth.verify(await auth.issue({ sub: 'alice' }), { maxAuthAge: 3600 }),
            'ERR_INSUFFICIENT_USER_AUTHENTICATION',
          )
        } finally {
          await other.close()
        }
      },
    )

    it(
      'reauthenticate keeps the token working and the new refresh token rotates',
      {},
      async ({ auth, clock }) => {
        const set = await auth.startSession({ sub: 'alice' })
        clock.advance(MINUTE)
        const again = await auth.reauthenticate(set.session.id)
        const next = await auth.refresh(again.refreshToken)
        assert.equal(next.session.id, set.session.id)
        assert.equal((await auth.verify(next.accessToken)).auth_time, Math.floor(clock() / 1000))
        await auth.verify(set.accessToken)
      },
    )

    it(
      "a deleted user's tokens stay rejected and every session record is gone",
      {},
      async (fixture) => {
        const { auth, store, clock } = fixture
        const other = await secondInstance(fixture)
        try {
          const a = await auth.startSession({ sub: 'dora' })
          const b = await other.startSession({ sub: 'dora' })
          const bare = await auth.issue({ sub: 'dora' })
          await auth.suspendUser('dora', { until: clock() + MINUTE })
          await auth.reinstateUser('dora')
          await auth.markClaimsChanged('dora')
          clock.advance(1)
          const c = await auth.startSession({ sub: 'dora' })
          const deleted: number[] = []
          auth.on('user.deleted', (e) => deleted.push(e.sessionsEnded))
          const result = await auth.deleteUser('dora', { awaitReplicas: true })
          assert.deepEqual(result, { sessionsEnded: 1 })
          assert.deepEqual(deleted, [1])
          for (const instance of [auth, other]) {
            for (const token of [a.accessToken, b.accessToken, c.accessToken, bare]) {
              await rejectsWith(instance.verify(token), 'ERR_TOKEN_REVOKED')
            }
            assert.deepEqual(await instance.listSessions('dora'), [])
          }
          for (const set of [a, b, c])
            assert.equal(await store.getSession(set.session.id), undefined)
          assert.deepEqual(await store.getUserState('dora'), {})
          await refreshRefused(other, c, ['ERR_REFRESH_TOKEN_INVALID', 'ERR_SESSION_REVOKED'])
          // The same sub may come back (the service frees the username): a new login works.
          clock.advance(1)
          await other.verify((await other.startSession({ sub: 'dora' })).accessToken)
        } finally {
          await other.close()
        }
      },
    )

    it(
      'an instance started after a suspension and a claims change knows both (a new replica loads them)',
      {},
      async (fixture) => {
        const { auth } = fixture
        const set = await auth.startSession({ sub: 'alice' })
        await auth.markClaimsChanged('alice')
        await auth.suspendUser('mallory')
        const late = await secondInstance(fixture)
        try {
          await rejectsWith(late.verify(set.accessToken), 'ERR_CLAIMS_CHANGED')
          await rejectsWith(late.issue({ sub: 'mallory' }), 'ERR_USER_SUSPENDED')
          await late.verify((await late.refresh(set.refreshToken)).accessToken)
          // A lifted suspension reaches a running replica too.
          await auth.reinstateUser('mallory', { awaitReplicas: true })
          fixture.clock.advance(1) // past the suspension's cutoff, which another instance set
          await late.verify(await late.issue({ sub: 'mallory' }))
        } finally {
          await late.close()
        }
      },
    )

    it(
      'deleteUser forgets every session record of a large account',
      {},
      async ({ auth, store }) => {
        // More sessions than one Redis script slice ends at once (50); redis-forget-user.test.ts
        // goes past the slice forgetUser deletes at once (200) and reads Redis itself.
        const sets: TokenSet[] = []
        for (let i = 0; i < 60; i += 1) sets.push(await auth.startSession({ sub: 'big' }))
        await auth.deleteUser('big')
        for (const set of sets) assert.equal(await store.getSession(set.session.id), undefined)
        assert.deepEqual(await auth.listSessions('big'), [])
        await rejectsWith(auth.verify((sets.at(-1) as TokenSet).accessToken), 'ERR_TOKEN_REVOKED')
      },
    )

    it('session.started carries the device and the IP', {}, async ({ auth }) => {
      const seen: unknown[] = []
      auth.on('session.started', (e) => seen.push([e.ip, e.device?.userAgent]))
      await auth.startSession({ sub: 'alice', device: { ip: '203.0.113.9', userAgent: 'curl' } })
      await auth.startSession({ sub: 'alice' })
      assert.deepEqual(seen, [
        ['203.0.113.9', 'curl'],
        [undefined, undefined],
      ])
    })

    it(
      'resolveClaims may not set a registered claim',
      { resolveClaims: () => ({ sub: 'x' }) },
      async ({ auth }) => {
        await assert.rejects(auth.startSession({ sub: 'alice' }), /registered claim "sub"/)
      },
    )

    it('suspendUser refuses an "until" in the past', {}, async ({ auth, clock }) => {
      await assert.rejects(auth.suspendUser('alice', { until: clock() }), TypeError)
      assert.equal((await auth.getUserState('alice')).suspended, false)
    })
  })
}
