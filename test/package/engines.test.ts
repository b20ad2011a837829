import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import semver from 'semver'

// `npm install` on the oldest Node the package claims must not warn EBADENGINE: every package
// the lockfile installs has to accept that Node (the lockfile records each one's `engines`).
const root = new URL('../../', import.meta.url)
const pkg = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string }
}
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { version?: string; engines?: { node?: string } }>
}

test('every installed package accepts the oldest Node the package supports', () => {
  const oldest = semver.minVersion(pkg.engines.node)
  assert.ok(oldest, `engines.node ${pkg.engines.node} has a minimum version`)
  const refusing = Object.entries(lock.packages)
    .filter(([path, entry]) => path !== '' && entry.engines?.node !== undefined)
    .filter(([, entry]) => !semver.satisfies(oldest, entry.engines!.node!))
    .map(([path, entry]) => `${path}@${entry.version} needs node ${entry.engines!.node}`)
  assert.deepEqual(refusing, [])
})
