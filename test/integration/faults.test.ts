/**
 * The fault suite: real `redis-server` processes emptied, rolled back, paused and killed under a
 * running service. Each scenario reports its figures (t.diagnostic) and asserts the guarantees:
 * no acknowledged revocation lost, no revoked token accepted, no session lost to a false reuse.
 * The same scenarios print their figures in `npm run bench -- --faults`.
 */
import assert from 'node:assert/strict'
import { describe, test, type TestContext } from 'node:test'
import { after, before } from 'node:test'
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'
import { RedisCluster } from '../support/redis-cluster.js'
import { eventually, RedisProcess } from '../support/redis-server.js'
import { me, signUp, startService } from '../server/support.js'
import {
  clusterFailover,
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

describe('a Redis Cluster primary is killed (kill -9) and its replica takes over', () => {
  let cluster: RedisCluster | undefined
  before(async () => {
    cluster = await RedisCluster.start(3, 1)
  })
  after(async () => {
    await cluster?.destroy()
  })

  test('the service: /readyz is 503 while a slot it uses has no master, then 200 and working again without a restart', async (t) => {
    const nodes = cluster as RedisCluster
    const prefix = `rvk-fault:svc:${randomBytes(4).toString('hex')}:`
    const hosts = nodes.rootNodes.map(({ url }) => new URL(url).host).join(',')
    const service = await startService({ STORE: `redis-cluster://${hosts}`, REDIS_PREFIX: prefix })
    try {
      const readyz = async () => (await fetch(`${service.url}/readyz`)).status
      assert.equal(await readyz(), 200)
      const before = await signUp(service)
      // A master that holds users' keys but not the global ones: /readyz used to stay 200.
      const globalMaster = await nodes.masterOf(`${prefix}{g}:epoch`)
      let victim = globalMaster
      for (let i = 0; victim === globalMaster; i += 1) {
        victim = await nodes.masterOf(`${prefix}{u:probe-${i}}`)
      }
      await victim.kill9()
      const started = performance.now()
      assert.equal(await eventually(async () => (await readyz()) === 503, 3000), true)
      const working = await eventually(async () => {
        if ((await readyz()) !== 200) return false
        const users = await Promise.all(Array.from({ length: 6 }, () => signUp(service)))
        for (const { tokens } of users) {
          if ((await me(service, tokens.access_token)).status !== 200) return false
        }
        return (await me(service, before.tokens.access_token)).status === 200
      }, 30_000)
      t.diagnostic(
        `service on a cluster: /readyz 503 during the failover, working again after ${Math.round(performance.now() - started)} ms`,
      )
      assert.equal(working, true)
      await nodes.restore(victim)
    } finally {
      await service.close()
    }
  })

  test('losing the master of the global keys: functional again without a restart, no revocation lost', async (t) => {
    const figures = await clusterFailover('global-slot', cluster)
    report(t, figures)
    assertNothingLost(figures)
    assert.equal(figures.notReadyDuringFailover, true)
  })
})

describe('the service on a Redis that comes back empty', () => {
  test('reports the data loss: an audit line (audit: data_loss) and a metric', async () => {
    const redis = await RedisProcess.start({
      name: 'revocable-fault-audit',
      args: ['--appendonly', 'no', '--save', ''],
    })
    const lines: string[] = []
    const logStream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString('utf8').split('\n').filter(Boolean))
        done()
      },
    })
    const service = await startService(
      {
        STORE: redis.url,
        REDIS_PREFIX: `rvk-fault:audit:${randomBytes(4).toString('hex')}:`,
        LOG_LEVEL: 'info',
      },
      logStream,
    )
    try {
      const { tokens } = await signUp(service)
      assert.equal((await me(service, tokens.access_token)).status, 200)
      await redis.restart() // comes back empty
      // The first answer after the reconnect already reflects the loss: the epoch was raised.
      assert.equal(
        await eventually(
          async () => (await me(service, tokens.access_token)).status === 401,
          10_000,
        ),
        true,
      )
      const audit = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((record) => record.audit === 'data_loss')
      assert.equal(audit.length, 1)
      assert.equal(audit[0]?.cause, 'emptied')
      assert.equal(audit[0]?.action, 'bump-epoch')
      const metrics = await (await fetch(`${service.url}/metrics`)).text()
      assert.match(
        metrics,
        /^revocable_store_data_losses_total\{cause="emptied",action="bump-epoch"\} 1$/m,
      )
    } finally {
      await service.close()
      await redis.destroy()
    }
  })
})
