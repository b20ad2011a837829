/**
 * Test hygiene that a linter does not check: every loop in test/ that waits (a timer inside the
 * loop) also has a deadline, so a condition that never comes fails the test instead of hanging
 * it until the runner's per-test timeout.
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const testDir = fileURLToPath(new URL('.', import.meta.url))

/** What makes a loop a wait: it sleeps on a timer. */
const WAITS = /setTimeout|setImmediate|\bsleep\(|\bdelay\(/
/** What bounds it: a named deadline or time limit (a bare clock comparison may be the wait itself). */
const BOUNDED = /deadline|timeoutMs|watchMs/i

/** Each `for (;;)` / `while (…)` loop of `source`: its header and its body (braces matched). */
function loops(source: string): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = []
  for (const match of source.matchAll(/\b(?:for \(;;\)|while \()/g)) {
    const open = source.indexOf('{', match.index)
    if (open < 0) continue
    // A `while` with no brace of its own (`} while (x)`, or a one-line body) is not a wait loop.
    const header = source.slice(match.index, open)
    if (header.includes('\n') && !header.trimEnd().endsWith(')')) continue
    let depth = 0
    let end = open
    for (; end < source.length; end++) {
      if (source[end] === '{') depth++
      else if (source[end] === '}' && --depth === 0) break
    }
    const line = source.slice(0, match.index).split('\n').length
    found.push({ line, text: source.slice(match.index, end + 1) })
  }
  return found
}

function unboundedWaits(source: string): number[] {
  return loops(source)
    .filter((loop) => WAITS.test(loop.text) && !BOUNDED.test(loop.text))
    .map((loop) => loop.line)
}

function testFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.includes('node_modules'))
    .map((file) => join(dir, file))
}

test('every wait loop in test/ has a deadline', () => {
  // This file is left out: its own example below is a loop without a deadline.
  const files = testFiles(testDir).filter((file) => !file.endsWith('test-hygiene.test.ts'))
  const offenders = files.flatMap((file) =>
    unboundedWaits(readFileSync(file, 'utf8')).map(
      (line) => `${file.slice(testDir.length)}:${line}`,
    ),
  )
  assert.deepEqual(offenders, [])
})

test('the check finds a polling loop without a deadline, and passes one with', () => {
  const unbounded = `async function caughtUp() {
  for (;;) {
    if (ready()) return
    await new Promise((resolve) => setTimeout(resolve, 2))
  }
}`
  assert.deepEqual(unboundedWaits(unbounded), [2])
  const bounded = unbounded.replace(
    'if (ready()) return',
    'if (ready()) return\n    if (Date.now() > deadline) throw new Error("late")',
  )
  assert.deepEqual(unboundedWaits(bounded), [])
})
