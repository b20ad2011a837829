import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DEFAULTS, resolveOptions } from '../../src/options.js'

// The README's "Options" table and the one frozen DEFAULTS object must say the same thing
// (issue #18: defaults written once, docs that cannot drift).

const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

/** The README's library options table: option name → its "default" cell. */
function optionsTable(): Map<string, string> {
  const section = readme.slice(readme.indexOf('\n## Options\n'))
  const end = section.indexOf('\n## ', 1)
  const rows = new Map<string, string>()
  for (const line of section.slice(0, end).split('\n')) {
    const cells = line.split('|').map((cell) => cell.trim())
    const name = /^`(\w+)`$/.exec(cells[1] ?? '')?.[1]
    if (name !== undefined) rows.set(name, cells[2] ?? '')
  }
  return rows
}

/** How the table writes a default value. */
function written(value: unknown): string {
  if (typeof value === 'string') return `\`'${value}'\``
  return `\`${String(value)}\``
}

// Options whose default is not a value: required, computed, or a function.
const NOT_IN_DEFAULTS: Record<string, string> = {
  issuer: 'required',
  audience: 'required',
  store: 'a new `MemoryStore`',
  keys: 'none (one is generated and stored)',
  keyEncryptionKey: 'none (SQLite: its `.kek` file)',
  warn: '`console.warn`',
  clock: '`Date.now`',
  timeAuthority: "`'store'` (`'local'` with a `clock`)",
}

test('the README options table names exactly the options createRevocable resolves', () => {
  const resolved = resolveOptions({ issuer: 'https://issuer.test', audience: 'api' })
  assert.deepEqual([...optionsTable().keys()].sort(), Object.keys(resolved).sort())
})

test('every default in DEFAULTS is the default the README options table gives', () => {
  const table = optionsTable()
  const disagree = Object.entries(DEFAULTS)
    .filter(([name, value]) => !(table.get(name) ?? '').includes(written(value)))
    .map(([name, value]) => `${name}: DEFAULTS ${written(value)}, README "${table.get(name)}"`)
  assert.deepEqual(disagree, [])
})

test('the options without a value default are described as the table says', () => {
  const table = optionsTable()
  for (const [name, cell] of Object.entries(NOT_IN_DEFAULTS)) {
    assert.ok(!(name in DEFAULTS), `${name} is in DEFAULTS: compare it there`)
    assert.equal(table.get(name), cell, name)
  }
})

test('resolving no options gives exactly the DEFAULTS', () => {
  const resolved = resolveOptions({ issuer: 'https://issuer.test', audience: 'api' })
  for (const [name, value] of Object.entries(DEFAULTS)) {
    assert.equal(resolved[name as keyof typeof resolved], value, name)
  }
  assert.ok(Object.isFrozen(DEFAULTS))
})
