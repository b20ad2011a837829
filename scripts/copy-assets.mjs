// tsc copies no non-TypeScript files: put the Redis Lua scripts next to the compiled store.
import { cpSync } from 'node:fs'

cpSync('src/stores/redis/scripts', 'dist/stores/redis/scripts', { recursive: true })
