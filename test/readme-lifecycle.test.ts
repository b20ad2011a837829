import assert from 'node:assert/strict'
import { execFileSync } from 'node:child_process'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

test('the README user-lifecycle example prints what its comments say', () => {
  const readme = readFileSync(`${root}README.md`, 'utf8')
  const section = readme.slice(readme.indexOf('## User lifecycle'))
  const example = /```js\n([\s\S]*?)```/.exec(section)?.[1]
  assert.ok(example, 'README has a js block under "User lifecycle"')
  const promised = [...example.matchAll(/^\/\/ -> (.*)$/gm)].map((match) => match[1])
  assert.ok(promised.length > 0)
  // Run against the sources (no build needed): the package name points at src/index.ts.
  const source = example.replace("from 'revocable'", `from '${root}src/index.ts'`)
  const dir = `${root}.tmp`
  mkdirSync(dir, { recursive: true })
  const file = `${dir}/readme-lifecycle-${process.pid}.mts`
  writeFileSync(file, source)
  try {
    const output = execFileSync(process.execPath, ['--import', 'tsx', file], { encoding: 'utf8' })
    assert.deepEqual(output.trim().split('\n'), promised)
  } finally {
    rmSync(file, { force: true })
  }
})
