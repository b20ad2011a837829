// Runs every test file under test/ on node's test runner, with tsx for TypeScript.
// (Node 20's `--test` does not expand globs itself, so the files are listed here.)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { hungBeforeFirstResult } from './test-outcomes.mjs'

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
// applies this to each test file as a whole too (files run one at a time on 2 cores), so the bound
// is far above the slowest file (the outage and fault suites, a few minutes under load).
const PER_TEST_TIMEOUT_MS = 600_000

/**
 * Runs `testFiles` on node's runner: the usual report on stdout, and one JSON line per finished
 * test into a file, read back as outcomes.
 */
function runFiles(testFiles) {
  const dir = mkdtempSync(join(tmpdir(), 'revocable-tests-'))
  const outcomesFile = join(dir, 'outcomes.jsonl')
  try {
    const result = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--test',
        `--test-timeout=${PER_TEST_TIMEOUT_MS}`,
        `--test-reporter=${process.stdout.isTTY ? 'spec' : 'tap'}`,
        '--test-reporter-destination=stdout',
        '--test-reporter=./scripts/test-outcomes.mjs',
        `--test-reporter-destination=${outcomesFile}`,
        ...testFiles,
      ],
      { stdio: 'inherit' },
    )
    let text = ''
    try {
      text = readFileSync(outcomesFile, 'utf8')
    } catch {
      // the runner died before its reporter wrote anything
    }
    const outcomes = text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line))
    return { status: result.status ?? 1, outcomes }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

const first = runFiles(files)
if (first.status === 0) process.exit(0)
const rerun = hungBeforeFirstResult(first.outcomes)
if (rerun.length === 0) process.exit(first.status)
console.log(
  `\n# ${rerun.length} file(s) timed out before any of their tests finished; running them once more:` +
    rerun.map((file) => `\n#   ${file}`).join(''),
)
const second = runFiles(rerun)
console.log(
  second.status === 0
    ? '# the files that hung passed when run again: the run passes, and the hang is reported above'
    : '# the files that hung failed again',
)
process.exit(second.status)
