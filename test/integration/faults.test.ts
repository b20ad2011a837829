/**
 * The fault suite: real `redis-server` processes emptied, rolled back, paused and killed under a
 * running service. Each scenario reports its figures (t.diagnostic) and asserts the guarantees:
 * no acknowledged revocation lost, no revoked token accepted, no session lost to a false reuse.
 * The same scenarios print their figures in `npm run bench -- --faults`.
 */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import {
  emptyRestart,
  olderSnapshot,
  serviceKilledMidRefresh,
  stallsUnderRefreshLoad,
  type FaultFigures,
} from '../support/fault-scenarios.js'

function report(t: TestContext, figures: FaultFigures): void {
  t.diagnostic(
    `${figures.scenario}: acknowledged revocations lost ${figures.acknowledgedLost}, ` +
      `revoked tokens accepted ${figures.revokedAccepted}, sessions lost to false reuse ` +
      `${figures.falseReuse}, recovered in ${figures.recoverMs} ms`,
  )
}

function assertNothingLost(figures: FaultFigures): void {
  const context = `warnings: ${figures.warnings.join(' | ')}`
  assert.equal(figures.acknowledgedLost, 0, context)
  assert.equal(figures.revokedAccepted, 0, context)
  assert.equal(figures.falseReuse, 0, context)
  assert.ok(figures.recoverMs >= 0, `never recovered; ${context}`)
}

describe('Redis comes back empty', () => {
  for (const outageMs of [500, 2000, 5000]) {
    test(`after a ${outageMs / 1000} s outage, no revoked token is accepted and the data loss is reported`, async (t) => {
      const figures = await emptyRestart(outageMs)
      report(t, figures)
      assertNothingLost(figures)
      assert.ok(figures.warnings.some((w) => w.includes('lost its data')))
    })
  }
})

describe('Redis comes back from an older snapshot', () => {
  test('the revocations made after the snapshot stay in force: a rollback counts as data loss', async (t) => {
    const figures = await olderSnapshot()
    report(t, figures)
    assertNothingLost(figures)
    assert.ok(figures.warnings.some((w) => w.includes('rolled back')))
  })
})

describe('Redis stalls (SIGSTOP) under refresh load', () => {
  test('clients retrying after a 503 keep their sessions: none is lost to a false reuse verdict', async (t) => {
    const figures = await stallsUnderRefreshLoad()
    report(t, figures)
    assertNothingLost(figures)
  })
})

describe('the service is killed (SIGKILL) mid-refresh', () => {
  test('clients retrying their last refresh on another instance keep their sessions', async (t) => {
    const figures = await serviceKilledMidRefresh()
    report(t, figures)
    assertNothingLost(figures)
  })
})
