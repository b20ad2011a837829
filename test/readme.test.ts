import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

test('the README quick-start example runs as written against the built package', () => {
  assert.ok(existsSync(`${root}dist/index.js`), 'run `npm run build` first (npm test does)')
  const readme = readFileSync(`${root}README.md`, 'utf8')
  const quickStart = readme.slice(readme.indexOf('## Quick start'))
  const example = /```js\n([\s\S]*?)```/.exec(quickStart)?.[1]
  assert.ok(example, 'README has a js block under "Quick start"')
  // Inside the package folder, `import 'revocable'` resolves to this package (self-reference).
  const dir = `${root}.tmp`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/readme-example-${process.pid}.mjs`
  writeFileSync(file, example)
  try {
    const output = execFileSync(process.execPath, [file], { encoding: 'utf8' })
    assert.deepEqual(output.trim().split('\n'), ['user-42', 'ERR_TOKEN_REVOKED'])
  } finally {
    rmSync(file, { force: true })
  }
})
