// Builds dist/ only when it is missing or older than a source file (`npm start`, `prepare`): a
// fresh build takes tsc tens of seconds, serving the built output takes one.
// Usage: node scripts/build-if-stale.mjs
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))

/** The newest modification time under `path` (a file or a folder), in ms. */
function newest(path) {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let latest = stat.mtimeMs // a deleted or renamed file changes its folder's mtime
  for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)))
  return latest
}

/** 'missing', 'stale' (a source is newer than the last good build) or 'fresh'. */
export function buildState(root) {
  const stamp = join(root, 'dist/.build-stamp')
  if (!existsSync(stamp)) return 'missing'
  const inputs = ['src', 'tsconfig.json', 'tsconfig.build.json'].map((p) => join(root, p))
  const sources = Math.max(...inputs.filter((p) => existsSync(p)).map(newest))
  return sources > statSync(stamp).mtimeMs ? 'stale' : 'fresh'
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const state = buildState(root)
  if (state !== 'fresh') {
    let tsc
    try {
      tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
    } catch {
      // An install without dev dependencies: keep a dist/ that exists, refuse to run without one.
      if (state === 'stale') process.exit(0)
      console.error('revocable: dist/ is missing and TypeScript is not installed: run npm install')
      process.exit(1)
    }
    console.error(`revocable: dist/ is ${state}, building (tsc)…`)
    const run = (args) => spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' })
    const built = run([tsc, '-p', 'tsconfig.build.json'])
    if (built.status !== 0) process.exit(built.status ?? 1)
    const copied = run([join(root, 'scripts/copy-assets.mjs')])
    if (copied.status !== 0) process.exit(copied.status ?? 1)
  }
}
