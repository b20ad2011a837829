// `npm run bench` (add `-- --quick` for a reduced run under a minute). Every comparison runs in
// this one process, back to back, on the same keys and claims; results are printed as a table
// and as ratios against anchors of the same run, and written to bench/results/latest.json.
import { randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { parseArgs } from 'node:util'
import { deletePrefix, REDIS_URL } from '../test/support/redis.js'
import { SLICE_MS, type CaseResult } from './harness.js'
import { benchAwaitReplicas } from './await-replicas.js'
import { benchMemory } from './memory.js'
import { benchPropagation } from './propagation.js'
import { benchSessions } from './sessions.js'
import { benchVerify } from './verify.js'

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    // Only the fault scenarios (redis-server processes killed, paused, emptied, rolled back).
    faults: { type: 'boolean', default: false },
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
const seconds = quick ? 0.25 : 2
const prefix = `rvk-bench:${randomBytes(4).toString('hex')}:`

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

  const ops = (name: string, alg: string, concurrency = 1) =>
    cases.find((c) => c.name === name && c.alg === alg && c.concurrency === concurrency)
      ?.ops_per_s ?? NaN
  const round = (value: number) => Number(value.toFixed(3))
  const ratio = (value: number, target: number, higherIsBetter = true) => ({
    value: round(value),
    target,
    met: higherIsBetter ? value >= target : value <= target,
  })
  const ratios = {
    hs256_replica_vs_fast_jwt: ratio(
      ops('revocable replica', 'HS256') / ops('fast-jwt', 'HS256'),
      1.0,
    ),
    hs256_replica_vs_floor: ratio(ops('revocable replica', 'HS256') / ops('floor', 'HS256'), 0.6),
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
  }
  // Ceilings: what the bare primitive (no revocation check at all) reaches against the same
  // peers. A verify cannot beat its floor, so where a ceiling is under a target, the target is
  // out of reach on this machine for any honest verifier, whatever it does about revocation.
  const ceilings = {
    floor_vs_jwt_redis_sequential: round(ops('floor', 'HS256') / ops('jwt-redis verify', 'HS256')),
    floor_vs_jwt_redis_64_in_flight: round(
      ops('floor', 'HS256') / ops('jwt-redis verify', 'HS256', 64),
    ),
  }
  console.log('\nratios (same run):')
  for (const [name, r] of Object.entries(ratios)) {
    console.log(
      `  ${name.padEnd(36)} ${String(r.value).padStart(9)}   target ${r.met ? 'met' : 'MISSED'} (${r.target})`,
    )
  }
  console.log('ceilings (the HS256 floor against the same peers):')
  for (const [name, value] of Object.entries(ceilings)) {
    console.log(`  ${name.padEnd(36)} ${String(value).padStart(9)}`)
  }
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true })
  const out = new URL('./results/latest.json', import.meta.url)
  writeFileSync(
    out,
    `${JSON.stringify({ quick, node: process.version, cases, propagation, awaitReplicas, memory, ratios, ceilings }, null, 2)}\n`,
  )
  console.log(`\nwrote ${out.pathname}`)
} finally {
  await deletePrefix(REDIS_URL, prefix)
}
