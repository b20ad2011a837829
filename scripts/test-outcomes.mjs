// What scripts/run-tests.mjs learns of a run beyond its exit code: a second reporter writes one
// JSON line per finished test, with its file, so that a file that hung before any of its tests
// finished can be told from one that failed.
import { resolve } from 'node:path'

/** The reporter (node's `--test-reporter`): one JSON line per finished test. */
export default async function* outcomes(source) {
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue
    const { name, file, details } = event.data
    yield `${JSON.stringify({
      passed: event.type === 'test:pass',
      name,
      file,
      failureType: details?.error?.failureType,
    })}\n`
  }
}

/**
 * Files that timed out before a single one of their tests finished, and nothing else failed.
 * Such a file is stuck before or at its first test: CI saw one (test/unit/tokens/verify.test.ts,
 * 1.5 s alone, 178 tests on memory stores) sit for the whole 600 s with nothing reported, once in
 * many runs and never here, which points at the TypeScript loader (tsx's hooks thread) rather than
 * at the test. Only those are run again, once, and said so; any other failure stands.
 */
export function hungBeforeFirstResult(outcomes) {
  const failed = outcomes.filter((o) => !o.passed)
  const hung = failed.filter(
    (o) =>
      o.failureType === 'testTimeoutFailure' &&
      o.file !== undefined &&
      resolve(o.name) === resolve(o.file) &&
      !outcomes.some((other) => other.file === o.file && other !== o),
  )
  const otherFailures = failed.filter(
    (o) => !hung.includes(o) && !hung.some((h) => h.file === o.file),
  )
  return otherFailures.length === 0 ? hung.map((o) => o.file) : []
}
