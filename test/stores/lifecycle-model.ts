/**
 * The lifecycle verbs (issue #15) against a plain reference model, with fast-check: random
 * sequences of startSession, refresh, issue, suspendUser (with and without `until`),
 * reinstateUser, markClaimsChanged, reauthenticate, deleteUser, revokeSession and the clock
 * moving; after every step, `verify` (with and without `maxAuthAge`) on every token ever minted,
 * on both instances, must give the verdict the model gives. The store contract runs it on every
 * store; on Redis the second instance answers from its replica.
 *
 * The model knows nothing of stores, feeds or cutoff machinery: a user has a suspension, a claims
 * change instant and a revocation instant; a session is alive or not; a token is judged by when
 * it was minted. The clock moves at least 1 ms between steps, so no two steps share an instant
 * (same-millisecond ordering has its own tests in lifecycle-contract.ts).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import type { Revocable } from '../../src/index.js'
import type { ManualClock } from '../support/clock.js'

/** accessTokenTtl the instances must be made with (seconds). */
export const TTL = 60
const MAX_AUTH_AGE = 10

type Step =
  | { kind: 'start'; user: number }
  | { kind: 'refresh'; pick: number }
  | { kind: 'issue'; user: number }
  | { kind: 'suspend'; user: number; forMs: number | undefined }
  | { kind: 'reinstate'; user: number }
  | { kind: 'claims'; user: number }
  | { kind: 'reauthenticate'; pick: number }
  | { kind: 'delete'; user: number }
  | { kind: 'revokeSession'; pick: number }

const USERS = 2

const stepArbitrary: fc.Arbitrary<{ step: Step; advanceMs: number }> = fc.record({
  step: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({ kind: fc.constant('start' as const), user: fc.nat(USERS - 1) }),
    },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('refresh' as const), pick: fc.nat(9) }) },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('issue' as const), user: fc.nat(USERS - 1) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('suspend' as const),
        user: fc.nat(USERS - 1),
        forMs: fc.option(fc.integer({ min: 1, max: 40_000 }), { nil: undefined }),
      }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('reinstate' as const), user: fc.nat(USERS - 1) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('claims' as const), user: fc.nat(USERS - 1) }),
    },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('reauthenticate' as const), pick: fc.nat(9) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('delete' as const), user: fc.nat(USERS - 1) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('revokeSession' as const), pick: fc.nat(9) }),
    },
  ),
  advanceMs: fc.oneof(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1000, max: 20_000 })),
})

interface ModelUser {
  /** Suspended until (ms; Infinity: until reinstated); undefined: not suspended. */
  suspendedUntil: number | undefined
  claimsChangedAt: number | undefined
  /** Sessions and tokens that began at or before it are dead. */
  revokedAt: number | undefined
}

interface ModelSession {
  readonly sid: string
  readonly sub: string
  readonly createdAt: number
  authTime: number
  refreshToken: string
  alive: boolean
}

interface ModelToken {
  readonly token: string
  readonly sub: string
  readonly sid: string
  readonly session: ModelSession | undefined
  /** iat_ms. */
  readonly issuedAt: number
  /** auth_time (seconds), or undefined for issue()'s tokens. */
  readonly authTime: number | undefined
}

type Verdict =
  | 'ok'
  | 'ERR_TOKEN_EXPIRED'
  | 'ERR_TOKEN_REVOKED'
  | 'ERR_CLAIMS_CHANGED'
  | 'ERR_INSUFFICIENT_USER_AUTHENTICATION'

function suspended(user: ModelUser, now: number): boolean {
  return user.suspendedUntil !== undefined && now < user.suspendedUntil
}

/** What verify must say about a token now, per the model. */
function expected(
  token: ModelToken,
  user: ModelUser,
  now: number,
  maxAuthAge: number | undefined,
): Verdict {
  if (Math.floor(now / 1000) >= Math.floor(token.issuedAt / 1000) + TTL) return 'ERR_TOKEN_EXPIRED'
  if (token.session !== undefined && !token.session.alive) return 'ERR_TOKEN_REVOKED'
  const origin = token.session?.createdAt ?? token.issuedAt
  if (user.revokedAt !== undefined && origin <= user.revokedAt) return 'ERR_TOKEN_REVOKED'
  if (suspended(user, now)) return 'ERR_TOKEN_REVOKED'
  if (user.claimsChangedAt !== undefined && token.issuedAt <= user.claimsChangedAt) {
    return 'ERR_CLAIMS_CHANGED'
  }
  if (maxAuthAge !== undefined) {
    if (token.authTime === undefined || now / 1000 - token.authTime > maxAuthAge) {
      return 'ERR_INSUFFICIENT_USER_AUTHENTICATION'
    }
  }
  return 'ok'
}

async function verdictOf(
  auth: Revocable,
  token: string,
  maxAuthAge: number | undefined,
): Promise<Verdict> {
  try {
    await auth.verify(token, maxAuthAge === undefined ? undefined : { maxAuthAge })
    return 'ok'
  } catch (error) {
    return (error as { code: Verdict }).code
  }
}

/**
 * Runs the property. `a` does every write; both `a` and `b` verify. `runs` sequences are tried,
 * each on users of its own (the store is shared across runs).
 */
export async function runLifecycleModel(
  a: Revocable,
  b: Revocable,
  clock: ManualClock,
  runs: number,
): Promise<void> {
  let run = 0
  await fc.assert(
    fc.asyncProperty(fc.array(stepArbitrary, { minLength: 1, maxLength: 25 }), async (steps) => {
      run += 1
      const subs = Array.from({ length: USERS }, (_, i) => `model-${run}-${i}`)
      const users = new Map<string, ModelUser>(
        subs.map((sub) => [
          sub,
          { suspendedUntil: undefined, claimsChangedAt: undefined, revokedAt: undefined },
        ]),
      )
      const sessions: ModelSession[] = []
      const tokens: ModelToken[] = []
      const userOf = (sub: string) => users.get(sub) as ModelUser
      const mintedBy = (session: ModelSession, token: string, now: number) =>
        tokens.push({
          token,
          sub: session.sub,
          sid: session.sid,
          session,
          issuedAt: now,
          authTime: Math.floor(session.authTime / 1000),
        })

      for (const [index, { step, advanceMs }] of steps.entries()) {
        clock.advance(advanceMs)
        const now = clock()
        const label = `step ${index} ${JSON.stringify(step)}`
        switch (step.kind) {
          case 'start': {
            const sub = subs[step.user] as string
            const blocked = suspended(userOf(sub), now)
            const outcome = await a.startSession({ sub }).catch((e: { code?: string }) => e.code)
            if (blocked) {
              assert.equal(outcome, 'ERR_USER_SUSPENDED', label)
              break
            }
            assert.equal(typeof outcome, 'object', `${label}: ${String(outcome)}`)
            const set = outcome as Exclude<typeof outcome, string | undefined>
            const session: ModelSession = {
              sid: set.session.id,
              sub,
              createdAt: now,
              authTime: now,
              refreshToken: set.refreshToken,
              alive: true,
            }
            sessions.push(session)
            mintedBy(session, set.accessToken, now)
            break
          }
          case 'issue': {
            const sub = subs[step.user] as string
            const blocked = suspended(userOf(sub), now)
            const outcome = await a
              .issue({ sub })
              .catch((e: { code?: string }) => ({ code: e.code }))
            if (blocked) {
              assert.deepEqual(outcome, { code: 'ERR_USER_SUSPENDED' }, label)
              break
            }
            assert.equal(typeof outcome, 'string', `${label}: ${JSON.stringify(outcome)}`)
            tokens.push({
              token: outcome as string,
              sub,
              sid: '',
              session: undefined,
              issuedAt: now,
              authTime: undefined,
            })
            break
          }
          case 'refresh':
          case 'reauthenticate': {
            const session = sessions[step.pick % Math.max(1, sessions.length)]
            if (session === undefined) break
            const call =
              step.kind === 'refresh'
                ? b.refresh(session.refreshToken)
                : a.reauthenticate(session.sid)
            const outcome = await call.catch((e: { code?: string }) => e.code)
            if (!session.alive) {
              assert.equal(typeof outcome, 'string', `${label}: a dead session answered`)
              break
            }
            assert.equal(typeof outcome, 'object', `${label}: ${String(outcome)}`)
            const set = outcome as Exclude<typeof outcome, string | undefined>
            assert.equal(set.session.id, session.sid, label)
            session.refreshToken = set.refreshToken
            if (step.kind === 'reauthenticate') session.authTime = now
            mintedBy(session, set.accessToken, now)
            break
          }
          case 'suspend': {
            const sub = subs[step.user] as string
            const until = step.forMs === undefined ? undefined : now + step.forMs
            await a.suspendUser(sub, { until, awaitReplicas: true })
            const user = userOf(sub)
            user.suspendedUntil = until ?? Infinity
            user.revokedAt = now
            for (const session of sessions) if (session.sub === sub) session.alive = false
            break
          }
          case 'reinstate': {
            const sub = subs[step.user] as string
            const user = userOf(sub)
            const lifted = await a.reinstateUser(sub, { awaitReplicas: true })
            assert.equal(lifted, suspended(user, now), label)
            user.suspendedUntil = undefined
            break
          }
          case 'claims': {
            const sub = subs[step.user] as string
            const at = await a.markClaimsChanged(sub, { awaitReplicas: true })
            assert.equal(at.getTime(), now, label)
            userOf(sub).claimsChangedAt = now
            break
          }
          case 'delete': {
            const sub = subs[step.user] as string
            const alive = sessions.filter((s) => s.sub === sub && s.alive).length
            const result = await a.deleteUser(sub, { awaitReplicas: true })
            assert.equal(result.sessionsEnded, alive, label)
            const user = userOf(sub)
            user.revokedAt = now
            user.suspendedUntil = undefined
            user.claimsChangedAt = undefined
            for (const session of sessions) if (session.sub === sub) session.alive = false
            break
          }
          case 'revokeSession': {
            const session = sessions[step.pick % Math.max(1, sessions.length)]
            if (session === undefined) break
            await a.revokeSession(session.sid, { awaitReplicas: true })
            session.alive = false
            break
          }
        }
        for (const token of tokens) {
          const user = userOf(token.sub)
          for (const maxAuthAge of [undefined, MAX_AUTH_AGE]) {
            const want = expected(token, user, now, maxAuthAge)
            for (const [name, instance] of [
              ['a', a],
              ['b', b],
            ] as const) {
              const got = await verdictOf(instance, token.token, maxAuthAge)
              assert.equal(got, want, `${label}: ${name} verify(maxAuthAge ${maxAuthAge})`)
            }
          }
        }
        for (const sub of subs) {
          const state = await b.getUserState(sub)
          assert.equal(state.suspended, suspended(userOf(sub), now), `${label}: state of ${sub}`)
        }
      }
    }),
    { numRuns: runs },
  )
}
