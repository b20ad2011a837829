// The test runner's one retry: a file that timed out before any of its tests finished is run once
// more, and nothing else is. Checked on node's real runner with the real reporter.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { after, test } from 'node:test'
// @ts-expect-error: a plain .mjs script without types
import { hungBeforeFirstResult } from '../../scripts/test-outcomes.mjs'

interface Outcome {
  passed: boolean
  name: string
  file?: string
  failureType?: string
}

const dir = mkdtempSync(join(tmpdir(), 'revocable-outcomes-'))
after(() => rmSync(dir, { recursive: true, force: true }))

const FIXTURES = {
  // Stuck at load, as the loader stall CI once saw: nothing of it ever finishes.
  'hangs-at-load.mjs': `import { test } from 'node:test'
setInterval(() => {}, 1000)
await new Promise(() => {})
test('never reached', () => {})`,
  // Stuck in its second test: the first one finished, so this is the test's own hang.
  'hangs-in-a-test.mjs': `import { test } from 'node:test'
test('finishes', () => {})
test('hangs', () => new Promise(() => { setInterval(() => {}, 1000) }))`,
  'fails.mjs': `import { test } from 'node:test'
test('fails', () => { throw new Error('no') })`,
  'passes.mjs': `import { test } from 'node:test'
test('passes', () => {})`,
}
for (const [name, text] of Object.entries(FIXTURES)) writeFileSync(join(dir, name), text)

/** Runs fixture files on node's runner with the outcomes reporter, as scripts/run-tests.mjs does. */
function outcomesOf(...names: (keyof typeof FIXTURES)[]): Outcome[] {
  const destination = join(dir, `${names.join('+')}.jsonl`)
  spawnSync(
    process.execPath,
    [
      '--test',
      '--test-timeout=1500',
      `--test-reporter=${resolve('scripts/test-outcomes.mjs')}`,
      `--test-reporter-destination=${destination}`,
      ...names.map((name) => join(dir, name)),
    ],
    // Without the variable that tells a test file it runs under a runner already.
    { stdio: 'ignore', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  )
  return readFileSync(destination, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Outcome)
}

test('a file that times out before any test finished is the one to run again', () => {
  const outcomes = outcomesOf('hangs-at-load.mjs', 'passes.mjs')
  assert.deepEqual(hungBeforeFirstResult(outcomes), [join(dir, 'hangs-at-load.mjs')])
})

test('a file that hangs after one of its tests finished is not run again', () => {
  assert.deepEqual(hungBeforeFirstResult(outcomesOf('hangs-in-a-test.mjs')), [])
})

test('nothing is run again when any other test failed', () => {
  assert.deepEqual(hungBeforeFirstResult(outcomesOf('hangs-at-load.mjs', 'fails.mjs')), [])
})

test('a passing run has nothing to run again', () => {
  assert.deepEqual(hungBeforeFirstResult(outcomesOf('passes.mjs')), [])
})
