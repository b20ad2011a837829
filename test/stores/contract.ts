/**
 * The store contract, executable: every store's test file calls `storeContract` with a factory,
 * and the same behaviours run against memory, SQLite, Redis and Redis Cluster. Tests drive the
 * stores through `Revocable` where the behaviour is the library's, and directly where it is the
 * store's own (atomicity, ordering, expiry).
 */
import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { describe, test } from 'node:test'
import { createRevocable, type Revocable, type RevocableOptions } from '../../src/index.js'
import { createRefreshToken, hashRefreshToken } from '../../src/sessions/refresh-token.js'
import type { RotationRequest } from '../../src/records/rotation.js'
import type { SessionRecord, Store } from '../../src/stores/store.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import { manualClock, type ManualClock } from '../support/clock.js'
import { parts } from '../support/forge.js'
import { runCutoffModel } from './cutoff-model.js'
import { lifecycleContract } from './lifecycle-contract.js'

export interface ContractStore {
  store: Store
  /** Drops whatever the store wrote (its key prefix, its file). */
  cleanup(): Promise<void>
}

export interface ContractOptions {
  /** Makes a fresh, empty store whose expiry follows `clock`. */
  makeStore(clock: ManualClock): Promise<ContractStore>
  /**
   * Whether moving `clock` makes the store forget expired entries. True for stores that take a
   * clock (memory, SQLite); Redis expires keys on its own time and checks TTLs in its own tests.
   */
  clockDrivesExpiry: boolean
  /** Interleavings the cutoff model tries (default 200). */
  modelRuns?: number
}

const SECOND = 1000
const DAY = 86_400 * SECOND

interface Fixture {
  auth: Revocable
  store: Store
  clock: ManualClock
}

export function storeContract(name: string, contract: ContractOptions): void {
  /** Runs `body` with a Revocable on a fresh store, then cleans up. */
  async function withAuth(
    options: Partial<RevocableOptions>,
    body: (fixture: Fixture) => Promise<void>,
  ): Promise<void> {
    const clock = manualClock()
    const { store, cleanup } = await contract.makeStore(clock)
    let auth: Revocable | undefined
    try {
      auth = await createRevocable({
        issuer: ISSUER,
        audience: AUDIENCE,
        keys: [{ secret: HMAC_SECRET, kid: 'contract' }],
        clock,
        store,
        clockTolerance: 0,
        ...options,
      })
      await body({ auth, store, clock })
    } finally {
      await auth?.close()
      await cleanup()
    }
  }
  const it = (
    title: string,
    options: Partial<RevocableOptions>,
    body: (f: Fixture) => Promise<void>,
  ) => test(title, () => withAuth(options, body))
  const expiryIt = contract.clockDrivesExpiry
    ? it
    : (title: string, ..._rest: unknown[]) => test.skip(title)

  describe(`${name} store contract`, () => {
    describe('revoking one token', () => {
      it(
        'a revoked token is rejected and a sibling of the same session is not',
        {},
        async ({ auth }) => {
          const token = await auth.issue({ sub: 'alice', sid: undefined })
          const sibling = await auth.issue({ sub: 'alice' })
          await auth.revokeToken(token)
          await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'token' })
          assert.equal((await auth.verify(sibling)).sub, 'alice')
        },
      )

      it('a token revoked by its bare jti is rejected', {}, async ({ auth }) => {
        const token = await auth.issue({ sub: 'alice' })
        await auth.revokeToken(parts(token).payload.jti as string)
        await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'token' })
      })

      expiryIt(
        'the jti entry expires when the token would have expired',
        { accessTokenTtl: 60 },
        async ({ auth, store, clock }) => {
          const token = await auth.issue({ sub: 'alice' })
          const jti = parts(token).payload.jti as string
          await auth.revokeToken(token)
          const query = { now: clock(), jti, sid: 'x', sub: 'x', kid: 'x' }
          clock.advance(60 * SECOND - 1)
          assert.equal((await store.checkRevocation({ ...query, now: clock() })).jtiRevoked, true)
          clock.advance(1)
          assert.equal((await store.checkRevocation({ ...query, now: clock() })).jtiRevoked, false)
        },
      )

      it(
        'revoking an expired token writes nothing and does not throw',
        { accessTokenTtl: 60 },
        async ({ auth, store, clock }) => {
          const token = await auth.issue({ sub: 'alice' })
          clock.advance(60 * SECOND)
          await auth.revokeToken(token)
          const jti = parts(token).payload.jti as string
          const status = await store.checkRevocation({
            now: clock(),
            jti,
            sid: 'x',
            sub: 'x',
            kid: 'x',
          })
          assert.equal(status.jtiRevoked, false)
        },
      )

      it(
        'a token is accepted until exp and rejected from exp on',
        { accessTokenTtl: 60 },
        async ({ auth, clock }) => {
          const token = await auth.issue({ sub: 'alice' })
          clock.advance(60 * SECOND - 1)
          assert.equal((await auth.verify(token)).sub, 'alice')
          clock.advance(1)
          await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_EXPIRED' })
        },
      )
    })

    describe('revoking a session', () => {
      it(
        'every token of a revoked session is rejected, other sessions are not',
        {},
        async ({ auth }) => {
          const a1 = await auth.issue({ sub: 'alice', sid: 'phone' })
          const a2 = await auth.issue({ sub: 'alice', sid: 'phone' })
          const other = await auth.issue({ sub: 'alice', sid: 'laptop' })
          await auth.revokeSession('phone')
          for (const token of [a1, a2]) {
            await assert.rejects(auth.verify(token), {
              code: 'ERR_TOKEN_REVOKED',
              reason: 'session',
            })
          }
          assert.equal((await auth.verify(other)).sid, 'laptop')
        },
      )

      it('a revoked session cannot be issued new tokens', {}, async ({ auth }) => {
        await auth.revokeSession('phone')
        await assert.rejects(auth.issue({ sub: 'alice', sid: 'phone' }), {
          code: 'ERR_SESSION_REVOKED',
        })
      })
    })

    describe('revoking a user', () => {
      it(
        'tokens issued at or before the cutoff are rejected, later ones work',
        {},
        async ({ auth, clock }) => {
          const before = await auth.issue({ sub: 'alice' })
          const bob = await auth.issue({ sub: 'bob' })
          clock.advance(400)
          await auth.revokeUser('alice')
          await assert.rejects(auth.verify(before), { code: 'ERR_TOKEN_REVOKED', reason: 'user' })
          assert.equal((await auth.verify(bob)).sub, 'bob')
          const after = await auth.issue({ sub: 'alice' })
          assert.equal((await auth.verify(after)).sub, 'alice')
        },
      )

      it('a login in the same millisecond as revokeUser still works', {}, async ({ auth }) => {
        const old = await auth.issue({ sub: 'alice' })
        await auth.revokeUser('alice') // the manual clock has not moved
        const fresh = await auth.issue({ sub: 'alice' })
        await assert.rejects(auth.verify(old), { code: 'ERR_TOKEN_REVOKED', reason: 'user' })
        assert.equal((await auth.verify(fresh)).sub, 'alice')
      })

      it(
        'a login later in the same second as revokeUser still works',
        {},
        async ({ auth, clock }) => {
          await auth.revokeUser('alice')
          clock.advance(1)
          const fresh = await auth.issue({ sub: 'alice' })
          assert.equal(parts(fresh).payload.iat, Math.floor(clock() / 1000))
          assert.equal((await auth.verify(fresh)).sub, 'alice')
        },
      )

      it('the "before" cutoff is inclusive to the millisecond', {}, async ({ auth, clock }) => {
        const atCutoff = await auth.issue({ sub: 'alice' })
        const cutoff = clock()
        clock.advance(1)
        const afterCutoff = await auth.issue({ sub: 'alice' })
        clock.advance(1)
        await auth.revokeUser('alice', { before: new Date(cutoff) })
        await assert.rejects(auth.verify(atCutoff), { code: 'ERR_TOKEN_REVOKED', reason: 'user' })
        assert.equal((await auth.verify(afterCutoff)).sub, 'alice')
      })

      it('an earlier cutoff never lowers a later one', {}, async ({ auth, clock }) => {
        const token = await auth.issue({ sub: 'alice' })
        clock.advance(10)
        await auth.revokeUser('alice')
        await auth.revokeUser('alice', { before: clock() - 50 })
        await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'user' })
      })

      it(
        'revokeUser ends every session of the user, and only those started by the cutoff',
        {},
        async ({ auth, clock }) => {
          const old = await auth.startSession({ sub: 'alice' })
          const bobs = await auth.startSession({ sub: 'bob' })
          clock.advance(10)
          const cutoff = clock()
          clock.advance(10)
          const newer = await auth.startSession({ sub: 'alice' })
          await auth.revokeUser('alice', { before: cutoff })
          await assert.rejects(auth.refresh(old.refreshToken), {
            code: 'ERR_REFRESH_TOKEN_INVALID',
          })
          assert.ok(await auth.refresh(newer.refreshToken))
          assert.ok(await auth.refresh(bobs.refreshToken))
          assert.deepEqual(
            (await auth.listSessions('alice')).map((s) => s.id),
            [newer.session.id],
          )
        },
      )

      expiryIt(
        'the user cutoff entry expires once every token it denies has expired',
        { maxAccessTokenTtl: 600 },
        async ({ auth, store, clock }) => {
          await auth.revokeUser('alice')
          const cutoff = clock()
          const query = { jti: 'x', sid: 'x', sub: 'alice', kid: 'x' }
          clock.advance(600 * SECOND - 1)
          assert.equal((await store.checkRevocation({ ...query, now: clock() })).userCutoff, cutoff)
          clock.advance(1)
          assert.equal(
            (await store.checkRevocation({ ...query, now: clock() })).userCutoff,
            undefined,
          )
        },
      )
    })

    describe('revoking everything', () => {
      it(
        'every token issued until now is rejected; a login in the same millisecond works',
        {},
        async ({ auth, clock }) => {
          const a = await auth.issue({ sub: 'alice' })
          clock.advance(5)
          const b = await auth.issue({ sub: 'bob' })
          await auth.revokeAll()
          for (const token of [a, b]) {
            await assert.rejects(auth.verify(token), {
              code: 'ERR_TOKEN_REVOKED',
              reason: 'global',
            })
          }
          const fresh = await auth.issue({ sub: 'alice' })
          assert.equal((await auth.verify(fresh)).sub, 'alice')
        },
      )

      it(
        'revokeAll keeps the keys and ends every session started before it',
        {},
        async ({ auth }) => {
          const kids = auth.jwks()
          const { refreshToken } = await auth.startSession({ sub: 'alice' })
          await auth.revokeAll()
          assert.deepEqual(auth.jwks(), kids)
          await assert.rejects(auth.refresh(refreshToken), { code: 'ERR_SESSION_REVOKED' })
          assert.deepEqual(await auth.listSessions('alice'), [])
        },
      )
    })

    describe('allowlist mode', () => {
      it(
        'a token is good only while its session is active',
        { mode: 'allowlist' },
        async ({ auth }) => {
          const token = await auth.issue({ sub: 'alice' })
          assert.equal((await auth.verify(token)).sub, 'alice')
          await auth.revokeSession(parts(token).payload.sid as string)
          await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED' })
        },
      )

      it(
        'a session id the store does not hold cannot be issued tokens',
        { mode: 'allowlist' },
        async ({ auth }) => {
          await assert.rejects(auth.issue({ sub: 'alice', sid: 'made-up' }), {
            code: 'ERR_SESSION_NOT_FOUND',
          })
        },
      )

      it(
        'a token of a session that has expired is rejected as inactive',
        { mode: 'allowlist', sessionIdleTtl: 3600, accessTokenTtl: 600, maxAccessTokenTtl: 86_400 },
        async ({ auth, clock }) => {
          const { accessToken } = await auth.startSession({ sub: 'alice' })
          clock.advance(300 * SECOND)
          assert.equal((await auth.verify(accessToken)).sub, 'alice')
          const { session } = await auth.startSession({ sub: 'bob' })
          clock.set(session.expiresAt.getTime())
          const bobs = await auth
            .issue({ sub: 'bob', sid: session.id })
            .catch((e: { code: string }) => e.code)
          assert.equal(bobs, 'ERR_SESSION_NOT_FOUND')
        },
      )

      it(
        'tokens of sessions started with startSession verify, and stop when it ends',
        { mode: 'allowlist' },
        async ({ auth }) => {
          const { accessToken, session } = await auth.startSession({ sub: 'alice' })
          assert.equal((await auth.verify(accessToken)).sid, session.id)
          await auth.endSession(session.id)
          await assert.rejects(auth.verify(accessToken), { code: 'ERR_TOKEN_REVOKED' })
        },
      )
    })

    describe('keys in the store', () => {
      test('a generated key is shared by every instance on the store', async () => {
        const clock = manualClock()
        const { store, cleanup } = await contract.makeStore(clock)
        try {
          const keyEncryptionKey = randomBytes(32)
          const options = { issuer: ISSUER, audience: AUDIENCE, clock, store, keyEncryptionKey }
          const first = await createRevocable(options)
          const second = await createRevocable(options)
          assert.deepEqual(second.jwks(), first.jwks())
          const token = await first.issue({ sub: 'alice' })
          assert.equal((await second.verify(token)).sub, 'alice')
          await Promise.all([first.close(), second.close()])
        } finally {
          await cleanup()
        }
      })

      it('a stored key is kept as it was first added', {}, async ({ store }) => {
        const jwk = { kty: 'oct', k: 'AAAA' }
        await store.addKey({ kid: 'k1', alg: 'HS256', jwk, createdAt: 1 })
        await store.addKey({
          kid: 'k1',
          alg: 'HS256',
          jwk: { kty: 'oct', k: 'BBBB' },
          createdAt: 2,
        })
        const stored = (await store.listKeys()).find((key) => key.kid === 'k1')
        assert.deepEqual(stored, { kid: 'k1', alg: 'HS256', jwk, createdAt: 1 })
      })

      it('a key record keeps its seal, schedule and origin', {}, async ({ store }) => {
        const record = {
          kid: 'k2',
          alg: 'ES256',
          jwk: { kty: 'EC', crv: 'P-256', x: 'X', y: 'Y' },
          createdAt: 5,
          activatesAt: 65,
          sealed: { v: 1 as const, kek: 'id', dek: 'a.b.c', data: 'd.e.f' },
        }
        await store.addKey(record)
        await store.addKey({ ...record, kid: 'k3', origin: 'config', sealed: undefined })
        const stored = await store.listKeys()
        assert.deepEqual(
          stored.find((key) => key.kid === 'k2'),
          record,
        )
        assert.equal(stored.find((key) => key.kid === 'k3')?.origin, 'config')
      })

      it('replaceKey overwrites a key record', {}, async ({ store }) => {
        await store.addKey({
          kid: 'k4',
          alg: 'HS256',
          jwk: { kty: 'oct', k: 'AAAA' },
          createdAt: 1,
        })
        const sealed = { v: 1 as const, kek: 'id', dek: 'a.b.c', data: 'd.e.f' }
        await store.replaceKey({
          kid: 'k4',
          alg: 'HS256',
          jwk: { kty: 'oct' },
          createdAt: 1,
          sealed,
        })
        assert.deepEqual(
          (await store.listKeys()).find((key) => key.kid === 'k4'),
          { kid: 'k4', alg: 'HS256', jwk: { kty: 'oct' }, createdAt: 1, sealed },
        )
      })

      it('a lease is held by one owner at a time', {}, async ({ store }) => {
        const answers = await Promise.all(
          ['a', 'b', 'c', 'd'].map((owner) => store.acquireLease('step-1', owner, 60_000)),
        )
        assert.equal(answers.filter(Boolean).length, 1)
        const owner = ['a', 'b', 'c', 'd'][answers.indexOf(true)] as string
        assert.equal(await store.acquireLease('step-1', owner, 60_000), true)
        assert.equal(await store.acquireLease('step-2', 'e', 60_000), true)
      })

      expiryIt('an expired lease can be taken by another owner', {}, async ({ store, clock }) => {
        assert.equal(await store.acquireLease('step', 'a', 1000), true)
        clock.advance(999)
        assert.equal(await store.acquireLease('step', 'b', 1000), false)
        clock.advance(1)
        assert.equal(await store.acquireLease('step', 'b', 1000), true)
      })

      it(
        'a retired kid is listed and reported by the revocation check',
        {},
        async ({ store, clock }) => {
          await store.retireKey('k1')
          assert.deepEqual(await store.listRetiredKids(), ['k1'])
          const status = await store.checkRevocation({
            now: clock(),
            jti: 'j',
            sid: 's',
            sub: 'u',
            kid: 'k1',
          })
          assert.equal(status.kidRetired, true)
        },
      )

      it(
        'an unknown entry of every kind is reported as not revoked',
        {},
        async ({ store, clock }) => {
          const status = await store.checkRevocation({
            now: clock(),
            jti: 'j',
            sid: 's',
            sub: 'u',
            kid: 'k',
          })
          assert.deepEqual(status, {
            jtiRevoked: false,
            sessionRevoked: false,
            userCutoff: undefined,
            epoch: undefined,
            kidRetired: false,
            sessionActive: false,
            userSuspended: false,
            claimsCutoff: undefined,
          })
        },
      )
    })

    sessionContract(it, expiryIt, withAuth)
    cutoffContract(it, contract)
    lifecycleContract(it, Math.max(10, Math.floor((contract.modelRuns ?? 200) / 4)))
  })
}

type It = (
  title: string,
  options: Partial<RevocableOptions>,
  body: (f: Fixture) => Promise<void>,
) => void

function sessionContract(
  it: It,
  expiryIt: It,
  withAuth: (
    options: Partial<RevocableOptions>,
    body: (f: Fixture) => Promise<void>,
  ) => Promise<void>,
): void {
  describe('sessions and refresh tokens', () => {
    it(
      'startSession returns a working access token, a refresh token and the session',
      {},
      async ({ auth, clock }) => {
        const set = await auth.startSession({
          sub: 'alice',
          clientId: 'web',
          scope: ['read', 'write'],
          device: { userAgent: 'Firefox', ip: '127.0.0.1', label: 'laptop' },
        })
        assert.match(set.refreshToken, /^rvk_rt_[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/)
        assert.equal(set.tokenType, 'Bearer')
        assert.equal(set.expiresIn, auth.options.accessTokenTtl)
        const claims = await auth.verify(set.accessToken)
        assert.equal(claims.sid, set.session.id)
        assert.equal(claims.client_id, 'web')
        assert.equal(claims.scope, 'read write')
        assert.deepEqual(set.session.device, {
          userAgent: 'Firefox',
          ip: '127.0.0.1',
          label: 'laptop',
        })
        assert.equal(set.session.createdAt.getTime(), clock())
      },
    )

    it('the store keeps only a hash of the refresh token', {}, async ({ auth, store }) => {
      const set = await auth.startSession({ sub: 'alice' })
      const record = await store.getSession(set.session.id)
      assert.ok(record)
      assert.ok(!JSON.stringify(record).includes(set.refreshToken.slice(-43)))
      assert.equal(record.refreshHash, hashRefreshToken(set.refreshToken))
    })

    it(
      'refresh rotates: a new pair, the old refresh token spent, last use moved',
      {},
      async ({ auth, clock }) => {
        const first = await auth.startSession({ sub: 'alice' })
        clock.advance(30 * SECOND)
        const second = await auth.refresh(first.refreshToken)
        assert.notEqual(second.refreshToken, first.refreshToken)
        assert.equal(second.session.id, first.session.id)
        assert.equal(second.session.lastUsedAt.getTime(), clock())
        assert.equal((await auth.verify(second.accessToken)).sid, first.session.id)
        const third = await auth.refresh(second.refreshToken)
        assert.equal(third.session.id, first.session.id)
      },
    )

    it(
      'reuse of a spent refresh token kills the whole family and its access tokens',
      { refreshRetryWindow: 0 },
      async ({ auth }) => {
        const events: string[] = []
        auth.on('refresh.reuse_detected', (e) => events.push(`reuse:${e.sid}`))
        auth.on('session.ended', (e) => events.push(`ended:${e.cause}`))
        const first = await auth.startSession({ sub: 'alice' })
        const second = await auth.refresh(first.refreshToken)
        await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
        await assert.rejects(auth.refresh(second.refreshToken), {
          code: 'ERR_REFRESH_TOKEN_INVALID',
        })
        for (const token of [first.accessToken, second.accessToken]) {
          await assert.rejects(auth.verify(token), { code: 'ERR_TOKEN_REVOKED', reason: 'session' })
        }
        assert.deepEqual(events, [`reuse:${first.session.id}`, 'ended:reuse-detected'])
      },
    )

    it(
      'within reuseGrace the previous token may be retried once more, two back kills',
      { reuseGrace: 10 },
      async ({ auth, clock }) => {
        const first = await auth.startSession({ sub: 'alice' })
        const second = await auth.refresh(first.refreshToken) // response "lost"
        clock.advance(10 * SECOND)
        const retried = await auth.refresh(first.refreshToken) // at the edge of the window
        assert.equal(retried.session.id, first.session.id)
        const third = await auth.refresh(retried.refreshToken)
        // `first` is now two generations back: always reuse.
        await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
        await assert.rejects(auth.refresh(third.refreshToken), {
          code: 'ERR_REFRESH_TOKEN_INVALID',
        })
        await assert.rejects(auth.verify(second.accessToken), { code: 'ERR_TOKEN_REVOKED' })
      },
    )

    it(
      'the previous token just after the grace window counts as reuse',
      { reuseGrace: 10 },
      async ({ auth, clock }) => {
        const first = await auth.startSession({ sub: 'alice' })
        await auth.refresh(first.refreshToken)
        clock.advance(10 * SECOND + 1)
        await assert.rejects(auth.refresh(first.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
      },
    )

    it(
      'the token a grace retry replaced is spent: presenting it kills the family',
      { reuseGrace: 10, refreshRetryWindow: 0 },
      async ({ auth }) => {
        const first = await auth.startSession({ sub: 'alice' })
        const lost = await auth.refresh(first.refreshToken)
        await auth.refresh(first.refreshToken)
        await assert.rejects(auth.refresh(lost.refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
      },
    )

    it(
      '100 concurrent refreshes with one token: one rotation, every answer carries the same heir',
      {},
      async ({ auth }) => {
        const { refreshToken } = await auth.startSession({ sub: 'alice' })
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, () => auth.refresh(refreshToken)),
        )
        const heirs = new Set(
          results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.refreshToken] : [])),
        )
        assert.equal(heirs.size, 1)
        for (const r of results) {
          if (r.status === 'rejected') assert.equal(r.reason.code, 'ERR_STORE_UNAVAILABLE')
        }
        const [heir] = heirs as Set<string>
        const next = await auth.refresh(heir as string)
        // The heir was used: the original token is now a true reuse.
        await assert.rejects(auth.refresh(refreshToken), { code: 'ERR_REFRESH_TOKEN_REUSED' })
        await assert.rejects(auth.verify(next.accessToken), { code: 'ERR_TOKEN_REVOKED' })
      },
    )

    it(
      '100 concurrent refreshes with one token: exactly one succeeds',
      { refreshRetryWindow: 0 },
      async ({ auth }) => {
        const { refreshToken } = await auth.startSession({ sub: 'alice' })
        const results = await Promise.allSettled(
          Array.from({ length: 100 }, () => auth.refresh(refreshToken)),
        )
        const succeeded = results.filter((r) => r.status === 'fulfilled')
        assert.equal(succeeded.length, 1)
        for (const r of results) {
          if (r.status === 'rejected') {
            assert.ok(
              ['ERR_REFRESH_TOKEN_REUSED', 'ERR_REFRESH_TOKEN_INVALID'].includes(r.reason.code),
              r.reason.code,
            )
          }
        }
      },
    )

    it(
      'a refresh token presented by another client is rejected and the session survives',
      {},
      async ({ auth }) => {
        const set = await auth.startSession({ sub: 'alice', clientId: 'web' })
        await assert.rejects(auth.refresh(set.refreshToken, { clientId: 'evil' }), {
          code: 'ERR_CLIENT_MISMATCH',
        })
        await assert.rejects(auth.refresh(set.refreshToken), { code: 'ERR_CLIENT_MISMATCH' })
        assert.ok(await auth.refresh(set.refreshToken, { clientId: 'web' }))
      },
    )

    it(
      'an unknown or malformed refresh token is rejected without touching any session',
      {},
      async ({ auth }) => {
        const set = await auth.startSession({ sub: 'alice' })
        const forged = `rvk_rt_${set.session.id}.${'A'.repeat(43)}`
        for (const token of [forged, 'nope', '', `rvk_rt_${set.session.id}.short`]) {
          await assert.rejects(auth.refresh(token), { code: 'ERR_REFRESH_TOKEN_INVALID' })
        }
        assert.ok(await auth.refresh(set.refreshToken))
      },
    )

    it(
      'idle timeout: a refresh just before it works, at it the session has expired',
      { sessionIdleTtl: 3600 },
      async ({ auth, clock }) => {
        const first = await auth.startSession({ sub: 'alice' })
        clock.advance(3600 * SECOND - 1)
        const second = await auth.refresh(first.refreshToken) // slides the window
        clock.advance(3600 * SECOND - 1)
        const third = await auth.refresh(second.refreshToken)
        clock.advance(3600 * SECOND)
        await assert.rejects(auth.refresh(third.refreshToken), { code: 'ERR_SESSION_EXPIRED' })
      },
    )

    it(
      'absolute lifetime: refreshing does not extend it',
      { sessionIdleTtl: 3600, sessionMaxAge: 3 * 3600 },
      async ({ auth, clock }) => {
        let set = await auth.startSession({ sub: 'alice' })
        for (let i = 0; i < 3; i += 1) {
          clock.advance(3600 * SECOND - 1)
          set = await auth.refresh(set.refreshToken)
        }
        assert.equal(
          set.session.expiresAt.getTime(),
          set.session.createdAt.getTime() + 3 * 3600 * SECOND,
        )
        clock.set(set.session.createdAt.getTime() + 3 * 3600 * SECOND)
        await assert.rejects(auth.refresh(set.refreshToken), { code: 'ERR_SESSION_EXPIRED' })
      },
    )

    it(
      'listSessions shows active sessions, most recently used first, with the current flag',
      {},
      async ({ auth, clock }) => {
        const phone = await auth.startSession({ sub: 'alice', device: { label: 'phone' } })
        clock.advance(SECOND)
        const laptop = await auth.startSession({ sub: 'alice', device: { label: 'laptop' } })
        clock.advance(SECOND)
        await auth.refresh(phone.refreshToken)
        await auth.startSession({ sub: 'bob' })
        const list = await auth.listSessions('alice', { currentSid: laptop.session.id })
        assert.deepEqual(
          list.map((s) => [s.device?.label, s.current]),
          [
            ['phone', false],
            ['laptop', true],
          ],
        )
      },
    )

    it(
      'endSession ends one session; endOtherSessions ends all but the one kept',
      {},
      async ({ auth }) => {
        const a = await auth.startSession({ sub: 'alice' })
        const b = await auth.startSession({ sub: 'alice' })
        const c = await auth.startSession({ sub: 'alice' })
        await auth.endSession(a.session.id)
        await assert.rejects(auth.refresh(a.refreshToken), { code: 'ERR_REFRESH_TOKEN_INVALID' })
        assert.equal(await auth.endOtherSessions('alice', c.session.id), 1)
        await assert.rejects(auth.verify(b.accessToken), { code: 'ERR_TOKEN_REVOKED' })
        assert.deepEqual(
          (await auth.listSessions('alice')).map((s) => s.id),
          [c.session.id],
        )
      },
    )

    it(
      'at the per-user cap the least recently used session is evicted',
      { maxSessionsPerUser: 2 },
      async ({ auth, clock }) => {
        const ended: string[] = []
        auth.on('session.ended', (e) => ended.push(`${e.cause}:${e.sid}`))
        const a = await auth.startSession({ sub: 'alice' })
        clock.advance(SECOND)
        const b = await auth.startSession({ sub: 'alice' })
        clock.advance(SECOND)
        await auth.refresh(a.refreshToken) // a is now more recently used than b
        clock.advance(SECOND)
        const c = await auth.startSession({ sub: 'alice' })
        assert.deepEqual(ended, [`evicted:${b.session.id}`])
        await assert.rejects(auth.verify(b.accessToken), { code: 'ERR_TOKEN_REVOKED' })
        const ids = (await auth.listSessions('alice')).map((s) => s.id).sort()
        assert.deepEqual(ids, [a.session.id, c.session.id].sort())
      },
    )

    it(
      'at the cap with sessionLimitAction "refuse", the new session is refused',
      { maxSessionsPerUser: 1, sessionLimitAction: 'refuse' },
      async ({ auth }) => {
        const a = await auth.startSession({ sub: 'alice' })
        await assert.rejects(auth.startSession({ sub: 'alice' }), { code: 'ERR_SESSION_LIMIT' })
        assert.ok(await auth.refresh(a.refreshToken))
        assert.ok(await auth.startSession({ sub: 'bob' }))
      },
    )

    it('events carry who, what, when and why', {}, async ({ auth, clock }) => {
      const seen: unknown[] = []
      auth.on('session.started', (e) => seen.push(['started', e.sub, e.at]))
      auth.on('token.revoked', (e) =>
        seen.push(['revoked', e.kind, e.sub, e.actor, e.reason, e.at]),
      )
      auth.on('session.ended', (e) => seen.push(['ended', e.cause, e.sub, e.actor, e.reason]))
      await auth.startSession({ sub: 'alice' })
      await auth.revokeUser('alice', { actor: 'admin-1', reason: 'password changed' })
      assert.deepEqual(seen, [
        ['started', 'alice', clock()],
        ['revoked', 'user', 'alice', 'admin-1', 'password changed', clock()],
        ['ended', 'user-revoked', 'alice', 'admin-1', 'password changed'],
      ])
    })

    expiryIt(
      'the store forgets a session after it expires and its retention passes',
      { sessionIdleTtl: 3600 },
      async ({ auth, store, clock }) => {
        const set = await auth.startSession({ sub: 'alice' })
        clock.advance(3600 * SECOND)
        assert.ok(await store.getSession(set.session.id))
        clock.advance(DAY)
        assert.equal(await store.getSession(set.session.id), undefined)
      },
    )
  })

  describe('refresh rotation in the store', () => {
    test('concurrent rotations of one token: exactly one rotates, the rest see reuse', () =>
      withAuth({}, async ({ auth, store, clock }) => {
        const set = await auth.startSession({ sub: 'alice' })
        const presented = hashRefreshToken(set.refreshToken)
        const requests: RotationRequest[] = Array.from({ length: 50 }, () => ({
          sid: set.session.id,
          presentedHash: presented,
          newHash: createRefreshToken(set.session.id).hash,
          clientId: undefined,
          now: clock(),
          reuseGraceMs: 0,
          idleTtlMs: DAY,
          retentionMs: DAY,
          revocationExpiresAt: clock() + DAY,
        }))
        const outcomes = await Promise.all(requests.map((r) => store.rotateRefreshToken(r)))
        const counts = new Map<string, number>()
        for (const { outcome } of outcomes) counts.set(outcome, (counts.get(outcome) ?? 0) + 1)
        assert.equal(counts.get('rotated'), 1)
        assert.equal((counts.get('reused') ?? 0) + (counts.get('unknown') ?? 0), 49)
      }))

    test('a session record round-trips through the store unchanged', () =>
      withAuth({}, async ({ store, clock }) => {
        const record: SessionRecord = {
          sid: 's1',
          sub: 'alice',
          clientId: 'web',
          scope: 'read',
          claims: { tenant: 't1', roles: ['a', 'b'] },
          device: { userAgent: 'UA', ip: '::1', label: 'desk' },
          createdAt: clock(),
          lastUsedAt: clock(),
          expiresAt: clock() + DAY,
          absoluteExpiresAt: clock() + 2 * DAY,
          purgeAt: clock() + 3 * DAY,
          refreshHash: 'h1',
          rotatedAt: clock(),
          spentHashes: ['h0'],
        }
        const limit = {
          max: Infinity,
          onLimit: 'evict' as const,
          now: clock(),
          revocationExpiresAt: clock() + DAY,
        }
        assert.deepEqual(await store.createSession(record, limit), { created: true, evicted: [] })
        assert.deepEqual(await store.getSession('s1'), record)
        assert.deepEqual(await store.listSessions('alice', clock()), [record])
        assert.deepEqual(await store.revokeSession('s1', clock() + DAY), record)
        assert.equal(await store.getSession('s1'), undefined)
      }))
  })
}

/** A refresh of a dead session: revoked, or already ended and forgotten. */
function isDeadSession(error: { code?: string }): boolean {
  return error.code === 'ERR_SESSION_REVOKED' || error.code === 'ERR_REFRESH_TOKEN_INVALID'
}

/** The cutoff rule of records/cutoff.ts, raced: deterministic cases, then the model. */
function cutoffContract(it: It, contract: ContractOptions): void {
  describe('the cutoff rule (log out everywhere wins every race)', () => {
    it('a login racing revokeUser keeps no working session', {}, async ({ auth }) => {
      for (let trial = 0; trial < 20; trial += 1) {
        const sub = `race-${trial}`
        const [login] = await Promise.allSettled([auth.startSession({ sub }), auth.revokeUser(sub)])
        if (login.status === 'fulfilled') {
          await assert.rejects(auth.verify(login.value.accessToken), {
            code: 'ERR_TOKEN_REVOKED',
          })
          await assert.rejects(auth.refresh(login.value.refreshToken), isDeadSession)
        }
        assert.deepEqual(await auth.listSessions(sub), [])
      }
    })

    it(
      "another user's revocation in the same millisecond does not shield a login from its own",
      {},
      async ({ auth }) => {
        await auth.revokeUser('a')
        const login = auth.startSession({ sub: 'b' })
        await auth.revokeUser('b')
        const outcome = await login.then(
          (set) => set,
          (error: { code?: string }) => error.code,
        )
        if (typeof outcome === 'object') {
          await assert.rejects(auth.verify(outcome.accessToken), { code: 'ERR_TOKEN_REVOKED' })
          await assert.rejects(auth.refresh(outcome.refreshToken), isDeadSession)
        } else assert.equal(outcome, 'ERR_SESSION_REVOKED')
        assert.deepEqual(await auth.listSessions('b'), [])
      },
    )

    it(
      'a login that begins after revokeUser resolved works at once, in the same millisecond',
      {},
      async ({ auth }) => {
        await auth.startSession({ sub: 'dave' })
        await auth.revokeUser('dave')
        const login = await auth.startSession({ sub: 'dave' })
        assert.equal((await auth.verify(login.accessToken)).sub, 'dave')
        const next = await auth.refresh(login.refreshToken)
        assert.equal((await auth.verify(next.accessToken)).sub, 'dave')
        await auth.revokeAll()
        const again = await auth.startSession({ sub: 'dave' })
        assert.equal((await auth.verify(again.accessToken)).sub, 'dave')
      },
    )

    test('no interleaving of logins, refreshes, revocations and verifies breaks the rule or gives a rotation two heirs', async () => {
      const clock = manualClock()
      const { store, cleanup } = await contract.makeStore(clock)
      try {
        await runCutoffModel(store, clock, contract.modelRuns ?? 200)
      } finally {
        await cleanup()
      }
    })
  })
}
