// Runs every test file under test/ on node's test runner, with tsx for TypeScript.
// (Node 20's `--test` does not expand globs itself, so the files are listed here.)
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { join } from 'node:path'

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return findTests(path)
    return entry.name.endsWith('.test.ts') ? [path] : []
  })
}

const filters = process.argv.slice(2)
const files = findTests('test')
  .filter((file) => filters.length === 0 || filters.some((filter) => file.includes(filter)))
  .sort()
if (files.length === 0) {
  console.error('no test files matched')
  process.exit(1)
}
// A hung test fails on its own instead of holding CI until its 90-minute limit. Node's runner
// applies this to each test file as a whole too, and files run side by side on 2 cores, so the
// bound is far above the slowest file (the outage and fault suites, a few minutes under load).
const PER_TEST_TIMEOUT_MS = 600_000
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', `--test-timeout=${PER_TEST_TIMEOUT_MS}`, ...files],
  {
    stdio: 'inherit',
  },
)
process.exit(result.status ?? 1)
