/**
 * The service layer sits under the HTTP server and the CLI: src/service/ imports neither, and
 * the CLI reaches the service only through src/service/ (one exception: `revocable serve`
 * loads the HTTP server, on demand, to run it).
 */
import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const src = fileURLToPath(new URL('../src/', import.meta.url))

function filesUnder(folder: string): string[] {
  return readdirSync(join(src, folder), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(folder, file))
}

/** Each relative import (static, re-export or dynamic) of a file, as a path under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)]
  return specifiers.map((match) =>
    relative(src, resolve(dirname(join(src, file)), match[1] as string)),
  )
}

function violations(folder: string, forbidden: readonly string[], allowed: readonly string[] = []) {
  return filesUnder(folder).flatMap((file) =>
    importsOf(file)
      .filter((target) => forbidden.some((prefix) => target.startsWith(prefix)))
      .map((target) => `${file} -> ${target}`)
      .filter((edge) => !allowed.includes(edge)),
  )
}

test('src/service/ imports nothing from the HTTP server, the CLI or the adapters', () => {
  assert.deepEqual(violations('service', ['server/', 'cli/', 'adapters/']), [])
})

test('src/cli/ imports nothing from src/server/ but the serve command that runs it', () => {
  const allowed = ['cli/commands/serve.ts -> server/serve.js']
  assert.deepEqual(violations('cli', ['server/', 'adapters/'], allowed), [])
})

test('the layer check sees an import from the server', () => {
  assert.deepEqual(violations('cli', ['server/']), ['cli/commands/serve.ts -> server/serve.js'])
})
