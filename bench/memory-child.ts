// Run with --expose-gc: measures heap + array-buffer bytes per entry of the replica's jti set
// and of a plain Map<string, number>, each holding `count` random 22-character jtis.
import { randomBytes } from 'node:crypto'
import { ExpiringIdSet } from '../src/revocation/expiring-id-set.js'

const count = Number(process.argv[2] ?? 1_000_000)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')

function used(): number {
  gc?.()
  gc?.()
  const memory = process.memoryUsage()
  return memory.heapUsed + memory.arrayBuffers
}

const expiresAt = Date.now() + 3_600_000
const jti = () => randomBytes(16).toString('base64url')

let before = used()
const set = new ExpiringIdSet()
for (let i = 0; i < count; i += 1) set.add(jti(), expiresAt)
const setBytes = (used() - before) / count

before = used()
const map = new Map<string, number>()
for (let i = 0; i < count; i += 1) map.set(jti(), expiresAt)
const mapBytes = (used() - before) / count

process.stdout.write(
  JSON.stringify({
    entries: count,
    replica_bytes_per_entry: Number(setBytes.toFixed(2)),
    replica_table_bytes_per_entry: Number((set.byteLength / count).toFixed(2)),
    map_bytes_per_entry: Number(mapBytes.toFixed(2)),
    kept: set.size + map.size,
  }),
)
