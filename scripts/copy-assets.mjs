// tsc copies no non-TypeScript files: put the Redis Lua scripts next to the compiled store.
import { cpSync, writeFileSync } from 'node:fs'

cpSync('src/stores/redis/scripts', 'dist/stores/redis/scripts', { recursive: true })
// The service's pages: templates and static assets (src/server/pages/).
cpSync('src/server/pages/views', 'dist/server/pages/views', { recursive: true })
cpSync('src/server/pages/public', 'dist/server/pages/public', { recursive: true })
// The last step of a build that succeeded: scripts/build-if-stale.mjs compares sources to it.
writeFileSync('dist/.build-stamp', `${new Date().toISOString()}\n`)
