import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { benchServiceFigures } from './service.js'
import { deletePrefix, REDIS_URL } from '../test/support/redis.js'
const prefix = `rvk-bench:h7svc:${Date.now()}:`
const t = performance.now()
try {
  console.log(
    JSON.stringify(
      await benchServiceFigures({
        redisUrl: REDIS_URL,
        prefix,
        quick: true,
        sqlitePath: join(mkdtempSync(join(tmpdir(), 'h7-')), 's.db'),
      }),
      null,
      1,
    ),
  )
} finally {
  await deletePrefix(REDIS_URL, prefix)
}
console.log('took', ((performance.now() - t) / 1000).toFixed(1), 's')
