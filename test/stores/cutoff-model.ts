/**
 * The model-based concurrency test of the cutoff rule (records/cutoff.ts), run by the store
 * contract on every store. fast-check's scheduler decides when each operation is called and when
 * each of the store calls it makes reaches the store, so every interleaving of startSession,
 * refresh, revokeUser, revokeSession, revokeAll and verify is fair game. One clock is shared and
 * moves by at most a millisecond per call, so most instants tie.
 *
 * After the run, the whole history is checked against:
 * - the rule: once a revokeUser(sub) or revokeAll resolves, no session of sub whose startSession
 *   was called before that revocation was can produce an accepted token (refresh fails, every
 *   token it ever minted is rejected), and the same for revokeSession of its sid;
 * - liveness: a startSession called with no revocation of its user in flight, after every earlier
 *   one resolved, succeeds;
 * - exactly one heir per rotation: every successful exchange of a refresh token hands out the
 *   same new token (a repeat within `refreshRetryWindow` gets that heir again, never a second).
 */
import assert from 'node:assert/strict'
import fc from 'fast-check'
import { createRevocable, type Revocable, type TokenSet } from '../../src/index.js'
import type { Store } from '../../src/stores/store.js'
import { AUDIENCE, HMAC_SECRET, ISSUER } from '../support/auth.js'
import type { ManualClock } from '../support/clock.js'

type Op =
  | { kind: 'start'; user: number }
  | { kind: 'refresh'; pick: number }
  | { kind: 'revokeUser'; user: number }
  | { kind: 'revokeSession'; pick: number }
  | { kind: 'revokeAll' }
  | { kind: 'verify'; pick: number }

const opArbitrary: fc.Arbitrary<{ op: Op; advance: boolean }> = fc.record({
  op: fc.oneof(
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('start' as const), user: fc.nat(1) }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('refresh' as const), pick: fc.nat(7) }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('revokeUser' as const), user: fc.nat(1) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('revokeSession' as const), pick: fc.nat(7) }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('revokeAll' as const) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('verify' as const), pick: fc.nat(7) }) },
  ),
  advance: fc.boolean(),
})

/** A store whose every call waits for the scheduler's go before it reaches the real store. */
function scheduledStore(store: Store, gate: { scheduler?: fc.Scheduler }): Store {
  return new Proxy(store, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver)
      if (typeof value !== 'function' || name === 'close' || name === 'openChangeFeed') {
        return typeof value === 'function' ? value.bind(target) : value
      }
      return async (...args: unknown[]) => {
        const scheduler = gate.scheduler
        if (scheduler !== undefined) await scheduler.schedule(Promise.resolve(), String(name))
        return (value as (...a: unknown[]) => unknown).apply(target, args)
      }
    },
  })
}

interface SessionModel {
  readonly sub: string
  /** Logical time at which startSession was called. */
  readonly calledAt: number
  sid?: string
  /** Every token set the session produced, in completion order. */
  readonly minted: TokenSet[]
  refreshFailed: boolean
}

interface Revocation {
  readonly kind: 'user' | 'all' | 'session'
  readonly target: string | undefined
  readonly calledAt: number
  endedAt?: number
}

function checkRule(revocations: Revocation[], session: SessionModel): Revocation | undefined {
  return revocations.find(
    (r) =>
      r.endedAt !== undefined &&
      ((r.kind === 'user' && r.target === session.sub && session.calledAt < r.calledAt) ||
        (r.kind === 'all' && session.calledAt < r.calledAt) ||
        (r.kind === 'session' && session.sid !== undefined && r.target === session.sid)),
  )
}

/**
 * Runs the model on `store` (fresh and empty) with `clock`; `runs` interleavings, seeded.
 */
export async function runCutoffModel(
  store: Store,
  clock: ManualClock,
  runs: number,
  seed = 1207,
): Promise<void> {
  const gate: { scheduler?: fc.Scheduler } = {}
  const auth: Revocable = await createRevocable({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: [{ secret: HMAC_SECRET, kid: 'model' }],
    clock,
    store: scheduledStore(store, gate),
    clockTolerance: 0,
    reuseGrace: 0,
    replica: false,
  })
  let run = 0
  try {
    await fc.assert(
      fc.asyncProperty(
        fc.scheduler(),
        fc.array(opArbitrary, { minLength: 2, maxLength: 9 }),
        async (scheduler, ops) => {
          run += 1
          const users = [`r${run}-a`, `r${run}-b`]
          const sessions: SessionModel[] = []
          const revocations: Revocation[] = []
          const violations: string[] = []
          /** The heirs each refresh token was exchanged for, to count them. */
          const exchanged = new Map<string, Set<string>>()
          let tick = 0

          const runOp = async ({ op, advance }: { op: Op; advance: boolean }): Promise<void> => {
            if (advance) clock.advance(1)
            const calledAt = ++tick
            const known = sessions.filter((s) => s.sid !== undefined)
            const pick = (index: number) =>
              known.length === 0 ? undefined : known[index % known.length]
            switch (op.kind) {
              case 'start': {
                const sub = users[op.user] as string
                const model: SessionModel = { sub, calledAt, minted: [], refreshFailed: false }
                sessions.push(model)
                try {
                  const set = await auth.startSession({ sub })
                  model.sid = set.session.id
                  model.minted.push(set)
                } catch (error) {
                  // A store that did not answer in time (the 250 ms command deadline on a loaded
                  // machine) says nothing about the rule; the outage suites cover availability.
                  if ((error as { code?: string }).code === 'ERR_STORE_UNAVAILABLE') return
                  // Liveness: a login whose user's revocations all resolved before it was called,
                  // with none called since, must work.
                  const covering = revocations.filter(
                    (r) => r.kind === 'all' || (r.kind === 'user' && r.target === sub),
                  )
                  if (covering.every((r) => r.endedAt !== undefined && r.endedAt < calledAt)) {
                    violations.push(
                      `a login after every revocation resolved failed: ${String(error)}`,
                    )
                  }
                }
                return
              }
              case 'refresh': {
                const model = pick(op.pick)
                const latest = model?.minted.at(-1)
                if (model === undefined || latest === undefined) return
                const dead = checkRule(revocations, model)
                try {
                  const set = await auth.refresh(latest.refreshToken)
                  model.minted.push(set)
                  const heirs = exchanged.get(latest.refreshToken) ?? new Set<string>()
                  exchanged.set(latest.refreshToken, heirs.add(set.refreshToken))
                  if (dead !== undefined && (dead.endedAt as number) < calledAt) {
                    violations.push(`refresh of a session cut off by ${dead.kind} succeeded`)
                  }
                } catch {
                  model.refreshFailed = true
                }
                return
              }
              case 'verify': {
                const model = pick(op.pick)
                const latest = model?.minted.at(-1)
                if (model === undefined || latest === undefined) return
                const dead = checkRule(revocations, model)
                const accepted = await auth.verify(latest.accessToken).then(
                  () => true,
                  () => false,
                )
                if (accepted && dead !== undefined && (dead.endedAt as number) < calledAt) {
                  violations.push(`a token of a session cut off by ${dead.kind} was accepted`)
                }
                return
              }
              case 'revokeUser':
              case 'revokeAll':
              case 'revokeSession': {
                const target =
                  op.kind === 'revokeUser'
                    ? users[op.user]
                    : op.kind === 'revokeSession'
                      ? pick(op.pick)?.sid
                      : undefined
                if (op.kind === 'revokeSession' && target === undefined) return
                const revocation: Revocation = {
                  kind:
                    op.kind === 'revokeUser' ? 'user' : op.kind === 'revokeAll' ? 'all' : 'session',
                  target,
                  calledAt,
                }
                revocations.push(revocation)
                if (op.kind === 'revokeUser') await auth.revokeUser(target as string)
                else if (op.kind === 'revokeAll') await auth.revokeAll()
                else await auth.revokeSession(target as string)
                revocation.endedAt = ++tick
                return
              }
            }
          }

          gate.scheduler = scheduler
          try {
            const all = Promise.all(
              ops.map((entry) =>
                scheduler.schedule(Promise.resolve(), entry.op.kind).then(() => runOp(entry)),
              ),
            )
            await scheduler.waitFor(all)
          } finally {
            gate.scheduler = undefined
          }

          // Everything has resolved: every session the rule covers is dead for good.
          for (const model of sessions) {
            const dead = checkRule(revocations, model)
            if (dead === undefined) continue
            for (const set of model.minted) {
              if (
                await auth.verify(set.accessToken).then(
                  () => true,
                  () => false,
                )
              ) {
                violations.push(
                  `after ${dead.kind} resolved, a token of a session it covers was accepted`,
                )
              }
            }
            const latest = model.minted.at(-1)
            if (
              latest !== undefined &&
              (await auth.refresh(latest.refreshToken).then(
                () => true,
                () => false,
              ))
            ) {
              violations.push(`after ${dead.kind} resolved, a session it covers still rotated`)
            }
          }
          for (const [, heirs] of exchanged) {
            if (heirs.size > 1) violations.push(`one refresh token had ${heirs.size} heirs`)
          }
          assert.deepEqual(
            violations,
            [],
            // The violations themselves, then the interleaving that produced them.
            `${violations.join('; ')} | ${scheduler
              .report()
              .map((t) => t.label)
              .join(' → ')}`,
          )
        },
      ),
      { numRuns: runs, seed, endOnFailure: true },
    )
  } finally {
    await auth.close()
  }
}
