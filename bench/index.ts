// `npm run bench` (add `-- --quick` for a reduced run under a minute; `-- --service` for the
// service section alone, bench/service.ts, written to bench/results/service.json; it takes
// `--quick` too). Every
// comparison runs in this one process, back to back, on the same keys and claims; results are printed as a table
// and as ratios against anchors of the same run, and written to bench/results/latest.json.
import { randomBytes } from 'node:crypto'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { deletePrefix, REDIS_URL } from '../test/support/redis.js'
import { SLICE_MS, type CaseResult } from './harness.js'
import { benchAwaitReplicas } from './await-replicas.js'
import { benchMemory } from './memory.js'
import { benchPropagation } from './propagation.js'
import { benchReplicaStartup, formatReplicaStartupRow } from './replica-startup.js'
import { benchServiceFigures, type ServiceFigures } from './service.js'
import { benchSessions } from './sessions.js'
import { benchVerify } from './verify.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    service: { type: 'boolean', default: false },
    // Only the fault scenarios (redis-server processes killed, paused, emptied, rolled back).
    faults: { type: 'boolean', default: false },
    // Only the large-account scenario (one user with 100,000 sessions, on its own redis-server).
    'large-account': { type: 'boolean', default: false },
  },
})
const quick = values.quick as boolean
if (values.faults === true) {
  const { benchFaults, formatFaultRow } = await import('./faults.js')
  console.log('revocable fault scenarios (each on its own redis-server processes)\n')
  const rows = await benchFaults((row) => console.log(formatFaultRow(row)))
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const out = new URL('./results/faults.json', import.meta.url)
  writeFileSync(out, `${JSON.stringify({ node: process.version, rows }, null, 2)}\n`)
  console.log(`\nwrote ${out.pathname}`)
  process.exit(0)
}
if (values['large-account'] === true) {
  const { benchLargeAccount } = await import('./large-account.js')
  const sessions = quick ? 20_000 : 100_000
  console.log(`revocable large account: one user with ${sessions} sessions (own redis-server)\n`)
  const result = await benchLargeAccount({ sessions, logins: quick ? 50 : 200 })
  console.log(result)
  // Bounds, not ratios: each request keeps Redis busy a few milliseconds at most.
  const ms = (us: number) => Number((us / 1000).toFixed(3))
  const bounds = {
    longest_script_ms: { value: ms(result.slowlog_longest_script_us), target: 5 },
    login_p99_ms: { value: result.login_ms.p99_ms, target: 10 },
    other_user_refresh_p99_ms: { value: result.other_user_refresh_ms.p99_ms, target: 10 },
    logout_everywhere_max_ms: { value: result.logout_everywhere_ms.max_ms, target: 10 },
  }
  for (const [name, b] of Object.entries(bounds)) {
    const met = b.value <= b.target ? 'met' : 'MISSED'
    console.log(`  ${name.padEnd(28)} ${String(b.value).padStart(9)}   bound ${met} (${b.target})`)
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const out = new URL('./results/large-account.json', import.meta.url)
  writeFileSync(
    out,
    `${JSON.stringify({ quick, node: process.version, result, bounds }, null, 2)}\n`,
  )
  console.log(`\nwrote ${out.pathname}`)
  process.exit(0)
}
const seconds = quick ? 0.25 : 2
const prefix = `rvk-bench:${randomBytes(4).toString('hex')}:`

const round = (value: number) => Number(value.toFixed(3))
const ratio = (value: number, target: number, higherIsBetter = true) => ({
  value: round(value),
  target,
  met: higherIsBetter ? value >= target : value <= target,
})
type Ratio = ReturnType<typeof ratio>
function printRatios(ratios: Record<string, Ratio>): void {
  for (const [name, r] of Object.entries(ratios)) {
    console.log(
      `  ${name.padEnd(36)} ${String(r.value).padStart(9)}   target ${r.met ? 'met' : 'MISSED'} (${r.target})`,
    )
  }
}

/** The service figures (bench/service.ts), on Redis and on a SQLite file of its own. */
async function measureService() {
  const sqliteDir = mkdtempSync(join(tmpdir(), 'revocable-bench-'))
  try {
    return await benchServiceFigures({
      redisUrl: REDIS_URL,
      prefix: `${prefix}f:`,
      quick,
      sqlitePath: join(sqliteDir, 'service.db'),
    })
  } finally {
    rmSync(sqliteDir, { recursive: true, force: true })
  }
}

/**
 * The service against the same library in a bare Fastify app (CPU per request), against a
 * stateless route (req/s), SQLite against Redis, Argon2id against scrypt, and the p99 of
 * GET /auth/me while a login flood runs (the hash queue as shipped).
 */
function serviceRatios(service: ServiceFigures): Record<string, Ratio> {
  return {
    service_cpu_per_request_vs_library: ratio(service.service_cpu_vs_library, 1.15, false),
    service_vs_stateless_16_connections: ratio(service.service_vs_stateless, 0.8),
    service_sqlite_vs_redis: ratio(service.sqlite_vs_redis, 0.9),
    logins_per_s_argon2id_vs_scrypt: ratio(service.argon2id_vs_scrypt, 1),
    me_p99_ms_during_login_flood: ratio(service.login_flood.queued_p99_ms, 50, false),
  }
}

if (values.service === true) {
  // The service section alone, to bench/results/service.json.
  try {
    const service = await measureService()
    console.log('service (GET /auth/me at 16 connections, logins, a login flood):', service)
    const ratios = serviceRatios(service)
    console.log('\nratios (same run):')
    printRatios(ratios)
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
    const out = new URL('./results/service.json', import.meta.url)
    writeFileSync(
      out,
      `${JSON.stringify({ quick, node: process.version, service, ratios }, null, 2)}\n`,
    )
    console.log(`\nwrote ${out.pathname}`)
  } finally {
    await deletePrefix(REDIS_URL, prefix)
  }
  process.exit(0)
}

const cases: CaseResult[] = []
const report = (result: CaseResult) => {
  cases.push(result)
  console.log(
    `${result.name.padEnd(36)} ${result.alg.padEnd(6)} x${String(result.concurrency).padEnd(3)}` +
      `${result.ops_per_s.toLocaleString('en').padStart(12)} ops/s   p50 ${result.p50_us} µs   p99 ${result.p99_us} µs`,
  )
}

console.log(
  `revocable bench (${quick ? 'quick' : 'full'}), Node ${process.version}, ${availableParallelism()} cores; ` +
    `ops/s is the median of ${SLICE_MS} ms slices (the mean when a case is shorter than 5 slices)\n`,
)
try {
  await benchVerify({ seconds, redisUrl: REDIS_URL, prefix }, report)
  for (const result of await benchSessions({ seconds, redisUrl: REDIS_URL, prefix: `${prefix}s:` }))
    report(result)
  const propagation = await benchPropagation({
    count: quick ? 1000 : 10_000,
    redisUrl: REDIS_URL,
    prefix: `${prefix}p:`,
  })
  console.log('\npropagation (revoke in A, rejected in B):', propagation)
  const awaitReplicas = await benchAwaitReplicas({
    count: quick ? 100 : 500,
    redisUrl: REDIS_URL,
    prefix: `${prefix}a:`,
  })
  console.log('logout latency, without and with awaitReplicas (2 replicas):', awaitReplicas)
  const memory = await benchMemory(1_000_000)
  console.log('replica memory at 1,000,000 revoked jtis:', memory)
  const service = await measureService()
  console.log('\nservice (GET /auth/me at 16 connections, logins, a login flood):', service)
  // A fresh process loads the replica on its own redis-server beside 143,000 keys of another
  // application. Writing them through the store takes about 13 s per 100,000 (minutes for
  // 1,000,000): 100,000 and 1,000,000 are the full run's, so that --quick stays under a minute.
  console.log('\nreplica start-up (a new process loading the replica):')
  const replicaStart = await benchReplicaStartup(
    quick ? [10_000] : [10_000, 100_000, 1_000_000],
    143_000,
    (row) => console.log(formatReplicaStartupRow(row)),
  )
  const largest = replicaStart[replicaStart.length - 1] as (typeof replicaStart)[number]

  const ops = (name: string, alg: string, concurrency = 1) =>
    cases.find((c) => c.name === name && c.alg === alg && c.concurrency === concurrency)
      ?.ops_per_s ?? NaN
  const ratios = {
    hs256_replica_vs_fast_jwt: ratio(
      ops('revocable replica', 'HS256') / ops('fast-jwt', 'HS256'),
      1.0,
    ),
    hs256_replica_vs_floor: ratio(ops('revocable replica', 'HS256') / ops('floor', 'HS256'), 0.9),
    es256_replica_vs_floor: ratio(ops('revocable replica', 'ES256') / ops('floor', 'ES256'), 0.9),
    eddsa_replica_vs_floor: ratio(ops('revocable replica', 'EdDSA') / ops('floor', 'EdDSA'), 0.9),
    replica_vs_jwt_redis_sequential: ratio(
      ops('revocable replica', 'HS256') / ops('jwt-redis verify', 'HS256'),
      20,
    ),
    replica_vs_jwt_redis_64_in_flight: ratio(
      ops('revocable replica', 'HS256', 64) / ops('jwt-redis verify', 'HS256', 64),
      3,
    ),
    token_cache_vs_fast_jwt_cache: ratio(
      ops('revocable token cache (20x reuse)', 'HS256') /
        ops('fast-jwt cache (20x reuse)', 'HS256'),
      2,
    ),
    propagation_p99_ms: ratio(propagation.p99_ms, 5, false),
    // What a logout that holds on every instance costs over one that does not (bound: 1 s,
    // maxStaleness; expected: about one feed round trip).
    await_replicas_added_p99_ms: ratio(awaitReplicas.added_p99_ms, 50, false),
    replica_bytes_per_jti: ratio(memory.replica_bytes_per_entry as number, 24, false),
    ...serviceRatios(service),
    ...Object.fromEntries(
      replicaStart.map((r) => [
        `replica_start_${r.revocations >= 1e6 ? `${r.revocations / 1e6}m` : `${r.revocations / 1e3}k`}_s`,
        ratio(r.startupMs / 1000, 2, false),
      ]),
    ),
    // What loading adds to the process's peak RSS over a start with nothing to load (whose peak
    // is node and tsx starting): the load itself should stay near the steady state.
    replica_start_peak_rss_added_mb: ratio(
      largest.peakRssMb - (replicaStart[0] as (typeof replicaStart)[number]).peakRssMb,
      64,
      false,
    ),
    // Redis bytes per revocation (marker, feed entry, index member): the issue measured ~214.
    redis_bytes_per_revocation: ratio(largest.bytesPerRevocation, 214, false),
  }
  // Ceilings: what the bare primitive (no revocation check at all) reaches against the same
  // peers. A verify cannot beat its floor, so where a ceiling is under a target, the target is
  // out of reach on this machine for any honest verifier, whatever it does about revocation.
  const ceilings = {
    // An async verify pays one promise and one await more than the synchronous floor: for
    // HS256, whose crypto is cheap, that alone is about a tenth of the floor.
    hs256_awaited_floor_vs_floor: round(ops('floor, awaited', 'HS256') / ops('floor', 'HS256')),
    floor_vs_jwt_redis_sequential: round(ops('floor', 'HS256') / ops('jwt-redis verify', 'HS256')),
    floor_vs_jwt_redis_64_in_flight: round(
      ops('floor', 'HS256') / ops('jwt-redis verify', 'HS256', 64),
    ),
  }
  console.log('\nratios (same run):')
  printRatios(ratios)
  console.log('ceilings (the HS256 floor awaited, and the HS256 floor against the same peers):')
  for (const [name, value] of Object.entries(ceilings)) {
    console.log(`  ${name.padEnd(36)} ${String(value).padStart(9)}`)
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const out = new URL('./results/latest.json', import.meta.url)
  writeFileSync(
    out,
    `${JSON.stringify({ quick, node: process.version, cases, propagation, awaitReplicas, memory, service, replicaStart, ratios, ceilings }, null, 2)}\n`,
  )
  console.log(`\nwrote ${out.pathname}`)
} finally {
  await deletePrefix(REDIS_URL, prefix)
}
