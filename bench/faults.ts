// `npm run bench -- --faults`: the fault suite's scenarios (test/support/fault-scenarios.ts),
// each on its own redis-server processes, with the figures the suite asserts on: acknowledged
// revocations lost, revoked tokens accepted, sessions lost to a false reuse verdict, and the time
// until the service worked again.
import { RedisCluster } from '../test/support/redis-cluster.js'
import {
  clusterFailover,
  emptyRestart,
  olderSnapshot,
  serviceKilledMidRefresh,
  stallsUnderRefreshLoad,
  type FaultFigures,
} from '../test/support/fault-scenarios.js'

export type FaultRow = Omit<FaultFigures, 'warnings'>

/** Runs every scenario in turn; `report` hears each row as it is measured. */
export async function benchFaults(report: (row: FaultRow) => void): Promise<FaultRow[]> {
  const rows: FaultRow[] = []
  const add = ({ warnings: _warnings, ...row }: FaultFigures) => {
    rows.push(row)
    report(row)
  }
  for (const outageMs of [500, 2000, 5000]) add(await emptyRestart(outageMs))
  add(await olderSnapshot())
  add(await stallsUnderRefreshLoad())
  add(await serviceKilledMidRefresh())
  const cluster = await RedisCluster.start(3, 1)
  try {
    add(await clusterFailover('global-slot', cluster))
  } finally {
    await cluster.destroy()
  }
  return rows
}

/** One line per scenario, as `npm run bench -- --faults` prints it. */
export function formatFaultRow(row: FaultRow): string {
  return (
    `${row.scenario.padEnd(62)} lost ${row.acknowledgedLost}   accepted ${row.revokedAccepted}` +
    `   false reuse ${row.falseReuse}   recovered in ${row.recoverMs < 0 ? 'never' : `${row.recoverMs} ms`}`
  )
}
